import Foundation
import MailsiftCore

/// One connection of the Sendmail/Postfix milter protocol (version 6), as a pure state machine: packets in,
/// reply packets out, and at the end of each message a request to classify it (``Step/classify``), answered
/// with ``finish(_:)``. The MTA sends the SMTP envelope, then the header fields one by one, then the body in
/// chunks; the session rebuilds the message from them (bounded by `maxMessageBytes`).
public struct MilterSession: Sendable {
    /// Commands (MTA to filter).
    enum Command: UInt8 {
        case abort = 0x41, body = 0x42, connect = 0x43, macro = 0x44, endOfMessage = 0x45, helo = 0x48, quitNewConnection = 0x4B
        case header = 0x4C, mail = 0x4D, endOfHeaders = 0x4E, optionNegotiation = 0x4F, quit = 0x51, recipient = 0x52, data = 0x54
        case unknown = 0x55
    }

    /// Replies (filter to MTA).
    public enum Reply: UInt8, Sendable {
        case accept = 0x61, `continue` = 0x63, addHeader = 0x68, changeHeader = 0x6D, quarantine = 0x71, replyCode = 0x79
        case optionNegotiation = 0x4F
    }

    /// Filter actions asked for at negotiation: add headers, change (delete) headers, quarantine.
    static let actions: UInt32 = 0x01 | 0x10 | 0x20
    static let version: UInt32 = 6
    /// The largest packet accepted (body chunks are at most 64 KiB; header fields are bounded by the MTA).
    public static let maxPacketBytes = 1 << 20
    /// Most recipients kept per message (Postfix's `smtpd_recipient_limit` default); later ones are dropped.
    public static let maxRecipients = 1_000
    /// Longest envelope address or HELO name kept (RFC 5321 allows 256 for a path, 255 for a domain);
    /// longer ones are dropped.
    public static let maxEnvelopeFieldBytes = 1_024
    /// Most header fields kept per message; later ones are dropped (they still count toward the size).
    public static let maxHeaderFields = 10_000

    /// What the server must do after a packet.
    public enum Step: Sendable, Equatable {
        /// Send these packets and read on.
        case reply([[UInt8]])
        /// Classify this message (then call ``finish(_:)`` and send what it returns).
        case classify(message: [UInt8], envelope: Envelope)
        /// Close the connection.
        case close
    }

    public struct ProtocolError: Error, Equatable, Sendable, CustomStringConvertible {
        public var reason: String
        public var description: String { "milter: \(reason)" }
    }

    public let maxMessageBytes: Int
    private var envelope = Envelope()
    private var headers: [(name: String, value: [UInt8])] = []
    private var body: [UInt8] = []
    private var size = 0
    /// The actions the MTA agreed to at negotiation (all of ours until then).
    private var allowed = MilterSession.actions
    /// The `{auth_authen}` macro sent with the macros of the coming MAIL command (Postfix's `milter_mail_macros`
    /// has it by default), for that message's envelope.
    private var mailAuthentication: String?

    public init(maxMessageBytes: Int) { self.maxMessageBytes = maxMessageBytes }

    /// Handles one packet (command byte and data, without the length prefix).
    public mutating func handle(command: UInt8, data: ArraySlice<UInt8>) throws(ProtocolError) -> Step {
        guard let c = Command(rawValue: command) else { return .reply([Self.packet(.continue)]) }  // unknown: carry on
        switch c {
        case .optionNegotiation:
            guard data.count >= 12 else { throw ProtocolError(reason: "short option negotiation") }
            let words = (0..<3).map { i in data.dropFirst(i * 4).prefix(4).reduce(UInt32(0)) { $0 << 8 | UInt32($1) } }
            guard words[0] >= 2 else { throw ProtocolError(reason: "milter protocol version \(words[0]) is too old") }
            allowed = words[1] & Self.actions
            return .reply([Self.packet(.optionNegotiation, Self.be32(min(words[0], Self.version)) + Self.be32(allowed) + Self.be32(0))])
        case .macro:
            // The command the macros are for, then name and value pairs, each NUL-terminated.
            if data.first == UInt8(ascii: "M") {
                mailAuthentication = nil
                let fields = data.dropFirst().split(separator: 0, omittingEmptySubsequences: false)
                var i = fields.startIndex
                while i + 1 < fields.endIndex {
                    let name = String(decoding: fields[i], as: UTF8.self)
                    if name == "{auth_authen}" || name == "auth_authen", !fields[i + 1].isEmpty, fields[i + 1].count <= Self.maxEnvelopeFieldBytes {
                        mailAuthentication = String(decoding: fields[i + 1], as: UTF8.self)
                    }
                    i += 2
                }
            }
            return .reply([])
        case .connect:
            // hostname \0 family (1 byte) port (2 bytes) address \0
            if let zero = data.firstIndex(of: 0), zero + 3 < data.endIndex {
                let family = data[zero + 1]
                let address = data[(zero + 4)...].prefix { $0 != 0 }
                if family == UInt8(ascii: "4") || family == UInt8(ascii: "6") {
                    envelope.clientIP = String(decoding: address, as: UTF8.self)
                }
            }
            return .reply([Self.packet(.continue)])
        case .helo:
            envelope.helo = Self.firstField(data)
            return .reply([Self.packet(.continue)])
        case .mail:
            resetMessage()
            envelope.mailFrom = Self.firstField(data).map(Self.unbracketed)
            envelope.authenticatedSender = mailAuthentication
            mailAuthentication = nil
            return .reply([Self.packet(.continue)])
        case .recipient:
            if envelope.recipients.count < Self.maxRecipients, let r = Self.firstField(data) { envelope.recipients.append(Self.unbracketed(r)) }
            return .reply([Self.packet(.continue)])
        case .data, .endOfHeaders, .unknown:
            return .reply([Self.packet(.continue)])
        case .header:
            guard let nameEnd = data.firstIndex(of: 0) else { throw ProtocolError(reason: "a header packet needs a name and a value") }
            let rest = data[(nameEnd + 1)...]
            let value = rest.prefix { $0 != 0 }
            size += (nameEnd - data.startIndex) + value.count + 4
            if size <= maxMessageBytes, headers.count < Self.maxHeaderFields {
                headers.append((String(decoding: data[..<nameEnd], as: UTF8.self), Array(value)))
            }
            return .reply([Self.packet(.continue)])
        case .body:
            size += data.count
            if body.count + data.count <= maxMessageBytes { body.append(contentsOf: data) }
            return .reply([Self.packet(.continue)])
        case .endOfMessage:
            if !data.isEmpty, body.count + data.count <= maxMessageBytes { body.append(contentsOf: data) }
            return .classify(message: message(), envelope: envelope)
        case .abort:
            resetMessage()
            return .reply([])
        case .quitNewConnection:
            resetMessage()
            envelope = Envelope()
            return .reply([])
        case .quit:
            return .close
        }
    }

    /// How a message ended.
    public enum Outcome: Sendable {
        /// A verdict (its action and spam probability), with the header fields to add.
        /// `authservID`: Mailsift's own, when it wrote results: fields the message arrived with under it are deleted.
        case verdict(action: Action, probability: Double, headers: [(String, String)], authservID: String? = nil)
        /// No verdict could be had now (no model yet, overload): the MTA should try again later.
        case unavailable
        /// The message cannot be parsed: nothing to judge, it passes, marked.
        case unparsable
    }

    /// The packets that end a message: the header changes, then the decision.
    /// - Verdict headers the message arrived with (`X-Spam-*`, `X-Mailsift-*`, and `Authentication-Results` under
    ///   Mailsift's authserv-id when it wrote its own) are deleted, so a sender cannot forge them.
    /// - Mailsift's own headers are added.
    /// - `quarantine` asks the MTA to hold the message (Postfix's hold queue).
    /// - An action the MTA did not agree to at negotiation is left out.
    /// - `reject` answers 550 5.7.1.
    /// - With no verdict the message is deferred with a 451.
    public mutating func finish(_ outcome: Outcome) -> [[UInt8]] {
        defer { resetMessage() }
        let action: Action, probability: Double
        let added: [(String, String)]
        var own: String?
        switch outcome {
        case .unavailable:
            return [Self.packet(.replyCode, Array("451 4.7.1 Message filter unavailable, try again later".utf8) + [0])]
        case .unparsable:
            return [Self.packet(.addHeader, Array("X-Mailsift-Verdict".utf8) + [0] + Array("unparsable".utf8) + [0]), Self.packet(.accept)]
        case .verdict(let a, let p, let headers, let authservID):
            (action, probability) = (a, p)
            added = headers
            own = authservID?.lowercased()
        }
        var out: [[UInt8]] = []
        var seen: [String: UInt32] = [:]
        for h in headers where allowed & 0x10 != 0 {
            let lower = h.name.lowercased()
            seen[lower, default: 0] += 1
            // A sender's results in Mailsift's name would sit beside Mailsift's own (RFC 8601 section 5).
            let forgedResults = lower == "authentication-results" && own != nil
                && AuthenticationResults(parsing: String(decoding: h.value, as: UTF8.self)).authservID.lowercased() == own
            if lower.hasPrefix("x-spam-") || lower.hasPrefix("x-mailsift-") || forgedResults {
                out.append(Self.packet(.changeHeader, Self.be32(seen[lower]!) + Array(h.name.utf8) + [0, 0]))
            }
        }
        for (name, value) in added where allowed & 0x01 != 0 { out.append(Self.packet(.addHeader, Array(name.utf8) + [0] + Array(value.utf8) + [0])) }
        switch action {
        case .inbox, .tag:
            out.append(Self.packet(.accept))
        case .quarantine where allowed & 0x20 != 0:
            out.append(Self.packet(.quarantine, Array(String(format: "Mailsift: spam, probability %.4f", probability).utf8) + [0]))
            out.append(Self.packet(.accept))
        case .quarantine:
            out.append(Self.packet(.accept))  // the MTA does not quarantine: delivered with the headers
        case .reject:
            out.append(Self.packet(.replyCode, Array("550 5.7.1 Message rejected as spam".utf8) + [0]))
        }
        return out
    }

    /// The message as the MTA passed it: the header fields in order, an empty line, the body.
    func message() -> [UInt8] {
        var out: [UInt8] = []
        out.reserveCapacity(size + 2)
        for h in headers {
            out.append(contentsOf: h.name.utf8)
            out.append(UInt8(ascii: ":"))
            if let first = h.value.first, first != 0x20 && first != 0x09 { out.append(0x20) }
            out.append(contentsOf: h.value)
            out.append(contentsOf: [0x0D, 0x0A])
        }
        out.append(contentsOf: [0x0D, 0x0A])
        out.append(contentsOf: body)
        return out
    }

    private mutating func resetMessage() {
        headers.removeAll()
        body.removeAll()
        size = 0
        envelope.recipients.removeAll()
        envelope.mailFrom = nil
        envelope.authenticatedSender = nil
    }

    /// The packet's first NUL-terminated field, when it is at most ``maxEnvelopeFieldBytes`` long.
    static func firstField(_ data: ArraySlice<UInt8>) -> String? {
        let field = data.prefix { $0 != 0 }
        guard field.count <= maxEnvelopeFieldBytes else { return nil }
        return String(decoding: field, as: UTF8.self)
    }

    static func unbracketed(_ s: String) -> String {
        var t = Substring(s)
        if t.first == "<" { t = t.dropFirst() }
        if t.last == ">" { t = t.dropLast() }
        return String(t)
    }

    static func be32(_ v: UInt32) -> [UInt8] { [UInt8(v >> 24), UInt8(v >> 16 & 0xFF), UInt8(v >> 8 & 0xFF), UInt8(v & 0xFF)] }

    /// A packet: the length (command byte included), the command, the data.
    static func packet(_ reply: Reply, _ data: [UInt8] = []) -> [UInt8] { be32(UInt32(data.count + 1)) + [reply.rawValue] + data }
}

/// Reads milter packets (a 4-byte big-endian length, then that many bytes: the command and its data) from a
/// byte stream fed in pieces.
public struct MilterPacketReader: Sendable {
    private var buffer: [UInt8] = []
    private var start = 0

    public init() {}

    public mutating func feed(_ bytes: some Sequence<UInt8>) { buffer.append(contentsOf: bytes) }

    /// The next whole packet, if one is there.
    public mutating func next() throws(MilterSession.ProtocolError) -> (command: UInt8, data: ArraySlice<UInt8>)? {
        guard buffer.count - start >= 4 else { compact(); return nil }
        let length = buffer[start..<(start + 4)].reduce(0) { $0 << 8 | Int($1) }
        guard length >= 1 else { throw MilterSession.ProtocolError(reason: "an empty packet") }
        guard length <= MilterSession.maxPacketBytes else { throw MilterSession.ProtocolError(reason: "a packet of \(length) bytes") }
        guard buffer.count - start >= 4 + length else { compact(); return nil }
        let command = buffer[start + 4]
        let data = buffer[(start + 5)..<(start + 4 + length)]
        start += 4 + length
        return (command, data)
    }

    /// True when the bytes fed so far end where a packet ends (no packet is half in).
    public var endsOnPacketBoundary: Bool {
        var i = start
        while buffer.count - i >= 4 {
            let length = buffer[i..<(i + 4)].reduce(0) { $0 << 8 | Int($1) }
            guard length >= 1, length <= MilterSession.maxPacketBytes else { return true }  // next() throws on it
            i += 4 + length
        }
        return i == buffer.count
    }

    private mutating func compact() {
        if start > 0 {
            buffer.removeFirst(start)
            start = 0
        }
    }
}
