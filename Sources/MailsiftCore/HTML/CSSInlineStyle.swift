/// The few properties of an inline `style` attribute that decide whether text can be seen.
struct CSSInlineStyle {
    var hides = false
    var color: UInt32? = nil
    var background: UInt32? = nil

    init(parsing style: String) {
        for declaration in style.split(separator: ";") {
            guard let colon = declaration.firstIndex(of: ":") else { continue }
            let property = declaration[..<colon].trimmingBlanks().lowercased()
            var value = declaration[declaration.index(after: colon)...].trimmingBlanks().lowercased()
            if let bang = value.firstIndex(of: "!") { value = String(value[..<bang]).trimmingBlanks() }
            switch property {
            case "display": if value == "none" { hides = true }
            case "visibility": if value == "hidden" || value == "collapse" { hides = true }
            case "opacity": if let v = Double(value), v < 0.05 { hides = true }
            case "font-size", "max-height":
                if CSSInlineStyle.isZeroLength(value) { hides = true }
            case "color":
                color = CSSInlineStyle.parseColor(value[...])
            case "background-color", "background":
                if let c = value.split(separator: " ").lazy.compactMap({ CSSInlineStyle.parseColor($0) }).first { background = c }
            default:
                break
            }
        }
    }

    static func isZeroLength(_ v: String) -> Bool {
        let number = v.prefix { $0.isNumber || $0 == "." }
        guard !number.isEmpty, let d = Double(number) else { return false }
        return d < 1.0
    }

    /// `#rgb`, `#rrggbb`, `rgb(r,g,b)` or a common colour name, as 0xRRGGBB.
    static func parseColor(_ raw: Substring) -> UInt32? {
        let v = raw.trimmingBlanks().lowercased()
        if v.hasPrefix("#") || (v.count == 6 && v.allSatisfy(\.isHexDigit)) {
            let hex = v.hasPrefix("#") ? String(v.dropFirst()) : v
            if hex.count == 3, let n = UInt32(hex, radix: 16) {
                let r = (n >> 8) & 0xF, g = (n >> 4) & 0xF, b = n & 0xF
                return (r * 17) << 16 | (g * 17) << 8 | (b * 17)
            }
            if hex.count == 6 { return UInt32(hex, radix: 16) }
            return nil
        }
        if v.hasPrefix("rgb(") {
            let inner = v.dropFirst(4).prefix { $0 != ")" }
            let parts = inner.split(separator: ",").compactMap { UInt32($0.trimmingBlanks()) }
            guard parts.count == 3, parts.allSatisfy({ $0 <= 255 }) else { return nil }
            return parts[0] << 16 | parts[1] << 8 | parts[2]
        }
        return names[v]
    }

    private static let names: [String: UInt32] = [
        "white": 0xFFFFFF, "black": 0x000000, "red": 0xFF0000, "green": 0x008000, "blue": 0x0000FF,
        "yellow": 0xFFFF00, "gray": 0x808080, "grey": 0x808080, "silver": 0xC0C0C0, "navy": 0x000080,
        "maroon": 0x800000, "purple": 0x800080, "teal": 0x008080, "olive": 0x808000, "lime": 0x00FF00,
        "aqua": 0x00FFFF, "fuchsia": 0xFF00FF, "orange": 0xFFA500, "snow": 0xFFFAFA, "ivory": 0xFFFFF0,
        "whitesmoke": 0xF5F5F5, "ghostwhite": 0xF8F8FF, "floralwhite": 0xFFFAF0, "azure": 0xF0FFFF,
    ]
}
