/// Finds URLs in plain text: `scheme://...` for http, https and ftp (and the defanged `hxxp://`), `www.`
/// hosts, and `mailto:` addresses. Trailing punctuation is dropped; a closing bracket is kept only when the
/// URL opened one.
public enum URLExtractor {
    public static func extract(from text: String, source: ExtractedURL.Source = .text, limit: Int = 1_000) -> [ExtractedURL] {
        var text = text
        return text.withUTF8 { extract(from: $0, source: source, limit: limit) }
    }

    public static func extract(from u: UnsafeBufferPointer<UInt8>, source: ExtractedURL.Source = .text, limit: Int = 1_000) -> [ExtractedURL] {
        let starts = candidateStarts(u)
        guard !starts.isEmpty else { return [] }
        let n = u.count
        var found: [ExtractedURL] = []
        var i = 0
        for s in starts where s >= i {
            guard found.count < limit else { break }
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

    /// Where a URL may start, in order: found from each `:` (a scheme before it) and each `.` (`www` before
    /// it) rather than by testing every byte.
    static func candidateStarts(_ u: UnsafeBufferPointer<UInt8>) -> [Int] {
        let n = u.count
        var starts: [Int] = []
        func atWordStart(_ s: Int) -> Bool { s == 0 || !(ASCII.isAlpha(u[s - 1]) || ASCII.isDigit(u[s - 1])) }
        var c = u.firstIndex(of: ASCII.colon, from: 0, end: n)
        while c < n {
            for (scheme, length) in schemes where c >= length {
                let s = c - length
                if u.hasPrefixIgnoringCase(scheme, at: s, end: n), atWordStart(s) {
                    starts.append(s)
                    break
                }
            }
            c = u.firstIndex(of: ASCII.colon, from: c + 1, end: n)
        }
        let colonStarts = starts.count
        var d = u.firstIndex(of: UInt8(ascii: "."), from: 0, end: n)
        while d < n {
            if d >= 3, d + 1 < n, ASCII.isAlpha(u[d + 1]) || ASCII.isDigit(u[d + 1]),
               u.hasPrefixIgnoringCase("www.", at: d - 3, end: n), atWordStart(d - 3) {
                starts.append(d - 3)
            }
            d = u.firstIndex(of: UInt8(ascii: "."), from: d + 1, end: n)
        }
        if colonStarts > 0 && starts.count > colonStarts { starts.sort() }
        return starts
    }

    /// Each scheme with the length of what precedes its `:`.
    private static let schemes: [(StaticString, Int)] = [("http://", 4), ("https://", 5), ("ftp://", 3), ("hxxp://", 4), ("mailto:", 6)]
}
