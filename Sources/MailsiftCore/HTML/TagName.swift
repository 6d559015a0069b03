/// An HTML tag or attribute name, lower-cased and packed into an integer so that the extractor compares and
/// classifies names without building strings: the first seven bytes and the length (names that share both
/// are rare and only ever merged, never misread as a different known name).
struct TagName: Hashable, Sendable {
    let rawValue: UInt64

    init(_ u: UnsafeBufferPointer<UInt8>, _ range: Range<Int>) {
        var v: UInt64 = 0
        for k in range.prefix(7) { v = (v << 8) | UInt64(ASCII.lower(u[k])) }
        rawValue = v | (UInt64(min(range.count, 255)) << 56)
    }

    init(_ name: StaticString) {
        rawValue = name.withUTF8Buffer { TagName($0, 0..<$0.count).rawValue }
    }

    enum Kind: UInt8, Sendable { case inline, block, lineBreak, raw, image, form, iframe }

    var kind: Kind { Kind(rawValue: TagName.table.info(self) & 0x7) ?? .inline }

    /// Elements that never have content (`<br>`, `<img>`): not pushed on the open-element stack.
    var isVoid: Bool { TagName.table.info(self) & 0x8 != 0 }

    static let a = TagName("a")
    static let area = TagName("area")
    static let font = TagName("font")
    static let form = TagName("form")
    static let img = TagName("img")
    static let script = TagName("script")
    // Attributes the extractor reads.
    static let style = TagName("style")
    static let hidden = TagName("hidden")
    static let bgcolor = TagName("bgcolor")
    static let color = TagName("color")
    static let size = TagName("size")
    static let href = TagName("href")
    static let src = TagName("src")
    static let background = TagName("background")
    static let action = TagName("action")
    static let alt = TagName("alt")

    /// Known element names with their kind (low three bits) and whether they are void (bit 3), in an
    /// open-addressed table probed with one multiply: the extractor asks this for every tag, and a
    /// `Dictionary` spent more time hashing the key than the rest of the tag's handling.
    private struct Table: Sendable {
        static let slots = 256
        private var keys = [UInt64](repeating: 0, count: slots)
        private var values = [UInt8](repeating: 0, count: slots)

        init() {
            let groups: [(Kind, [StaticString])] = [
                (.raw, ["script", "style", "template", "xml", "noembed", "object", "applet"]),
                (.lineBreak, ["br", "hr"]),
                (.image, ["img"]),
                (.form, ["form"]),
                (.iframe, ["iframe", "frame"]),
                (.block, [
                    "p", "div", "tr", "li", "ul", "ol", "table", "h1", "h2", "h3", "h4", "h5", "h6", "blockquote",
                    "pre", "title", "dl", "dt", "dd", "center", "section", "article", "header", "footer", "address",
                    "td", "th", "tbody", "thead", "html", "body", "head", "option", "select", "fieldset", "legend",
                    "caption", "nav", "main", "aside", "figure", "figcaption",
                ]),
            ]
            for (kind, names) in groups {
                for name in names { insert(TagName(name), kind.rawValue) }
            }
            let voids: [StaticString] = [
                "br", "hr", "img", "input", "meta", "link", "area", "base", "col", "embed", "param", "source",
                "track", "wbr", "keygen",
            ]
            for name in voids { insert(TagName(name), 0x8) }
        }

        @inline(__always)
        private static func slot(_ key: UInt64) -> Int { Int(truncatingIfNeeded: (key &* 0x9E37_79B9_7F4A_7C15) >> 56) }

        private mutating func insert(_ name: TagName, _ bits: UInt8) {
            var i = Table.slot(name.rawValue)
            while keys[i] != 0 && keys[i] != name.rawValue { i = (i + 1) & (Table.slots - 1) }
            keys[i] = name.rawValue
            values[i] |= bits
        }

        /// The bits of a name; 0 (inline, not void) for names not in the table.
        @inline(__always)
        func info(_ name: TagName) -> UInt8 {
            var i = Table.slot(name.rawValue)
            while true {
                let k = keys[i]
                if k == name.rawValue { return values[i] }
                if k == 0 { return 0 }
                i = (i + 1) & (Table.slots - 1)
            }
        }
    }

    private static let table = Table()
}
