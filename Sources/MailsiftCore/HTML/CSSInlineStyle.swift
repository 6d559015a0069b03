/// The few properties of an inline `style` attribute that decide whether text can be seen. Read on the
/// UTF-8 bytes: property names are matched without making strings, and only the values of the properties
/// that matter are looked at.
struct CSSInlineStyle {
    var hides = false
    /// `font-size`: true for a size under one unit (the text cannot be read), false for a readable size, which
    /// makes text visible again inside an element whose size was zero (the responsive layouts' `font-size:0`
    /// container whose columns set their own size); nil when not set.
    var zeroFontSize: Bool? = nil
    var color: UInt32? = nil
    var background: UInt32? = nil

    init(parsing style: String) {
        var s = style
        self = s.withUTF8 { CSSInlineStyle(bytes: $0) }
    }

    private init(bytes u: UnsafeBufferPointer<UInt8>) {
        var start = 0
        for end in 0...u.count where end == u.count || u[end] == ASCII.semicolon {
            defer { start = end + 1 }
            guard end > start, let colon = u[start..<end].firstIndex(of: ASCII.colon) else { continue }
            let property = u.trimmingWhitespace(start..<colon)
            var value = u.trimmingWhitespace((colon + 1)..<end)
            func named(_ name: StaticString) -> Bool {
                property.count == name.utf8CodeUnitCount && u.hasPrefixIgnoringCase(name, at: property.lowerBound, end: property.upperBound)
            }
            guard named("display") || named("visibility") || named("opacity") || named("font-size") || named("max-height")
                || named("color") || named("background-color") || named("background") else { continue }
            if let bang = u[value].firstIndex(of: UInt8(ascii: "!")) { value = u.trimmingWhitespace(value.lowerBound..<bang) }
            let v = UnsafeBufferPointer(rebasing: u[value])
            func equals(_ word: StaticString) -> Bool { v.count == word.utf8CodeUnitCount && v.hasPrefixIgnoringCase(word, at: 0, end: v.count) }
            if named("display") {
                if equals("none") { hides = true }
            } else if named("visibility") {
                if equals("hidden") || equals("collapse") { hides = true }
            } else if named("opacity") {
                if let o = Double(String(decoding: v, as: UTF8.self).lowercased()), o < 0.05 { hides = true }
            } else if named("font-size") {
                zeroFontSize = CSSInlineStyle.isZeroLength(v) ? true : CSSInlineStyle.isReadableSize(v) ? false : nil
            } else if named("max-height") {
                if CSSInlineStyle.isZeroLength(v) { hides = true }
            } else if named("color") {
                color = CSSInlineStyle.parseColor(v)
            } else {
                // background(-color): the first word that is a colour.
                var w = 0
                while w < v.count {
                    while w < v.count, v[w] == ASCII.space { w += 1 }
                    let s = w
                    while w < v.count, v[w] != ASCII.space { w += 1 }
                    if w > s, let c = CSSInlineStyle.parseColor(UnsafeBufferPointer(rebasing: v[s..<w])) { background = c; break }
                }
            }
        }
    }

    /// A size that is readable whatever the parent's: one unit or more of an absolute unit or of one relative to the
    /// root or the viewport (`12px`, `10pt`, `1rem`), or an absolute-size keyword (`small`, `medium`, `initial`). Units
    /// relative to the parent (`em`, `%`, `ex`, `ch`, `smaller`, `larger`) and `inherit`, `unset`, `var(...)` are a
    /// zero parent's zero, so they are not.
    static func isReadableSize(_ v: UnsafeBufferPointer<UInt8>) -> Bool {
        func isExactly(_ word: StaticString, from start: Int) -> Bool {
            v.count - start == word.utf8CodeUnitCount && v.hasPrefixIgnoringCase(word, at: start, end: v.count)
        }
        if readableKeywords.contains(where: { isExactly($0, from: 0) }) { return true }
        // One unit or more: a digit other than 0 before any decimal point.
        var i = 0
        var whole = false
        while i < v.count, ASCII.isDigit(v[i]) {
            if v[i] != UInt8(ascii: "0") { whole = true }
            i += 1
        }
        guard whole else { return false }
        if i < v.count, v[i] == UInt8(ascii: ".") {
            i += 1
            while i < v.count, ASCII.isDigit(v[i]) { i += 1 }
        }
        return absoluteUnits.contains { isExactly($0, from: i) }
    }

    static let readableKeywords: [StaticString] = ["xx-small", "x-small", "small", "medium", "large", "x-large", "xx-large", "xxx-large", "initial"]
    static let absoluteUnits: [StaticString] = ["px", "pt", "pc", "in", "cm", "mm", "q", "rem", "vw", "vh", "vmin", "vmax"]

    /// A length below one unit (`0`, `0px`, `.5em`).
    static func isZeroLength(_ v: UnsafeBufferPointer<UInt8>) -> Bool {
        let number = v.prefix { ASCII.isDigit($0) || $0 == UInt8(ascii: ".") }
        guard !number.isEmpty, let d = Double(String(decoding: number, as: UTF8.self)) else { return false }
        return d < 1.0
    }

    static func parseColor(_ raw: Substring) -> UInt32? {
        var s = String(raw)
        return s.withUTF8 { parseColor($0) }
    }

    /// `#rgb`, `#rrggbb`, `rrggbb`, `rgb(r,g,b)` or a common colour name, as 0xRRGGBB.
    static func parseColor(_ raw: UnsafeBufferPointer<UInt8>) -> UInt32? {
        let r = raw.trimmingWhitespace(0..<raw.count)
        let v = UnsafeBufferPointer(rebasing: raw[r])
        func hex(_ h: Slice<UnsafeBufferPointer<UInt8>>) -> UInt32? {
            var n: UInt32 = 0
            for b in h {
                guard let d = ASCII.hexValue(b) else { return nil }
                n = n << 4 | UInt32(d)
            }
            return n
        }
        if v.first == UInt8(ascii: "#") || (v.count == 6 && v.allSatisfy { ASCII.hexValue($0) != nil }) {
            let digits = v.first == UInt8(ascii: "#") ? v.dropFirst() : v[...]
            if digits.count == 3, let n = hex(digits) {
                let r = (n >> 8) & 0xF, g = (n >> 4) & 0xF, b = n & 0xF
                return (r * 17) << 16 | (g * 17) << 8 | (b * 17)
            }
            return digits.count == 6 ? hex(digits) : nil
        }
        if v.hasPrefixIgnoringCase("rgb(", at: 0, end: v.count) {
            let inner = v[4...].prefix { $0 != UInt8(ascii: ")") }
            var parts: [UInt32] = []
            var start = inner.startIndex
            for end in inner.startIndex...inner.endIndex where end == inner.endIndex || v[end] == UInt8(ascii: ",") {
                defer { start = end + 1 }
                let t = v.trimmingWhitespace(start..<end)
                guard !t.isEmpty, let n = ASCII.integer(UnsafeBufferPointer(rebasing: v[t])), let c = UInt32(exactly: n) else { continue }
                parts.append(c)
            }
            guard parts.count == 3, parts.allSatisfy({ $0 <= 255 }) else { return nil }
            return parts[0] << 16 | parts[1] << 8 | parts[2]
        }
        guard v.count <= 11, v.allSatisfy(ASCII.isAlpha) else { return nil }
        return names[ASCII.lowercasedString(v)]
    }

    private static let names: [String: UInt32] = [
        "white": 0xFFFFFF, "black": 0x000000, "red": 0xFF0000, "green": 0x008000, "blue": 0x0000FF,
        "yellow": 0xFFFF00, "gray": 0x808080, "grey": 0x808080, "silver": 0xC0C0C0, "navy": 0x000080,
        "maroon": 0x800000, "purple": 0x800080, "teal": 0x008080, "olive": 0x808000, "lime": 0x00FF00,
        "aqua": 0x00FFFF, "fuchsia": 0xFF00FF, "orange": 0xFFA500, "snow": 0xFFFAFA, "ivory": 0xFFFFF0,
        "whitesmoke": 0xF5F5F5, "ghostwhite": 0xF8F8FF, "floralwhite": 0xFFFAF0, "azure": 0xF0FFFF,
    ]
}
