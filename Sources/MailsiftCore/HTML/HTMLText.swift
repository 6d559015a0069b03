/// What a reader sees of an HTML body, what is hidden from them, and the links and structure in between.
public struct HTMLText: Sendable, Hashable {
    /// Visible text: tags removed, entities decoded, whitespace collapsed, block elements on new lines.
    public var visibleText: String
    /// Text a reader does not see (display:none, visibility:hidden, zero font size, text coloured like
    /// its background), kept apart: legitimate mail rarely has it, spam uses it to poison filters.
    public var hiddenText: String
    /// `alt` texts of images.
    public var imageAltText: String
    /// href / src / action URLs with their anchor text.
    public var links: [ExtractedURL]
    public var stats: HTMLStats
}

/// Counts describing an HTML body's structure.
public struct HTMLStats: Sendable, Hashable, Codable {
    public var tags = 0
    public var images = 0
    public var links = 0
    public var forms = 0
    public var scripts = 0
    public var iframes = 0
    public var comments = 0
    /// Elements hidden by style or attributes.
    public var hiddenElements = 0
    /// Comments or empty inline tags placed inside a word (`via<!---->gra`), an obfuscation.
    public var tagsInsideWords = 0
    public var htmlBytes = 0
    public var visibleTextBytes = 0

    public init() {}
}
