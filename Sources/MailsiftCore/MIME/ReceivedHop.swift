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

    /// Parses one Received field; `parsesDate: false` skips the date (the costliest part) for callers
    /// that do not read ``timestamp``.
    public init(parsing value: String, parsesDate: Bool = true) {
        var clauses = value
        if let semicolon = value.lastIndex(of: ";") {
            if parsesDate {
                let dateText = value[value.index(after: semicolon)...]
                timestamp = MessageDate(parsing: String(dateText))?.timestamp
            }
            clauses = String(value[..<semicolon])
        }
        let tokens = ReceivedHop.tokenize(clauses)
        var i = 0
        while i < tokens.count {
            let word = tokens[i].lowercased()
            let nextWord = i + 1 < tokens.count ? tokens[i + 1] : nil
            switch word {
            case "from" where from == nil:
                from = nextWord.map { ReceivedHop.trimHost($0) }
                // Look at the comment that follows for the reverse name and IP.
                var j = i + 2
                while j < tokens.count, !["by", "with", "id", "for", "via"].contains(tokens[j].lowercased()) {
                    let t = tokens[j]
                    if fromIP == nil, let ip = ReceivedHop.ipLiteral(in: t) { fromIP = ip }
                    let lower = t.lowercased()
                    if fromReverseName == nil, t.hasPrefix("("), t.count > 2, !t.hasPrefix("(["), !lower.hasPrefix("(helo"),
                       !lower.hasPrefix("(ehlo"), !lower.hasPrefix("(unknown") {
                        let name = ReceivedHop.trimHost(t)
                        if name.contains("."), ReceivedHop.firstIPv4(in: name) != name { fromReverseName = name }
                    }
                    j += 1
                }
                if fromIP == nil, let raw = nextWord, let ip = ReceivedHop.ipLiteral(in: raw) { fromIP = ip }
                i = j
                continue
            case "by" where by == nil:
                by = nextWord.map { ReceivedHop.trimHost($0) }
            case "with" where with == nil:
                with = nextWord
            default:
                break
            }
            i += 1
        }
    }

    /// Splits on blanks, keeping bracketed and parenthesised runs as single words.
    static func tokenize(_ s: String) -> [String] {
        var tokens: [String] = []
        var current = ""
        var depth = 0
        for c in s {
            if c == "(" { depth += 1 }
            if c == ")" { depth = max(0, depth - 1) }
            if depth == 0 && (c == " " || c == "\t" || c == "\r" || c == "\n") {
                if !current.isEmpty { tokens.append(current); current = "" }
            } else {
                current.append(c)
            }
        }
        if !current.isEmpty { tokens.append(current) }
        return tokens
    }

    static func trimHost(_ s: String) -> String {
        var t = s[...]
        while let f = t.first, f == "(" || f == "[" || f == "<" { t = t.dropFirst() }
        while let l = t.last, l == ")" || l == "]" || l == ">" || l == "," || l == ";" { t = t.dropLast() }
        if let space = t.firstIndex(where: { $0 == " " }) { t = t[..<space] }
        return t.lowercased()
    }

    /// The first IPv4 or bracketed IPv6 address in `s`.
    static func ipLiteral(in s: String) -> String? {
        if let v4 = firstIPv4(in: s) { return v4 }
        if let open = s.firstIndex(of: "["), let close = s[open...].firstIndex(of: "]") {
            var inside = s[s.index(after: open)..<close]
            if inside.lowercased().hasPrefix("ipv6:") { inside = inside.dropFirst(5) }
            if inside.contains(":"), inside.allSatisfy({ $0.isHexDigit || $0 == ":" || $0 == "." }) { return inside.lowercased() }
        }
        return nil
    }

    static func firstIPv4(in s: String) -> String? {
        let u = Array(s.utf8)
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
                    return String(decoding: u[i..<j], as: UTF8.self)
                }
            }
            i += 1
        }
        return nil
    }
}
