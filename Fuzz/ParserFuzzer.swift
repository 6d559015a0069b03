// libFuzzer entry point for the message parser, the whole text pipeline, the feature views and the model
// file reader.
// Built by scripts/fuzz.sh with `swiftc -sanitize=fuzzer,address` over the MailsiftCore sources.

private let extractor = FeatureExtractor(configuration: FeatureConfiguration(hashBits: 12))

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzOneInput(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    let bytes = Array(UnsafeBufferPointer(start: data, count: size))
    // Inputs that start with the bundle magic exercise the model file reader instead.
    if bytes.starts(with: ModelBundle.magic) {
        _ = try? ModelBundle(decoding: bytes)
        return 0
    }
    let limits = ParseLimits(maxMessageBytes: 1 << 20, maxDepth: 16, maxParts: 200, maxDecodedBytes: 1 << 20)
    let analyzer = MessageAnalyzer(parser: MessageParser(limits: limits))
    guard let analyzed = try? analyzer.analyze(bytes) else { return 0 }
    // Touch the lazily derived views too: they parse header text.
    let m = analyzed.message
    _ = (m.from, m.to, m.cc, m.replyTo, m.sender, m.returnPath, m.received, m.authenticationResults, m.date, m.receivedSPF)
    for part in m.attachments { _ = m.decodedBody(of: part, limit: 4096) }
    // Every feature view, hashed and named.
    var hashes: [UInt64] = []
    var ends: [Int] = []
    extractor.features(of: analyzed, into: &hashes, viewEnds: &ends)
    _ = extractor.namedFeatures(of: analyzed)
    return 0
}
