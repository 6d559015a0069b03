import CGIF
import CPNG
import CTurboJPEG
import CWebP
import MailsiftCore

/// ``ImageDecoder`` on Debian's libraries, each through an API that reports errors instead of jumping out of the
/// caller (libpng's simplified API, libjpeg-turbo's TurboJPEG, giflib's record reader, libwebp's simple decoder), to
/// luminance. Every format's size is read from its header and checked against the limits before a pixel is decoded;
/// of an animated GIF only the first frame is decoded and the others' compressed data is walked past, up to the
/// frame limit.
public struct LibraryImageDecoder: ImageDecoder {
    public init() {}

    public func decode(_ bytes: [UInt8], limits: ImageLimits) -> Result<(image: GrayImage, frames: Int), ImageFailure> {
        switch ImageFormat(bytes) {
        case .png?: Self.png(bytes, limits).map { ($0, 1) }
        case .jpeg?: Self.jpeg(bytes, limits).map { ($0, 1) }
        case .gif?: Self.gif(bytes, limits)
        case .webp?: Self.webp(bytes, limits).map { ($0, 1) }
        case nil: .failure(.unsupported)
        }
    }

    static func check(_ width: Int, _ height: Int, _ limits: ImageLimits) -> ImageFailure? {
        guard width > 0, height > 0 else { return .damaged("no size") }
        guard width <= limits.side, height <= limits.side, width * height <= limits.pixels else { return .tooLarge(width: width, height: height) }
        return nil
    }

    // MARK: PNG (libpng's simplified API)

    static func png(_ bytes: [UInt8], _ limits: ImageLimits) -> Result<GrayImage, ImageFailure> {
        var image = png_image()
        image.version = UInt32(PNG_IMAGE_VERSION)
        return bytes.withUnsafeBytes { raw in
            guard png_image_begin_read_from_memory(&image, raw.baseAddress, raw.count) != 0 else {
                return .failure(.damaged(message(&image)))
            }
            if let refused = check(Int(image.width), Int(image.height), limits) {
                png_image_free(&image)
                return .failure(refused)
            }
            image.format = UInt32(PNG_FORMAT_GRAY)
            let (w, h) = (Int(image.width), Int(image.height))
            var pixels = [UInt8](repeating: 0, count: w * h)
            let ok = pixels.withUnsafeMutableBytes { png_image_finish_read(&image, nil, $0.baseAddress, Int32(w), nil) }
            guard ok != 0 else {
                let why = message(&image)
                png_image_free(&image)
                return .failure(.damaged(why))
            }
            return .success(GrayImage(width: w, height: h, pixels: pixels))
        }
    }

    static func message(_ image: inout png_image) -> String {
        withUnsafeBytes(of: &image.message) { String(decoding: $0.prefix { $0 != 0 }, as: UTF8.self) }
    }

    // MARK: JPEG (TurboJPEG)

    static func jpeg(_ bytes: [UInt8], _ limits: ImageLimits) -> Result<GrayImage, ImageFailure> {
        guard let handle = tjInitDecompress() else { return .failure(.damaged("TurboJPEG did not start")) }
        defer { tjDestroy(handle) }
        var width: Int32 = 0, height: Int32 = 0, subsampling: Int32 = 0, colorspace: Int32 = 0
        return bytes.withUnsafeBufferPointer { p in
            guard tjDecompressHeader3(handle, p.baseAddress, UInt(p.count), &width, &height, &subsampling, &colorspace) == 0 else {
                return .failure(.damaged(String(cString: tjGetErrorStr2(handle))))
            }
            if let refused = check(Int(width), Int(height), limits) { return .failure(refused) }
            var pixels = [UInt8](repeating: 0, count: Int(width) * Int(height))
            // Scans are limited (a progressive file of thousands of scans costs their decoding each).
            let flags = TJFLAG_LIMITSCANS | TJFLAG_FASTDCT
            let status = pixels.withUnsafeMutableBufferPointer {
                tjDecompress2(handle, p.baseAddress, UInt(p.count), $0.baseAddress, width, 0, height, Int32(TJPF_GRAY.rawValue), Int32(flags))
            }
            // A warning (a truncated file, whose missing rows stay grey) still gives a picture.
            if status != 0, tjGetErrorCode(handle) == TJERR_FATAL.rawValue {
                return .failure(.damaged(String(cString: tjGetErrorStr2(handle))))
            }
            return .success(GrayImage(width: Int(width), height: Int(height), pixels: pixels))
        }
    }

    // MARK: GIF (giflib's record reader)

    /// The bytes giflib reads from, and where it is.
    final class GIFSource {
        let bytes: [UInt8]
        var offset = 0
        init(_ bytes: [UInt8]) { self.bytes = bytes }
    }

    static func gif(_ bytes: [UInt8], _ limits: ImageLimits) -> Result<(image: GrayImage, frames: Int), ImageFailure> {
        let source = GIFSource(bytes)
        var error: Int32 = 0
        let opened = withExtendedLifetime(source) { () -> UnsafeMutablePointer<GifFileType>? in
            DGifOpen(Unmanaged.passUnretained(source).toOpaque(), { gif, buffer, count in
                guard let gif, let buffer, let user = gif.pointee.UserData else { return 0 }
                let s = Unmanaged<GIFSource>.fromOpaque(user).takeUnretainedValue()
                let n = max(0, min(Int(count), s.bytes.count - s.offset))
                s.bytes.withUnsafeBufferPointer { buffer.update(from: $0.baseAddress! + s.offset, count: n) }
                s.offset += n
                return Int32(n)
            }, &error)
        }
        guard let gif = opened else { return .failure(.damaged("giflib error \(error)")) }
        defer { withExtendedLifetime(source) { _ = DGifCloseFile(gif, &error) } }
        if let refused = check(Int(gif.pointee.SWidth), Int(gif.pointee.SHeight), limits) { return .failure(refused) }
        var picture: GrayImage?
        var frames = 0
        var record = UNDEFINED_RECORD_TYPE
        repeat {
            guard DGifGetRecordType(gif, &record) == GIF_OK else { break }
            switch record {
            case IMAGE_DESC_RECORD_TYPE:
                guard DGifGetImageDesc(gif) == GIF_OK else { break }
                frames += 1
                if frames > limits.frames { return picture.map { .success(($0, frames)) } ?? .failure(.tooManyFrames) }
                let desc = gif.pointee.Image
                let (w, h) = (Int(desc.Width), Int(desc.Height))
                if picture == nil {
                    if let refused = check(w, h, limits) { return .failure(refused) }
                    guard let map = desc.ColorMap ?? gif.pointee.SColorMap else { return .failure(.damaged("no colour map")) }
                    var lum = [UInt8](repeating: 0, count: 256)
                    for i in 0..<min(256, Int(map.pointee.ColorCount)) {
                        let c = map.pointee.Colors[i]
                        let r: Int = 299 * Int(c.Red), g: Int = 587 * Int(c.Green), b: Int = 114 * Int(c.Blue)
                        lum[i] = UInt8((r + g + b) / 1000)
                    }
                    var pixels = [UInt8](repeating: 0, count: w * h)
                    var line = [GifPixelType](repeating: 0, count: w)
                    // Interlaced rows come in four passes.
                    var order: [Int] = []
                    if desc.Interlace {
                        for (start, step) in [(0, 8), (4, 8), (2, 4), (1, 2)] { order += Array(stride(from: start, to: h, by: step)) }
                    } else {
                        order = Array(0..<h)
                    }
                    for y in order {
                        guard DGifGetLine(gif, &line, Int32(w)) == GIF_OK else { return .failure(.damaged("a truncated frame")) }
                        for x in 0..<w { pixels[y * w + x] = lum[Int(line[x])] }
                    }
                    picture = GrayImage(width: w, height: h, pixels: pixels)
                } else {
                    // Later frames: their compressed blocks walked past, not decoded.
                    var size: Int32 = 0
                    var block: UnsafeMutablePointer<GifByteType>?
                    guard DGifGetCode(gif, &size, &block) == GIF_OK else { break }
                    while block != nil { guard DGifGetCodeNext(gif, &block) == GIF_OK else { break } }
                }
            case EXTENSION_RECORD_TYPE:
                var code: Int32 = 0
                var block: UnsafeMutablePointer<GifByteType>?
                guard DGifGetExtension(gif, &code, &block) == GIF_OK else { break }
                while block != nil { guard DGifGetExtensionNext(gif, &block) == GIF_OK else { break } }
            default:
                break
            }
        } while record != TERMINATE_RECORD_TYPE
        return picture.map { .success(($0, frames)) } ?? .failure(.damaged("no frame"))
    }

    // MARK: WebP (libwebp's simple decoder: the Y plane is the luminance)

    static func webp(_ bytes: [UInt8], _ limits: ImageLimits) -> Result<GrayImage, ImageFailure> {
        bytes.withUnsafeBufferPointer { p in
            var width: Int32 = 0, height: Int32 = 0
            guard WebPGetInfo(p.baseAddress, p.count, &width, &height) != 0 else { return .failure(.damaged("not a still WebP")) }
            if let refused = check(Int(width), Int(height), limits) { return .failure(refused) }
            var u: UnsafeMutablePointer<UInt8>?, v: UnsafeMutablePointer<UInt8>?
            var stride: Int32 = 0, uvStride: Int32 = 0
            guard let y = WebPDecodeYUV(p.baseAddress, p.count, &width, &height, &u, &v, &stride, &uvStride) else {
                return .failure(.damaged("WebP did not decode"))
            }
            defer { WebPFree(y) }
            let (w, h) = (Int(width), Int(height))
            var pixels = [UInt8](repeating: 0, count: w * h)
            for row in 0..<h {
                for x in 0..<w { pixels[row * w + x] = y[row * Int(stride) + x] }
            }
            return .success(GrayImage(width: w, height: h, pixels: pixels))
        }
    }
}
