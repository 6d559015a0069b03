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
        var copy = value
        if let fast = copy.withUTF8({ ContentType.parseSimple($0) }) {
            self = fast
            return
        }
        let s = value[...]
        let semicolon = s.firstIndex(of: ";") ?? s.endIndex
        let mime = s[..<semicolon].trimmingBlanks()
        let slashParts = mime.split(separator: "/", omittingEmptySubsequences: false)
        guard slashParts.count == 2 else { return nil }
        let type = slashParts[0].trimmingBlanks().fastLowercased()
        let subtype = slashParts[1].trimmingBlanks().fastLowercased()
        guard !type.isEmpty, !subtype.isEmpty,
              !type.contains(where: { $0 == " " || $0 == "\t" }),
              !subtype.contains(where: { $0 == " " || $0 == "\t" }) else { return nil }
        self.type = type
        self.subtype = subtype
        self.parameters = semicolon < s.endIndex ? MIMEParameters(parsing: s[s.index(after: semicolon)...]) : MIMEParameters()
    }
}

extension ContentType {
    /// The common case, over bytes: `type/subtype` and plain `name=value` / `name="value"` parameters with no
    /// RFC 2231 sections, escapes or encoded-words. Returns nil to hand anything else to the general parser.
    static func parseSimple(_ u: UnsafeBufferPointer<UInt8>) -> ContentType? {
        func lowerString(_ s: Int, _ e: Int) -> String {
            String(decoding: UnsafeBufferPointer(rebasing: u[s..<e]).map(ASCII.lower), as: UTF8.self)
        }
        let n = u.count
        var i = 0
        while i < n, ASCII.isWhitespace(u[i]) { i += 1 }
        let typeStart = i
        while i < n, u[i] != UInt8(ascii: "/"), u[i] != ASCII.semicolon, !ASCII.isWhitespace(u[i]) { i += 1 }
        guard i < n, u[i] == UInt8(ascii: "/"), i > typeStart else { return nil }
        let typeEnd = i
        i += 1
        let subStart = i
        while i < n, u[i] != ASCII.semicolon, !ASCII.isWhitespace(u[i]), u[i] != UInt8(ascii: "/") { i += 1 }
        guard i > subStart else { return nil }
        let subEnd = i
        while i < n, ASCII.isWhitespace(u[i]) { i += 1 }
        guard i == n || u[i] == ASCII.semicolon else { return nil }
        var params = MIMEParameters()
        while i < n {
            i += 1 // past ';'
            while i < n, ASCII.isWhitespace(u[i]) || u[i] == ASCII.semicolon { i += 1 }
            if i == n { break }
            let nameStart = i
            while i < n, u[i] != ASCII.equals, u[i] != ASCII.semicolon, !ASCII.isWhitespace(u[i]) {
                if u[i] == UInt8(ascii: "*") { return nil }
                i += 1
            }
            let nameEnd = i
            while i < n, ASCII.isBlank(u[i]) || u[i] == ASCII.cr || u[i] == ASCII.lf { i += 1 }
            guard i < n, u[i] == ASCII.equals, nameEnd > nameStart else { return nil }
            i += 1
            while i < n, ASCII.isWhitespace(u[i]) { i += 1 }
            var valueStart = i
            var valueEnd: Int
            if i < n, u[i] == ASCII.quote {
                valueStart = i + 1
                var j = valueStart
                while j < n, u[j] != ASCII.quote {
                    if u[j] == ASCII.backslash { return nil }
                    j += 1
                }
                guard j < n else { return nil }
                valueEnd = j
                i = j + 1
                while i < n, ASCII.isWhitespace(u[i]) { i += 1 }
                guard i == n || u[i] == ASCII.semicolon else { return nil }
            } else {
                while i < n, u[i] != ASCII.semicolon { i += 1 }
                valueEnd = i
                while valueEnd > valueStart, ASCII.isWhitespace(u[valueEnd - 1]) { valueEnd -= 1 }
            }
            let value = UnsafeBufferPointer(rebasing: u[valueStart..<valueEnd])
            if value.indices.contains(where: { $0 + 1 < value.count && value[$0] == ASCII.equals && value[$0 + 1] == ASCII.question }) {
                return nil
            }
            let name = lowerString(nameStart, nameEnd)
            if params[name] == nil { params.appendPair(name, String(decoding: value, as: UTF8.self)) }
        }
        return ContentType(type: lowerString(typeStart, typeEnd), subtype: lowerString(subStart, subEnd), parameters: params)
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
        kind = s[..<semicolon].trimmingBlanks().fastLowercased()
        parameters = semicolon < s.endIndex ? MIMEParameters(parsing: s[s.index(after: semicolon)...]) : MIMEParameters()
    }
}

/// Content-Transfer-Encoding (RFC 2045 section 6).
public enum TransferEncoding: Sendable, Hashable {
    case sevenBit, eightBit, binary, base64, quotedPrintable
    case unknown(String)

    /// The name the feature views use (`quotedPrintable`, `unknown("x-uuencode")`).
    var featureName: String {
        switch self {
        case .sevenBit: return "sevenBit"
        case .eightBit: return "eightBit"
        case .binary: return "binary"
        case .base64: return "base64"
        case .quotedPrintable: return "quotedPrintable"
        case .unknown: return "\(self)"
        }
    }

    public init(value: String?) {
        guard let value else { self = .sevenBit; return }
        switch value.trimmingBlanks().fastLowercased() {
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
