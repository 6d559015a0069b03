/// Small helpers over host names: the registrable part (an approximation without the public-suffix list:
/// the last two labels, or three under a two-letter country code whose second level is a generic one such
/// as `co.uk`), the top-level domain, and well-known URL shorteners.
public enum DomainName {
    public static func registrable(_ host: String) -> String {
        var copy = host
        return copy.withUTF8 { u in
            var end = u.count
            while end > 0, u[end - 1] == UInt8(ascii: ".") { end -= 1 }
            // Dots from the end: the registrable part starts after the second (or third) one.
            var dots = (-1, -1, -1), found = 0
            var k = end - 1
            while k >= 0, found < 3 {
                if u[k] == UInt8(ascii: ".") {
                    switch found {
                    case 0: dots.0 = k
                    case 1: dots.1 = k
                    default: dots.2 = k
                    }
                    found += 1
                }
                k -= 1
            }
            var start = 0
            if found >= 2 {
                let generic = end - 1 - dots.0 == 2 && isGenericSecondLevel(UnsafeBufferPointer(rebasing: u[(dots.1 + 1)..<dots.0]))
                start = generic ? (found >= 3 ? dots.2 + 1 : 0) : dots.1 + 1
            }
            return ASCII.lowercasedString(UnsafeBufferPointer(rebasing: u[start..<end]))
        }
    }

    /// `co`, `com`, `net`... as the second level under a two-letter country code (`example.co.uk`).
    private static func isGenericSecondLevel(_ label: UnsafeBufferPointer<UInt8>) -> Bool {
        guard label.count == 2 || label.count == 3 else { return false }
        return genericSecondLevel.contains(ASCII.packedKey(label))
    }

    public static func tld(_ host: String) -> String {
        guard let dot = host.lastIndex(of: ".") else { return "" }
        return host[host.index(after: dot)...].lowercased()
    }

    public static func isShortener(_ host: String) -> Bool { isShortener(registrable: registrable(host)) }

    /// Whether a registrable domain (``registrable(_:)``'s result) is a well-known URL shortener.
    public static func isShortener(registrable domain: String) -> Bool { shorteners.contains(domain) }

    /// The generic second-level labels, packed as bytes.
    private static let genericSecondLevel: Set<UInt32> = Set(["co", "com", "net", "org", "gov", "ac", "edu", "ne", "or", "go"].map {
        ASCII.packedKey($0.utf8)
    })
    private static let shorteners: Set<String> = [
        "bit.ly", "tinyurl.com", "goo.gl", "ow.ly", "t.co", "is.gd", "buff.ly", "tiny.cc", "rebrand.ly", "cutt.ly",
        "shorturl.at", "rb.gy", "tr.im", "snipurl.com", "x.co", "lnkd.in", "s.id", "v.gd", "qr.net", "u.to",
    ]
}
