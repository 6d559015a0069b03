// libFuzzer entry point for the server's request decoders: the spamd request reader, the milter packet reader
// and session, and the JSON bodies of the batch and feedback endpoints (the classify endpoint's body is the raw
// message, which Fuzz/ParserFuzzer.swift covers). Built by scripts/fuzz.sh requests with
// `swiftc -sanitize=fuzzer,address` over the MailsiftCore sources and the pure protocol files of MailsiftServer.
//
// The first byte picks the decoder; the second, where the input is cut into pieces (the network delivers a
// request in reads of any size, and the readers must give the same result whatever the cut).

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzOneInput(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    guard size >= 2 else { return 0 }
    let selector = data[0], piece = Int(data[1]) + 1
    let bytes = Array(UnsafeBufferPointer(start: data + 2, count: size - 2))
    switch selector % 4 {
    case 0: fuzzSpamd(bytes, piece: piece)
    case 1: fuzzMilter(bytes, piece: piece)
    case 2: fuzzBatch(bytes)
    default: fuzzFeedback(bytes)
    }
    return 0
}

/// The same request fed whole and in pieces must read the same.
private func fuzzSpamd(_ bytes: [UInt8], piece: Int) {
    func read(_ step: Int) -> Result<SpamdRequest?, SpamdRequest.ProtocolError> {
        var reader = SpamdRequestReader(maxBodyBytes: 1 << 16)
        do {
            for start in stride(from: 0, to: bytes.count, by: step) {
                if let r = try reader.feed(bytes[start..<min(start + step, bytes.count)]) { return .success(r) }
            }
            return .success(try reader.finish())
        } catch {
            return .failure(error)
        }
    }
    let whole = read(max(bytes.count, 1)), pieces = read(piece)
    switch (whole, pieces) {
    case (.success(let a), .success(let b)): precondition(a == b, "spamd: the request depends on how it was cut")
    case (.failure, .failure): break
    default: preconditionFailure("spamd: a request reads or fails depending on how it was cut")
    }
}

/// Packets through the session; every message that ends is finished with each outcome.
private func fuzzMilter(_ bytes: [UInt8], piece: Int) {
    var reader = MilterPacketReader()
    var session = MilterSession(maxMessageBytes: 1 << 16)
    do {
        for start in stride(from: 0, to: bytes.count, by: piece) {
            reader.feed(bytes[start..<min(start + piece, bytes.count)])
            _ = reader.endsOnPacketBoundary
            while let (command, data) = try reader.next() {
                switch try session.handle(command: command, data: data) {
                case .reply, .close: break
                case .classify(let message, let envelope):
                    // Header fields and body are each held to the message limit.
                    precondition(message.count <= 2 * (1 << 16) + 2)
                    precondition(envelope.recipients.count <= MilterSession.maxRecipients)
                    _ = session.finish(.verdict(action: Action.allCases[Int(piece) % 4], probability: 0.5, headers: [("X-Spam-Flag", "YES")]))
                    _ = session.finish(.unavailable)
                    _ = session.finish(.unparsable)
                }
            }
        }
    } catch {
        // A protocol error ends the connection: fine.
    }
}

private func fuzzBatch(_ bytes: [UInt8]) {
    guard let items = try? BatchRequest.decode(bytes) else { return }
    for item in items {
        if case .success(let message) = item.message(limit: 1 << 16) { precondition(message.count <= 1 << 16) }
        _ = item.envelope?.envelope
    }
}

private func fuzzFeedback(_ bytes: [UInt8]) {
    guard let reports = try? FeedbackRequest.decode(bytes, now: 1_800_000_000) else { return }
    for report in reports { _ = try? report.validate(receivedAt: 1_800_000_000) }
}
