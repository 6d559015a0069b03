import Synchronization

/// Small helpers over host names: the registrable part, the top-level domain, and well-known URL shorteners.
///
/// The registrable part comes from the Public Suffix List when the process has one (``use(_:)``: `mailsift` installs
/// libpsl's at start); without one it is approximated: the last two labels, or three under a two-letter country code
/// whose second level is a generic one such as `co.uk`.
public enum DomainName {
    /// The Public Suffix List ``registrable(_:)`` answers from; nil: the approximation.
    private static let suffixes = Mutex<(any PublicSuffixes)?>(nil)

    /// Makes ``registrable(_:)`` answer from `list` (nil: the approximation) for the whole process. Call it once, at
    /// start, before any message is analysed: the learned models read registrable domains, and a model must be served
    /// with the answers it was trained with.
    public static func use(_ list: (any PublicSuffixes)?) {
        suffixes.withLock { $0 = list }
    }

    /// The Public Suffix List installed by ``use(_:)``, for other readers of the list (DMARC), so that the process
    /// loads and caches it once; nil when none is.
    public static var publicSuffixes: (any PublicSuffixes)? { suffixes.withLock { $0 } }

    /// Whether ``registrable(_:)`` answers from a Public Suffix List.
    public static var usesPublicSuffixList: Bool { publicSuffixes != nil }

    /// The registrable domain of `host`, lower case, without trailing dots: the Public Suffix List's (``use(_:)``),
    /// `host` itself where the list has no answer (a public suffix, an IP address, no domain at all); else
    /// ``approximatelyRegistrable(_:)``.
    public static func registrable(_ host: String) -> String {
        registrable(host, suffixes: suffixes.withLock { $0 })
    }

    /// The last few hosts a loop asked about and their registrable domains: a message's links mostly name a few
    /// hosts again and again, and each answer from the list costs a lock and a dictionary lookup.
    public struct Recent {
        private var hosts: [(host: String, domain: String)] = []
        private var next = 0
        public init() {}

        /// ``DomainName/registrable(_:)`` of `host`, from the last four answers when it is one of them.
        public mutating func registrable(_ host: String) -> String {
            if let hit = hosts.first(where: { $0.host == host }) { return hit.domain }
            let domain = DomainName.registrable(host)
            if hosts.count < 4 { hosts.append((host, domain)) } else { hosts[next] = (host, domain) }
            next = (next + 1) & 3
            return domain
        }
    }

    /// The registrable domain of `host` by `list` (nil: ``approximatelyRegistrable(_:)``), as ``registrable(_:)``.
    public static func registrable(_ host: String, suffixes list: (any PublicSuffixes)?) -> String {
        guard let list else { return approximatelyRegistrable(host) }
        if let domain = list.organizationalDomain(host) { return domain }
        var name = host.lowercased()
        while name.hasSuffix(".") { name.removeLast() }
        return name
    }

    /// The registrable domain without the Public Suffix List: the last two labels, three under a two-letter country
    /// code whose second level is generic (`example.co.uk`).
    public static func approximatelyRegistrable(_ host: String) -> String {
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
