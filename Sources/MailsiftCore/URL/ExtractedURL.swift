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

    public init(url: String, source: Source, anchorText: String? = nil) {
        self.url = url
        self.source = source
        self.anchorText = anchorText
        let parsed = URLHost.parse(url)
        self.host = parsed.host
        self.isIPLiteral = parsed.isIPLiteral
        self.hasUserInfo = parsed.hasUserInfo
    }
}
