/// A parsed Content-Type (RFC 2045 section 5).
public struct ContentType: Sendable, Hashable {
    /// Lower-cased main type (`text`, `multipart`...).
    public var type: String
    /// Lower-cased subtype (`plain`, `mixed`...).
    public var subtype: String
    public var parameters: MIMEParameters

    public init(type: String, subtype: String, parameters: MIMEParameters = MIMEParameters()) {
        self.type = type
        self.subtype = subtype
        self.parameters = parameters
    }

    public var mimeType: String { type + "/" + subtype }
    public var isMultipart: Bool { type == "multipart" }
    public var isText: Bool { type == "text" }
    public var isEmbeddedMessage: Bool { type == "message" && (subtype == "rfc822" || subtype == "global") }
    public var charset: String? { parameters["charset"] }
    /// The boundary with trailing blanks removed (they cannot be part of it, RFC 2046 section 5.1.1).
    public var boundary: String? {
        guard var b = parameters["boundary"] else { return nil }
        while let last = b.last, last == " " || last == "\t" { b.removeLast() }
        return b.isEmpty ? nil : b
    }
    public var name: String? { parameters["name"] }

    public static let textPlain = ContentType(type: "text", subtype: "plain")
    public static let messageRFC822 = ContentType(type: "message", subtype: "rfc822")

    /// Parses a header value; nil when it has no `type/subtype` (callers then use the default and flag it).
    public init?(parsing value: String) {
        let s = value[...]
        let semicolon = s.firstIndex(of: ";") ?? s.endIndex
        let mime = s[..<semicolon].trimmingBlanks()
        let slashParts = mime.split(separator: "/", omittingEmptySubsequences: false)
        guard slashParts.count == 2 else { return nil }
        let type = slashParts[0].trimmingBlanks().lowercased()
        let subtype = slashParts[1].trimmingBlanks().lowercased()
        guard !type.isEmpty, !subtype.isEmpty,
              !type.contains(where: { $0 == " " || $0 == "\t" }),
              !subtype.contains(where: { $0 == " " || $0 == "\t" }) else { return nil }
        self.type = type
        self.subtype = subtype
        self.parameters = semicolon < s.endIndex ? MIMEParameters(parsing: s[s.index(after: semicolon)...]) : MIMEParameters()
    }
}

/// A parsed Content-Disposition (RFC 2183).
public struct ContentDisposition: Sendable, Hashable {
    /// Lower-cased disposition type (`inline`, `attachment`).
    public var kind: String
    public var parameters: MIMEParameters

    public var isAttachment: Bool { kind == "attachment" }
    public var filename: String? { parameters["filename"] }

    public init(parsing value: String) {
        let s = value[...]
        let semicolon = s.firstIndex(of: ";") ?? s.endIndex
        kind = s[..<semicolon].trimmingBlanks().lowercased()
        parameters = semicolon < s.endIndex ? MIMEParameters(parsing: s[s.index(after: semicolon)...]) : MIMEParameters()
    }
}

/// Content-Transfer-Encoding (RFC 2045 section 6).
public enum TransferEncoding: Sendable, Hashable {
    case sevenBit, eightBit, binary, base64, quotedPrintable
    case unknown(String)

    public init(value: String?) {
        guard let value else { self = .sevenBit; return }
        switch value.trimmingBlanks().lowercased() {
        case "", "7bit", "7-bit": self = .sevenBit
        case "8bit", "8-bit": self = .eightBit
        case "binary": self = .binary
        case "base64", "x-base64": self = .base64
        case "quoted-printable", "quoted_printable", "x-quoted-printable": self = .quotedPrintable
        case let other: self = .unknown(other)
        }
    }

    public var name: String {
        switch self {
        case .sevenBit: return "7bit"
        case .eightBit: return "8bit"
        case .binary: return "binary"
        case .base64: return "base64"
        case .quotedPrintable: return "quoted-printable"
        case .unknown(let s): return s
        }
    }
}
