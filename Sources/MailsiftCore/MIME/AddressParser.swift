/// Parses address lists (RFC 5322 section 3.4) leniently: `Name <a@b>`, `"Quoted, Name" <a@b>`, `a@b (Name)`,
/// bare `a@b`, groups (`undisclosed-recipients:;`, `team: a@b, c@d;`), and the broken forms spam uses.
/// Works on the UTF-8 bytes: every delimiter is ASCII, so each split point is a scalar boundary.
public enum AddressParser {
    public static func parseList(_ value: String?) -> [Address] { parseList(value, limit: .max) }

    /// The first `limit` addresses of the list (with a non-empty address); the rest are not parsed, so the
    /// cost of a list an attacker wrote is bounded by what the caller needs of it.
    public static func parseList(_ value: String?, limit: Int) -> [Address] {
        guard var value, !value.isEmpty, limit > 0 else { return [] }
        return value.withUTF8 { u in
            var result: [Address] = []
            for item in splitTopLevel(u) {
                guard let address = parseMailbox(u, item) else { continue }
                if limit == .max {
                    result.append(address)
                } else if !address.address.isEmpty {
                    result.append(address)
                    if result.count == limit { break }
                }
            }
            return result
        }
    }

    /// Splits on commas (and group `:` / `;`) outside quotes, angle brackets and comments.
    static func splitTopLevel(_ u: UnsafeBufferPointer<UInt8>) -> [Range<Int>] {
        var items: [Range<Int>] = []
        var start = 0
        var inQuotes = false
        var angle = 0
        var comment = 0
        var escaped = false
        for i in 0..<u.count {
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
                        items.append(start..<i)
                        start = i + 1
                    } else if c == ASCII.colon {
                        // A group name ends here; what came before is not an address.
                        start = i + 1
                    }
                }
            }
        }
        items.append(start..<u.count)
        return items
    }

    static func parseMailbox(_ u: UnsafeBufferPointer<UInt8>, _ raw: Range<Int>) -> Address? {
        let item = u.trimmingWhitespace(raw)
        guard !item.isEmpty else { return nil }
        if let lt = u[item].lastIndex(of: UInt8(ascii: "<")), let gt = u[lt..<item.upperBound].firstIndex(of: UInt8(ascii: ">")) {
            let addr = u.trimmingWhitespace((lt + 1)..<gt)
            var name = Array(u[u.trimmingWhitespace(item.lowerBound..<lt)])
            if name.first == ASCII.quote { name = unquote(name) }
            name = trimmed(stripComments(name))
            let address = stripRoute(u[addr])
            guard !address.isEmpty || !name.isEmpty else { return nil }
            return Address(displayName: name.isEmpty ? nil : String(decoding: name, as: UTF8.self), address: String(decoding: address, as: UTF8.self))
        }
        // addr-spec with an optional trailing comment holding the name: a@b (Name)
        var name: [UInt8]? = nil
        var spec = Array(u[item])
        if let open = u[item].firstIndex(of: UInt8(ascii: "(")), let close = u[item].lastIndex(of: UInt8(ascii: ")")), open < close {
            name = Array(u[u.trimmingWhitespace((open + 1)..<close)])
            spec = stripComments(spec)
        }
        spec = trimmed(spec)
        if spec.first == ASCII.quote && !spec.contains(UInt8(ascii: "@")) { return nil }
        spec.removeAll { ASCII.isBlank($0) }
        guard !spec.isEmpty else { return nil }
        let display = name.flatMap { $0.isEmpty ? nil : String(decoding: $0, as: UTF8.self) }
        return Address(displayName: display, address: String(decoding: spec, as: UTF8.self))
    }

    private static func trimmed(_ b: [UInt8]) -> [UInt8] {
        b.withUnsafeBufferPointer { Array($0[$0.trimmingWhitespace(0..<$0.count)]) }
    }

    /// The inside of a quoted string (the first byte is the quote), escapes resolved, up to the closing quote.
    private static func unquote(_ b: [UInt8]) -> [UInt8] {
        var out: [UInt8] = []
        out.reserveCapacity(b.count)
        var escaped = false
        for c in b.dropFirst() {
            if escaped { out.append(c); escaped = false; continue }
            if c == ASCII.backslash { escaped = true; continue }
            if c == ASCII.quote { break }
            out.append(c)
        }
        return out
    }

    private static func stripComments(_ b: [UInt8]) -> [UInt8] {
        guard b.contains(UInt8(ascii: "(")) else { return b }
        var out: [UInt8] = []
        var depth = 0
        for c in b {
            if c == UInt8(ascii: "(") { depth += 1 } else if c == UInt8(ascii: ")") { depth = max(0, depth - 1) } else if depth == 0 { out.append(c) }
        }
        return out
    }

    /// Drops an obsolete source route (`<@relay:user@host>`).
    private static func stripRoute(_ s: Slice<UnsafeBufferPointer<UInt8>>) -> Slice<UnsafeBufferPointer<UInt8>> {
        if s.first == UInt8(ascii: "@"), let colon = s.firstIndex(of: ASCII.colon) { return s[(colon + 1)...] }
        return s
    }
}
