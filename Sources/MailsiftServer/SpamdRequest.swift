/// One request of SpamAssassin's spamc/spamd protocol (SPAMC/1.x), read incrementally from the bytes a client
/// sends: the command line, the header lines up to the empty line, then `Content-length` bytes of message
/// (or everything up to the end of the stream when no length was given). Pure: no I/O.
public struct SpamdRequest: Sendable, Equatable {
    public enum Command: String, Sendable, CaseIterable {
        case check = "CHECK", symbols = "SYMBOLS", report = "REPORT", reportIfSpam = "REPORT_IFSPAM"
        case process = "PROCESS", headers = "HEADERS", ping = "PING", skip = "SKIP", tell = "TELL"
    }

    public var command: Command
    /// The protocol version the client spoke (`1.5`).
    public var version: String
    /// Header lines, names in lower case.
    public var headers: [String: String]
    public var body: [UInt8]

    public var user: String? { headers["user"] }

    /// Why a request cannot be served, with the spamd exit code that says so (sysexits.h).
    public struct ProtocolError: Error, Equatable, Sendable, CustomStringConvertible {
        public var code: Int
        public var reason: String
        public var description: String { reason }

        static func bad(_ reason: String) -> ProtocolError { ProtocolError(code: 76, reason: reason) }  // EX_PROTOCOL
        static let tooBig = ProtocolError(code: 74, reason: "message too big")  // EX_IOERR, as spamd answers an oversized message
    }
}

/// Accumulates bytes until a whole ``SpamdRequest`` is there. Bounded: header block at most 8 KiB, body at
/// most `maxBodyBytes`.
public struct SpamdRequestReader: Sendable {
    public let maxBodyBytes: Int
    private var buffer: [UInt8] = []
    private var head: (command: SpamdRequest.Command, version: String, headers: [String: String], bodyStart: Int)?
    private var length: Int?
    /// Where the search for the end of the header block resumes.
    private var searched = 0

    public static let maxHeaderBytes = 8 << 10

    public init(maxBodyBytes: Int) { self.maxBodyBytes = maxBodyBytes }

    /// Adds bytes; returns the request once it is complete.
    public mutating func feed(_ bytes: some Sequence<UInt8>) throws(SpamdRequest.ProtocolError) -> SpamdRequest? {
        buffer.append(contentsOf: bytes)
        if head == nil {
            // The end is looked for only in what was not searched before (a header block fed a byte at a time
            // is read in linear time).
            guard let end = Self.headerEnd(buffer, from: searched) else {
                searched = max(0, buffer.count - 2)
                if buffer.count > Self.maxHeaderBytes { throw .bad("header block longer than \(Self.maxHeaderBytes) bytes") }
                return nil
            }
            // However the request was cut into reads, the same limit.
            if end.headerEnd > Self.maxHeaderBytes { throw .bad("header block longer than \(Self.maxHeaderBytes) bytes") }
            try parseHead(end)
        }
        guard let head else { return nil }
        if head.command == .ping || head.command == .skip { return request(body: []) }
        let have = buffer.count - head.bodyStart
        if let length, have >= length { return request(body: Array(buffer[head.bodyStart..<(head.bodyStart + length)])) }
        if have > maxBodyBytes { throw .tooBig }
        return nil
    }

    /// The stream ended: the request as far as it goes, when that is a whole one.
    public mutating func finish() throws(SpamdRequest.ProtocolError) -> SpamdRequest {
        if head == nil {
            // A PING may come without the empty line.
            if let line = buffer.split(separator: 0x0A, maxSplits: 1).first, line.starts(with: Array("PING ".utf8)) {
                buffer.append(contentsOf: [0x0D, 0x0A, 0x0D, 0x0A])
                if let r = try feed([]) { return r }
            }
            throw .bad("the connection closed before the end of the request headers")
        }
        guard let head else { throw .bad("no request") }
        let body = Array(buffer[head.bodyStart...])
        if let length, body.count < length { throw .bad("the message is \(body.count) bytes, Content-length says \(length)") }
        return request(body: body)
    }

    private func request(body: [UInt8]) -> SpamdRequest {
        SpamdRequest(command: head!.command, version: head!.version, headers: head!.headers, body: body)
    }

    private mutating func parseHead(_ end: (headerEnd: Int, bodyStart: Int)) throws(SpamdRequest.ProtocolError) {
        // Split on bytes: as a String, "\r\n" is one Character and would not split on "\n".
        var lines = buffer[..<end.headerEnd].split(separator: 0x0A, omittingEmptySubsequences: false).map { line in
            String(decoding: line.last == 0x0D ? line.dropLast() : line, as: UTF8.self)
        }
        guard !lines.isEmpty else { throw .bad("empty request") }
        let first = lines.removeFirst().split(separator: " ")
        guard first.count == 2, first[1].hasPrefix("SPAMC/") else { throw .bad("bad request line") }
        guard let command = SpamdRequest.Command(rawValue: String(first[0])) else { throw .bad("unknown command \(first[0].prefix(32))") }
        var headers: [String: String] = [:]
        for line in lines where !line.isEmpty {
            guard let colon = line.firstIndex(of: ":") else { throw .bad("bad header line: \(line.prefix(64))") }
            let name = line[..<colon].lowercased()
            headers[name] = line[line.index(after: colon)...].trimmingCharacters(in: [" ", "\t"])
        }
        if let value = headers["content-length"] {
            guard let n = Int(value), n >= 0 else { throw .bad("bad Content-length: \(value.prefix(32))") }
            if n > maxBodyBytes { throw .tooBig }
            length = n
        }
        if let c = headers["compress"] {
            throw .bad("compressed requests (Compress: \(c)) are not supported; run spamc without -z")
        }
        head = (command, String(first[1].dropFirst(6)), headers, end.bodyStart)
    }

    /// Where the header block ends (`\r\n\r\n` or `\n\n`) and the body starts.
    static func headerEnd(_ b: [UInt8], from start: Int = 0) -> (headerEnd: Int, bodyStart: Int)? {
        var i = start
        while i < b.count {
            if b[i] == 0x0A {
                if i + 1 < b.count, b[i + 1] == 0x0A { return (i, i + 2) }
                if i + 2 < b.count, b[i + 1] == 0x0D, b[i + 2] == 0x0A { return (i, i + 3) }
            }
            i += 1
        }
        return nil
    }
}

extension String {
    fileprivate func trimmingCharacters(in set: Set<Character>) -> String {
        var s = Substring(self)
        while let f = s.first, set.contains(f) { s.removeFirst() }
        while let l = s.last, set.contains(l) { s.removeLast() }
        return String(s)
    }
}

extension Substring {
    fileprivate func trimmingCharacters(in set: Set<Character>) -> String { String(self).trimmingCharacters(in: set) }
}
