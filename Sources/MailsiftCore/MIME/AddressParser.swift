/// Parses address lists (RFC 5322 section 3.4) leniently: `Name <a@b>`, `"Quoted, Name" <a@b>`, `a@b (Name)`,
/// bare `a@b`, groups (`undisclosed-recipients:;`, `team: a@b, c@d;`), and the broken forms spam uses.
public enum AddressParser {
    public static func parseList(_ value: String?) -> [Address] {
        guard let value, !value.isEmpty else { return [] }
        var result: [Address] = []
        for item in splitTopLevel(value) {
            if let address = parseMailbox(item) { result.append(address) }
        }
        return result
    }

    /// Splits on commas (and group `:` / `;`) outside quotes, angle brackets and comments. Works on the UTF-8
    /// view: every delimiter is ASCII, so each split point is a scalar boundary.
    static func splitTopLevel(_ s: String) -> [Substring] {
        var items: [Substring] = []
        let u = s.utf8
        var start = u.startIndex
        var inQuotes = false
        var angle = 0
        var comment = 0
        var escaped = false
        var i = u.startIndex
        while i < u.endIndex {
            let c = u[i]
            if escaped {
                escaped = false
            } else if c == ASCII.backslash {
                escaped = true
            } else if inQuotes {
                if c == ASCII.quote { inQuotes = false }
            } else if c == ASCII.quote {
                inQuotes = true
            } else if c == UInt8(ascii: "(") {
                comment += 1
            } else if c == UInt8(ascii: ")") {
                comment = max(0, comment - 1)
            } else if comment == 0 {
                if c == UInt8(ascii: "<") { angle += 1 } else if c == UInt8(ascii: ">") { angle = max(0, angle - 1) } else if angle == 0 {
                    if c == UInt8(ascii: ",") || c == ASCII.semicolon {
                        items.append(s[start..<i])
                        start = u.index(after: i)
                    } else if c == ASCII.colon {
                        // A group name ends here; what came before is not an address.
                        start = u.index(after: i)
                    }
                }
            }
            i = u.index(after: i)
        }
        items.append(s[start...])
        return items
    }

    static func parseMailbox(_ raw: Substring) -> Address? {
        let item = raw.trimmingBlanks()
        guard !item.isEmpty else { return nil }
        // Every delimiter is ASCII: search the UTF-8 view (a split there is a scalar boundary).
        let u = item.utf8
        if let lt = u.lastIndex(of: UInt8(ascii: "<")), let gt = u[lt...].firstIndex(of: UInt8(ascii: ">")) {
            let addr = item[u.index(after: lt)..<gt].trimmingBlanks()
            var name = String(item[..<lt].trimmingBlanks())
            if name.utf8.first == ASCII.quote { name = MIMEParameters.unquote(name) }
            name = stripComments(name).trimmingBlanks()
            let address = stripRoute(String(addr))
            guard !address.isEmpty || !name.isEmpty else { return nil }
            return Address(displayName: name.isEmpty ? nil : name, address: address)
        }
        // addr-spec with an optional trailing comment holding the name: a@b (Name)
        var name: String? = nil
        var spec = String(item)
        if let open = u.firstIndex(of: UInt8(ascii: "(")), let close = u.lastIndex(of: UInt8(ascii: ")")), open < close {
            name = String(item[u.index(after: open)..<close]).trimmingBlanks()
            spec = stripComments(spec)
        }
        spec = spec.trimmingBlanks()
        if spec.utf8.first == ASCII.quote && !spec.utf8.contains(UInt8(ascii: "@")) { return nil }
        spec.removeAll { $0 == " " || $0 == "\t" }
        guard !spec.isEmpty else { return nil }
        return Address(displayName: name?.isEmpty == false ? name : nil, address: spec)
    }

    private static func stripComments(_ s: String) -> String {
        guard s.utf8.contains(UInt8(ascii: "(")) else { return s }
        var out: [UInt8] = []
        var depth = 0
        for c in s.utf8 {
            if c == UInt8(ascii: "(") { depth += 1 } else if c == UInt8(ascii: ")") { depth = max(0, depth - 1) } else if depth == 0 { out.append(c) }
        }
        return String(decoding: out, as: UTF8.self)
    }

    /// Drops an obsolete source route (`<@relay:user@host>`).
    private static func stripRoute(_ s: String) -> String {
        if s.utf8.first == UInt8(ascii: "@"), let colon = s.utf8.firstIndex(of: ASCII.colon) { return String(s[s.utf8.index(after: colon)...]) }
        return s
    }
}
