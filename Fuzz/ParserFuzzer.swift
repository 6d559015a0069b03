// libFuzzer entry point for the message parser, the whole text pipeline, the feature views, the metadata
// columns of the tree stage, the model file reader and the tree-model reader.
// Built by scripts/fuzz.sh with `swiftc -sanitize=fuzzer,address` over the MailsiftCore sources.

private let extractor = FeatureExtractor(configuration: FeatureConfiguration(hashBits: 12))
private let rules = try! RuleSet(compiling: [
    RuleSpec(name: "GTUBE", line: 1, test: "gtube", action: "reject"),
    RuleSpec(name: "DMARC", line: 2, test: "dmarc_reject_fail", action: "reject"),
    RuleSpec(name: "SPF", line: 3, test: "authentication", values: ["spf=fail"], score: 1),
    RuleSpec(name: "BODY", line: 4, test: "body", pattern: "(?i)v[i1]agra", score: 1),
    RuleSpec(name: "FROM", line: 5, test: "sender_domain", values: ["example.com"], action: "inbox"),
    RuleSpec(name: "NET", line: 6, test: "client_ip", values: ["192.0.2.0/24"], action: "inbox"),
])

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzOneInput(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    let bytes = Array(UnsafeBufferPointer(start: data, count: size))
    // Inputs that start with the bundle magic exercise the model file reader instead.
    if bytes.starts(with: ModelBundle.magic) {
        _ = try? ModelBundle(decoding: bytes)
        return 0
    }
    // Inputs that start as a UBJSON object exercise the XGBoost model reader and, when it accepts them,
    // a walk of the trees.
    if bytes.first == UInt8(ascii: "{") {
        if let trees = try? TreeEnsemble(xgboostModel: bytes, featureCount: 8) {
            _ = trees.margin(of: [Float](repeating: .nan, count: 8))
            _ = trees.margin(of: [Float](repeating: 0, count: 8))
        }
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
    // The tree stage's columns and the default rules' tests.
    _ = MetadataFeatureExtractor().values(of: analyzed)
    _ = rules.evaluate(analyzed, envelope: Envelope())
    return 0
}
