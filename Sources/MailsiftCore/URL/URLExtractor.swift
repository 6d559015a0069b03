/// Finds URLs in plain text: `scheme://...` for http, https and ftp, `www.` hosts, and `mailto:` addresses.
/// Trailing punctuation is dropped; a closing bracket is kept only when the URL opened one.
public enum URLExtractor {
    public static func extract(from text: String, source: ExtractedURL.Source = .text, limit: Int = 1_000) -> [ExtractedURL] {
        var found: [ExtractedURL] = []
        let u = Array(text.utf8)
        let n = u.count
        var i = 0
        while i < n, found.count < limit {
            let b = ASCII.lower(u[i])
            guard b == UInt8(ascii: "h") || b == UInt8(ascii: "w") || b == UInt8(ascii: "f") || b == UInt8(ascii: "m") else {
                i += 1
                continue
            }
            let atWordStart = i == 0 || !(ASCII.isAlpha(u[i - 1]) || ASCII.isDigit(u[i - 1]))
            guard atWordStart else { i += 1; continue }
            var start: Int? = nil
            if matches(u, i, "http://") || matches(u, i, "https://") || matches(u, i, "ftp://") || matches(u, i, "hxxp://") {
                start = i
            } else if matches(u, i, "www."), i + 4 < n, ASCII.isAlpha(u[i + 4]) || ASCII.isDigit(u[i + 4]) {
                start = i
            } else if matches(u, i, "mailto:") {
                start = i
            }
            guard let s = start else { i += 1; continue }
            var e = s
            var parens = 0
            while e < n {
                let c = u[e]
                if c <= 0x20 || c == ASCII.quote || c == UInt8(ascii: "<") || c == UInt8(ascii: ">") || c == UInt8(ascii: "'")
                    || c == UInt8(ascii: "`") || c == 0x7F { break }
                if c == UInt8(ascii: "(") { parens += 1 }
                if c == UInt8(ascii: ")") {
                    if parens == 0 { break }
                    parens -= 1
                }
                e += 1
            }
            while e > s, let last = Optional(u[e - 1]),
                  last == UInt8(ascii: ".") || last == UInt8(ascii: ",") || last == UInt8(ascii: ";")
                    || last == UInt8(ascii: ":") || last == UInt8(ascii: "!") || last == UInt8(ascii: "?")
                    || last == UInt8(ascii: "]") || last == UInt8(ascii: "}") {
                e -= 1
            }
            let url = String(decoding: u[s..<e], as: UTF8.self)
            if url.utf8.count > 7 || (url.hasPrefix("www.") && url.utf8.count > 5) {
                found.append(ExtractedURL(url: url, source: source))
            }
            i = max(e, s + 1)
        }
        return found
    }

    @inline(__always)
    private static func matches(_ u: [UInt8], _ i: Int, _ lowerPrefix: StaticString) -> Bool {
        let n = lowerPrefix.utf8CodeUnitCount
        guard i + n <= u.count else { return false }
        let p = lowerPrefix.utf8Start
        for k in 0..<n where ASCII.lower(u[i + k]) != p[k] { return false }
        return true
    }
}
