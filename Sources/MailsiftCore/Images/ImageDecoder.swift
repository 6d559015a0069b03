import Foundation

/// A picture decoded to luminance, for the perceptual hash.
public struct GrayImage: Sendable, Hashable {
    public var width: Int
    public var height: Int
    /// Row-major, one byte a pixel.
    public var pixels: [UInt8]

    public init(width: Int, height: Int, pixels: [UInt8]) {
        self.width = width
        self.height = height
        self.pixels = pixels
    }
}

/// What bounds one image's decoding: checked from the header, before any pixel is decoded.
public struct ImageLimits: Sendable, Hashable {
    /// Width times height of the (first) frame.
    public var pixels = 8_000_000
    public var side = 16_384
    /// Frames of an animated GIF walked (only the first is decoded).
    public var frames = 1_000
    public init() {}
}

/// Why an image gave no picture.
public enum ImageFailure: Error, Sendable, Hashable, CustomStringConvertible {
    /// Not a PNG, JPEG, GIF or WebP.
    case unsupported
    /// Its header announces more than the limits allow: refused before decoding.
    case tooLarge(width: Int, height: Int)
    case tooManyFrames
    /// The decoder failed (a truncated or damaged file).
    case damaged(String)

    public var description: String {
        switch self {
        case .unsupported: "not a PNG, JPEG, GIF or WebP"
        case .tooLarge(let w, let h): "\(w)x\(h) is over the pixel limit"
        case .tooManyFrames: "more frames than the limit"
        case .damaged(let why): "damaged: \(why)"
        }
    }
}

/// Decodes PNG, JPEG, GIF and WebP (a port: `LibraryImageDecoder` in `MailsiftImages` answers with Debian's libpng,
/// libturbojpeg, giflib and libwebp). Must refuse what is over `limits` from the header, before decoding.
public protocol ImageDecoder: Sendable {
    func decode(_ bytes: [UInt8], limits: ImageLimits) -> Result<(image: GrayImage, frames: Int), ImageFailure>
}

/// The image format a file's first bytes show, of those ``ImageDecoder`` reads.
public enum ImageFormat: String, Sendable, Hashable, Codable {
    case png, jpeg, gif, webp

    public init?(_ b: [UInt8]) {
        if b.starts(with: [0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A]) { self = .png }
        else if b.starts(with: [0xFF, 0xD8, 0xFF]) { self = .jpeg }
        else if b.starts(with: Array("GIF87a".utf8)) || b.starts(with: Array("GIF89a".utf8)) { self = .gif }
        else if b.count >= 12, b.starts(with: Array("RIFF".utf8)), b[8..<12].elementsEqual("WEBP".utf8) { self = .webp }
        else { return nil }
    }
}

/// One image of a message (an attachment or an inline part), as the analysis reports it.
public struct ImageReport: Sendable, Hashable, Codable {
    public var format: ImageFormat?
    public var width = 0
    public var height = 0
    public var frames = 0
    /// The DCT perceptual hash (``PerceptualHash``); nil when the image was not decoded.
    public var phash: UInt64?
    /// Why it was not decoded.
    public var failure: String?
    public var bytes: Int

    public init(bytes: Int) { self.bytes = bytes }
}

/// The DCT perceptual hash (pHash, as the `imagehash` Python package computes it): the image's luminance reduced to
/// 32 x 32 (area averages), its 2-D DCT-II, and of the 8 x 8 lowest frequencies one bit each: above their median.
/// Resizing, recompressing and small colour changes keep most bits; two hashes within ``matchDistance`` bits are the
/// same picture.
public enum PerceptualHash {
    public static let matchDistance = 10

    public static func hash(_ image: GrayImage) -> UInt64? {
        guard image.width > 0, image.height > 0, image.pixels.count >= image.width * image.height else { return nil }
        let n = 32
        // Area-average reduction to 32 x 32 (each output pixel the mean of the input pixels it covers).
        var small = [Double](repeating: 0, count: n * n)
        var counts = [Double](repeating: 0, count: n * n)
        image.pixels.withUnsafeBufferPointer { p in
            for y in 0..<image.height {
                let row = y * n / image.height * n
                for x in 0..<image.width {
                    let i = row + x * n / image.width
                    small[i] += Double(p[y * image.width + x])
                    counts[i] += 1
                }
            }
        }
        // Images under 32 pixels a side leave cells empty: they take the nearest source pixel.
        for y in 0..<n {
            for x in 0..<n where counts[y * n + x] == 0 {
                small[y * n + x] = Double(image.pixels[(y * image.height / n) * image.width + x * image.width / n])
                counts[y * n + x] = 1
            }
        }
        for i in 0..<(n * n) { small[i] /= counts[i] }
        // DCT-II along rows (rows[y][u]) then columns (low[v][u]), keeping the 8 lowest frequencies of each.
        let k = 8
        let rows = lowFrequencies(count: n) { y, x in small[y * n + x] }
        let columns = lowFrequencies(count: k) { u, y in rows[y * k + u] }  // columns[u][v]
        let low = (0..<(k * k)).map { columns[($0 % k) * k + $0 / k] }
        let sorted = low.sorted()
        let median = (sorted[31] + sorted[32]) / 2
        var bits: UInt64 = 0
        for (i, c) in low.enumerated() where c > median { bits |= 1 << UInt64(63 - i) }
        return bits
    }

    public static func distance(_ a: UInt64, _ b: UInt64) -> Int { (a ^ b).nonzeroBitCount }

    /// The 8 lowest DCT-II coefficients of each of `count` sequences of 32 values (`value(i, j)`: sequence i's j-th):
    /// out[i * 8 + u].
    static func lowFrequencies(count: Int, _ value: (Int, Int) -> Double) -> [Double] {
        var out = [Double](repeating: 0, count: count * 8)
        for i in 0..<count {
            for u in 0..<8 {
                var s = 0.0
                for j in 0..<32 { s += value(i, j) * cosines[u * 32 + j] }
                out[i * 8 + u] = s
            }
        }
        return out
    }

    /// cos(pi (2x + 1) u / 64) for u < 8, x < 32.
    static let cosines: [Double] = {
        var out: [Double] = []
        for u in 0..<8 {
            for x in 0..<32 { out.append(cos(Double.pi * Double(2 * x + 1) * Double(u) / 64)) }
        }
        return out
    }()
}
