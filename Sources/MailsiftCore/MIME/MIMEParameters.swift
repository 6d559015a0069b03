/// Parameters of a structured MIME header (`; name=value`), with RFC 2231 continuations and charsets
/// (`name*0*=utf-8''%E2%82%AC`) assembled, quotes removed and encoded-words in values decoded.
public struct MIMEParameters: Sendable, Hashable {
    /// Lower-cased names and decoded values, in order of first appearance.
    public private(set) var pairs: [(name: String, value: String)] = []

    public init() {}

    mutating func appendPair(_ name: String, _ value: String) { pairs.append((name, value)) }

    public subscript(name: String) -> String? {
        let key = name.fastLowercased()
        return pairs.first { $0.name == key }?.value
    }

    public static func == (a: MIMEParameters, b: MIMEParameters) -> Bool {
        a.pairs.elementsEqual(b.pairs) { $0.name == $1.name && $0.value == $1.value }
    }

    public func hash(into hasher: inout Hasher) {
        for p in pairs { hasher.combine(p.name); hasher.combine(p.value) }
    }

    /// Parses the text after the first `;` of a structured field.
    public init(parsing text: Substring) {
        var simple: [(String, String)] = []
        // name -> (section -> (value, extended))
        var sections: [String: [Int: (String, Bool)]] = [:]
        var order: [String] = []
        for item in MIMEParameters.splitItems(text) {
            guard let eq = item.firstIndex(of: "=") else { continue }
            var name = item[..<eq].trimmingBlanks().fastLowercased()
            var value = String(item[item.index(after: eq)...].trimmingBlanks())
            guard !name.isEmpty else { continue }
            if value.hasPrefix("\"") { value = MIMEParameters.unquote(value) }
            if let star = name.firstIndex(of: "*") {
                let extended = name.hasSuffix("*")
                let sectionText = name[name.index(after: star)...].filter(\.isNumber)
                let section = Int(sectionText) ?? 0
                name = String(name[..<star])
                if sections[name] == nil { sections[name] = [:]; order.append(name) }
                sections[name]![section] = (value, extended)
            } else {
                if !simple.contains(where: { $0.0 == name }) && sections[name] == nil { order.append(name) }
                simple.append((name, value))
            }
        }
        for name in order {
            if let parts = sections[name] {
                pairs.append((name, MIMEParameters.assemble(parts)))
            } else if let value = simple.first(where: { $0.0 == name })?.1 {
                let decoded = EncodedWordDecoder.decode(value).0
                pairs.append((name, decoded))
            }
        }
    }

    /// Splits on `;` outside quoted strings.
    static func splitItems(_ text: Substring) -> [Substring] {
        var items: [Substring] = []
        var start = text.startIndex
        var inQuotes = false
        var escaped = false
        var i = text.startIndex
        while i < text.endIndex {
            let c = text[i]
            if escaped { escaped = false } else if c == "\\" && inQuotes { escaped = true } else if c == "\"" {
                inQuotes.toggle()
            } else if c == ";" && !inQuotes {
                items.append(text[start..<i])
                start = text.index(after: i)
            }
            i = text.index(after: i)
        }
        items.append(text[start...])
        return items
    }

    static func unquote(_ value: String) -> String {
        var out = ""
        var escaped = false
        for c in value.dropFirst() {
            if escaped { out.append(c); escaped = false; continue }
            if c == "\\" { escaped = true; continue }
            if c == "\"" { break }
            out.append(c)
        }
        return out
    }

    /// Joins RFC 2231 sections in order and decodes the percent-encoded ones in the declared charset.
    static func assemble(_ parts: [Int: (String, Bool)]) -> String {
        var charset: String? = nil
        var bytes: [UInt8] = []
        for (index, key) in parts.keys.sorted().enumerated() {
            var (value, extended) = parts[key]!
            if extended && index == 0 {
                // charset'language'value
                let pieces = value.split(separator: "'", maxSplits: 2, omittingEmptySubsequences: false)
                if pieces.count == 3 {
                    charset = pieces[0].isEmpty ? nil : String(pieces[0])
                    value = String(pieces[2])
                }
            }
            if extended {
                var u = Array(value.utf8)[...]
                while let b = u.popFirst() {
                    if b == UInt8(ascii: "%"), u.count >= 2, let hi = ASCII.hexValue(u[u.startIndex]),
                       let lo = ASCII.hexValue(u[u.startIndex + 1]) {
                        bytes.append(hi << 4 | lo)
                        u = u.dropFirst(2)
                    } else {
                        bytes.append(b)
                    }
                }
            } else {
                bytes.append(contentsOf: value.utf8)
            }
        }
        return bytes.withUnsafeBufferPointer { CharsetDecoder.decode($0, label: charset ?? "utf-8").text }
    }
}

extension Substring {
    /// Without leading and trailing spaces, tabs, CRs and LFs (by byte, so a CRLF pair, one `Character`,
    /// is trimmed too).
    func trimmingBlanks() -> Substring {
        let u = utf8
        var lo = u.startIndex
        var hi = u.endIndex
        while lo < hi, ASCII.isWhitespace(u[lo]) { lo = u.index(after: lo) }
        while hi > lo, ASCII.isWhitespace(u[u.index(before: hi)]) { hi = u.index(before: hi) }
        return self[lo..<hi]
    }
}

extension String {
    func trimmingBlanks() -> String { String(self[...].trimmingBlanks()) }
}
