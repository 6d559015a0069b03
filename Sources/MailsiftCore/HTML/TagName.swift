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

    enum Kind: Sendable { case inline, block, lineBreak, raw, image, form, iframe }

    var kind: Kind { TagName.kinds[self] ?? .inline }

    /// Elements that never have content (`<br>`, `<img>`): not pushed on the open-element stack.
    var isVoid: Bool { TagName.voids.contains(self) }

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

    private static let kinds: [TagName: Kind] = {
        var t: [TagName: Kind] = [:]
        let groups: [(Kind, [StaticString])] = [
            (.raw, ["script", "style", "template", "xml", "noembed", "object", "applet"]),
            (.lineBreak, ["br", "hr"]),
            (.image, ["img"]),
            (.form, ["form"]),
            (.iframe, ["iframe", "frame"]),
            (.block, [
                "p", "div", "tr", "li", "ul", "ol", "table", "h1", "h2", "h3", "h4", "h5", "h6", "blockquote", "pre",
                "title", "dl", "dt", "dd", "center", "section", "article", "header", "footer", "address", "td", "th",
                "tbody", "thead", "html", "body", "head", "option", "select", "fieldset", "legend", "caption", "nav",
                "main", "aside", "figure", "figcaption",
            ]),
        ]
        for (kind, names) in groups {
            for name in names { t[TagName(name)] = kind }
        }
        return t
    }()

    private static let voids: Set<TagName> = Set(
        (["br", "hr", "img", "input", "meta", "link", "area", "base", "col", "embed", "param", "source", "track", "wbr", "keygen"] as [StaticString])
            .map(TagName.init)
    )
}
