// libFuzzer entry point for the image decoders (`scripts/fuzz.sh images`): libpng's simplified API, TurboJPEG,
// giflib's record reader and libwebp, through LibraryImageDecoder, then the perceptual hash. The first byte picks
// the signature put in front of the rest (PNG, JPEG, GIF, WebP, or none), so every decoder sees mostly well-formed
// headers.

let decoder = LibraryImageDecoder()
let heads: [[UInt8]] = [
    [0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A], [0xFF, 0xD8, 0xFF], Array("GIF89a".utf8), Array("RIFF\u{0}\u{0}\u{0}\u{0}WEBP".utf8), [],
]

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzz(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    guard size > 0 else { return 0 }
    let rest = Array(UnsafeBufferPointer(start: data + 1, count: size - 1))
    let head = heads[Int(data[0]) % heads.count]
    // Seeds are whole files: a file that already starts with its signature keeps it.
    let bytes = rest.starts(with: head) ? rest : head + rest
    var limits = ImageLimits()
    limits.pixels = 4_000_000
    if case .success(let decoded) = decoder.decode(bytes, limits: limits) {
        precondition(decoded.image.pixels.count == decoded.image.width * decoded.image.height)
        _ = PerceptualHash.hash(decoded.image)
    }
    return 0
}
