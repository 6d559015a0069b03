/// One hop of the Received chain (RFC 5321 section 4.4), parsed leniently: every MTA writes it differently.
public struct ReceivedHop: Sendable, Hashable, Codable {
    /// The name the client gave (HELO) or that the receiver looked up, from the `from` clause.
    public var from: String?
    /// The first IP address literal in the `from` clause (`[192.0.2.1]`, `(host [192.0.2.1])`).
    public var fromIP: String?
    /// The reverse-DNS name in the `from` clause's comment, when given.
    public var fromReverseName: String?
    /// The receiving host, from the `by` clause.
    public var by: String?
    /// The protocol, from the `with` clause (`SMTP`, `ESMTPSA`...).
    public var with: String?
    /// The date after the last `;`, as seconds since 1970 UTC.
    public var timestamp: Int64?

    /// Parses one Received field; `parsesDate: false` skips the date for callers that do not read
    /// ``timestamp``. Works on the UTF-8 bytes and makes strings only for the values it keeps.
    public init(parsing value: String, parsesDate: Bool = true) {
        var copy = value
        self = copy.withUTF8 { ReceivedHop(bytes: $0, parsesDate: parsesDate) }
    }

    private init(bytes u: UnsafeBufferPointer<UInt8>, parsesDate: Bool) {
        var end = u.count
        if let semicolon = u.lastIndex(of: ASCII.semicolon) {
            if parsesDate {
                timestamp = MessageDate(bytes: UnsafeBufferPointer(rebasing: u[(semicolon + 1)...]))?.timestamp
            }
            end = semicolon
        }
        let tokens = ReceivedHop.tokenize(u, end: end)
        func word(_ i: Int) -> Keyword { Keyword(u, tokens[i]) }
        var i = 0
        while i < tokens.count {
            let next = i + 1 < tokens.count ? tokens[i + 1] : nil
            switch word(i) {
            case .from where from == nil:
                from = next.map { ReceivedHop.trimHost(u, $0) }
                // Look at the comment that follows for the reverse name and IP.
                var j = i + 2
                while j < tokens.count, !word(j).endsFromClause {
                    let t = tokens[j]
                    if fromIP == nil, let ip = ReceivedHop.ipLiteral(u, t) { fromIP = ip }
                    if fromReverseName == nil, t.count > 2, u[t.lowerBound] == UInt8(ascii: "("),
                       u[t.lowerBound + 1] != UInt8(ascii: "["),
                       !u.hasPrefixIgnoringCase("(helo", at: t.lowerBound, end: t.upperBound),
                       !u.hasPrefixIgnoringCase("(ehlo", at: t.lowerBound, end: t.upperBound),
                       !u.hasPrefixIgnoringCase("(unknown", at: t.lowerBound, end: t.upperBound) {
                        let name = ReceivedHop.trimHost(u, t)
                        if name.utf8.contains(UInt8(ascii: ".")), ReceivedHop.firstIPv4(in: name) != name { fromReverseName = name }
                    }
                    j += 1
                }
                if fromIP == nil, let raw = next, let ip = ReceivedHop.ipLiteral(u, raw) { fromIP = ip }
                i = j
                continue
            case .by where by == nil:
                by = next.map { ReceivedHop.trimHost(u, $0) }
            case .with where with == nil:
                with = next.map { String(decoding: u[$0], as: UTF8.self) }
            default:
                break
            }
            i += 1
        }
    }

    /// The clause keywords, matched without regard to ASCII case.
    private enum Keyword {
        case from, by, with, id, `for`, via, other

        init(_ u: UnsafeBufferPointer<UInt8>, _ r: Range<Int>) {
            func equals(_ s: StaticString) -> Bool {
                r.count == s.utf8CodeUnitCount && u.hasPrefixIgnoringCase(s, at: r.lowerBound, end: r.upperBound)
            }
            switch r.count {
            case 2: self = equals("by") ? .by : equals("id") ? .id : .other
            case 3: self = equals("for") ? .for : equals("via") ? .via : .other
            case 4: self = equals("from") ? .from : equals("with") ? .with : .other
            default: self = .other
            }
        }

        var endsFromClause: Bool { self != .from && self != .other }
    }

    /// Splits `u[..<end]` on blanks, keeping parenthesised runs as single words.
    static func tokenize(_ u: UnsafeBufferPointer<UInt8>, end: Int) -> [Range<Int>] {
        var tokens: [Range<Int>] = []
        tokens.reserveCapacity(16)
        var start = -1
        var depth = 0
        for i in 0..<end {
            let b = u[i]
            if b == UInt8(ascii: "(") { depth += 1 }
            if b == UInt8(ascii: ")") { depth = max(0, depth - 1) }
            if depth == 0 && ASCII.isWhitespace(b) {
                if start >= 0 { tokens.append(start..<i); start = -1 }
            } else if start < 0 {
                start = i
            }
        }
        if start >= 0 { tokens.append(start..<end) }
        return tokens
    }

    /// The host name in a token: brackets and trailing punctuation dropped, cut at a blank, lower case.
    static func trimHost(_ u: UnsafeBufferPointer<UInt8>, _ r: Range<Int>) -> String {
        var lo = r.lowerBound, hi = r.upperBound
        while lo < hi, u[lo] == UInt8(ascii: "(") || u[lo] == UInt8(ascii: "[") || u[lo] == UInt8(ascii: "<") { lo += 1 }
        while hi > lo, [UInt8(ascii: ")"), UInt8(ascii: "]"), UInt8(ascii: ">"), UInt8(ascii: ","), ASCII.semicolon].contains(u[hi - 1]) {
            hi -= 1
        }
        if let space = u[lo..<hi].firstIndex(of: ASCII.space) { hi = space }
        return ASCII.lowercased(UnsafeBufferPointer(rebasing: u[lo..<hi]))
    }

    /// The first IPv4 or bracketed IPv6 address in `u[r]`.
    static func ipLiteral(_ u: UnsafeBufferPointer<UInt8>, _ r: Range<Int>) -> String? {
        if let v4 = firstIPv4(UnsafeBufferPointer(rebasing: u[r])) { return v4 }
        guard let open = u[r].firstIndex(of: UInt8(ascii: "[")),
              let close = u[open..<r.upperBound].firstIndex(of: UInt8(ascii: "]")) else { return nil }
        var lo = open + 1
        if u.hasPrefixIgnoringCase("ipv6:", at: lo, end: close) { lo += 5 }
        let inside = u[lo..<close]
        guard inside.contains(ASCII.colon),
              inside.allSatisfy({ ASCII.hexValue($0) != nil || $0 == ASCII.colon || $0 == UInt8(ascii: ".") }) else { return nil }
        return ASCII.lowercased(UnsafeBufferPointer(rebasing: inside))
    }

    static func firstIPv4(in s: String) -> String? {
        var copy = s
        return copy.withUTF8 { firstIPv4($0) }
    }

    /// The first dotted-quad IPv4 address in `u` that is not part of a longer run of digits and dots.
    static func firstIPv4(_ u: UnsafeBufferPointer<UInt8>) -> String? {
        var i = 0
        while i < u.count {
            if ASCII.isDigit(u[i]) && (i == 0 || !(ASCII.isDigit(u[i - 1]) || u[i - 1] == UInt8(ascii: "."))) {
                var octets = 0
                var j = i
                var valid = true
                while octets < 4 {
                    var value = 0
                    let start = j
                    while j < u.count, ASCII.isDigit(u[j]), j - start < 3 { value = value * 10 + Int(u[j] - 0x30); j += 1 }
                    if j == start || value > 255 { valid = false; break }
                    octets += 1
                    if octets < 4 {
                        if j < u.count, u[j] == UInt8(ascii: ".") { j += 1 } else { valid = false; break }
                    }
                }
                if valid && octets == 4 && (j == u.count || !(ASCII.isDigit(u[j]) || u[j] == UInt8(ascii: "."))) {
                    return String(decoding: UnsafeBufferPointer(rebasing: u[i..<j]), as: UTF8.self)
                }
            }
            i += 1
        }
        return nil
    }
}
