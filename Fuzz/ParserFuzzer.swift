// libFuzzer entry point for the message parser and the whole text pipeline.
// Built by scripts/fuzz.sh with `swiftc -sanitize=fuzzer,address` over the MailsiftCore sources.

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzOneInput(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    let bytes = Array(UnsafeBufferPointer(start: data, count: size))
    let limits = ParseLimits(maxMessageBytes: 1 << 20, maxDepth: 16, maxParts: 200, maxDecodedBytes: 1 << 20)
    let analyzer = MessageAnalyzer(parser: MessageParser(limits: limits))
    guard let analyzed = try? analyzer.analyze(bytes) else { return 0 }
    // Touch the lazily derived views too: they parse header text.
    let m = analyzed.message
    _ = (m.from, m.to, m.cc, m.replyTo, m.sender, m.returnPath, m.received, m.authenticationResults, m.date, m.receivedSPF)
    for part in m.attachments { _ = m.decodedBody(of: part, limit: 4096) }
    return 0
}
