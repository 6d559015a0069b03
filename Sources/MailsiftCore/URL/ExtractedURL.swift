/// A URL found in a message, where it was found, and the traits phishing detection looks at.
public struct ExtractedURL: Sendable, Hashable, Codable {
    public enum Source: String, Sendable, Codable {
        /// In plain text (or the visible text of HTML).
        case text
        /// An `<a href>` or `<area href>` link.
        case href
        /// An `<img src>`, `<iframe src>`, `background=` or similar resource.
        case src
        /// A `<form action>`.
        case form
        /// A link inside an attached document (a PDF's `/URI`): read by the rules, not by the models.
        case attachment
    }

    public var url: String
    public var source: Source
    /// The visible text of the link, for `href` URLs.
    public var anchorText: String?
    /// Lower-cased host without user info or port; "" when none could be found.
    public var host: String
    /// The host is an IP address (dotted, decimal, hex or bracketed IPv6).
    public var isIPLiteral: Bool
    /// The URL has `user@` before the host (`http://bank.com@evil.example/`).
    public var hasUserInfo: Bool

    /// The URL was longer than ``maxURLBytes`` (or its host than ``maxHostBytes``) and is kept cut.
    public var truncated: Bool

    /// Longest URL kept, in UTF-8 bytes: past it the URL is cut (a real link is rarely over 2 KB; a crafted
    /// one of megabytes would cost every feature that reads it time in proportion).
    public static let maxURLBytes = 4_096
    /// Longest host kept (a DNS name has at most 253 bytes).
    public static let maxHostBytes = 253

    public init(url: String, source: Source, anchorText: String? = nil) {
        let cut = url.utf8.count > Self.maxURLBytes
        self.url = cut ? Self.prefix(url, bytes: Self.maxURLBytes) : url
        self.source = source
        self.anchorText = anchorText.map { $0.utf8.count > Self.maxURLBytes ? Self.prefix($0, bytes: Self.maxURLBytes) : $0 }
        let parsed = URLHost.parse(self.url)
        let longHost = parsed.host.utf8.count > Self.maxHostBytes
        self.host = longHost ? Self.prefix(parsed.host, bytes: Self.maxHostBytes) : parsed.host
        self.isIPLiteral = parsed.isIPLiteral
        self.hasUserInfo = parsed.hasUserInfo
        truncated = cut || longHost
    }

    /// The longest prefix of `s` of at most `bytes` UTF-8 bytes that ends on a scalar boundary.
    static func prefix(_ s: String, bytes: Int) -> String {
        var end = s.utf8.index(s.utf8.startIndex, offsetBy: bytes)
        while end > s.utf8.startIndex, UTF8.isContinuation(s.utf8[end]) { s.utf8.formIndex(before: &end) }
        return String(s.utf8[..<end])!
    }
}
