/// Small helpers over host names: the registrable part (an approximation without the public-suffix list:
/// the last two labels, or three under a two-letter country code whose second level is a generic one such
/// as `co.uk`), the top-level domain, and well-known URL shorteners.
public enum DomainName {
    public static func registrable(_ host: String) -> String {
        var u = Array(host.utf8)
        while u.last == UInt8(ascii: ".") { u.removeLast() }
        for k in u.indices { u[k] = ASCII.lower(u[k]) }
        // Dots from the end: the registrable part starts after the second (or third) one.
        var dots: [Int] = []
        var k = u.count - 1
        while k >= 0, dots.count < 3 {
            if u[k] == UInt8(ascii: ".") { dots.append(k) }
            k -= 1
        }
        guard dots.count >= 2 else { return String(decoding: u, as: UTF8.self) }
        let tldLength = u.count - 1 - dots[0]
        let second = String(decoding: u[(dots[1] + 1)..<dots[0]], as: UTF8.self)
        let take = tldLength == 2 && genericSecondLevel.contains(second) ? 3 : 2
        let start = take == 3 ? (dots.count >= 3 ? dots[2] + 1 : 0) : dots[1] + 1
        return String(decoding: u[start...], as: UTF8.self)
    }

    public static func tld(_ host: String) -> String {
        guard let dot = host.lastIndex(of: ".") else { return "" }
        return host[host.index(after: dot)...].lowercased()
    }

    public static func isShortener(_ host: String) -> Bool { shorteners.contains(registrable(host)) }

    private static let genericSecondLevel: Set<String> = ["co", "com", "net", "org", "gov", "ac", "edu", "ne", "or", "go"]
    private static let shorteners: Set<String> = [
        "bit.ly", "tinyurl.com", "goo.gl", "ow.ly", "t.co", "is.gd", "buff.ly", "tiny.cc", "rebrand.ly", "cutt.ly",
        "shorturl.at", "rb.gy", "tr.im", "snipurl.com", "x.co", "lnkd.in", "s.id", "v.gd", "qr.net", "u.to",
    ]
}
