/// What a language detector says of a text: its most likely language, that language's share of the text, and
/// whether the detector is sure.
public struct LanguageDetection: Sendable, Hashable {
    /// An ISO 639-1 code where there is one (CLD2's codes: `zh-Hant` for traditional Chinese, `no` for
    /// Norwegian Bokmål, three letters for languages without two), `un` when unknown.
    public var language: String
    /// The language's share of the text's letters, in percent.
    public var percent: Int
    /// Whether the detector found the language clearly ahead of the next (text long enough, one language).
    public var reliable: Bool
    /// Bytes of letters the detector scored (markup, digits and punctuation are not).
    public var letters: Int

    public static let unknown = LanguageDetection(language: "un", percent: 0, reliable: false, letters: 0)

    public init(language: String, percent: Int, reliable: Bool, letters: Int) {
        self.language = language
        self.percent = percent
        self.reliable = reliable
        self.letters = letters
    }
}

/// Detects the language of text (a port: `CLD2LanguageDetector` in `MailsiftLanguage` answers with Debian's CLD2,
/// 160 languages). Must be safe to call from many threads at once, and bounded in time by the text's length.
public protocol LanguageDetector: Sendable {
    /// The language of plain text. No hint is passed (not `Content-Language`, not the From domain's TLD): the
    /// sender writes those, and the answer must follow from the visible text alone (it is cached with it).
    func detect(_ text: String) -> LanguageDetection
}

/// The language and script of a message's visible text (``MessageAnalyzer/languageDetector``): the verdict's
/// `language` field, the rules' `language` tests and the recipient's language profile (``SenderKeys/language``).
public struct LanguageGuess: Sendable, Hashable, Codable {
    /// ``LanguageDetection/language``.
    public var language: String
    public var percent: Int
    public var reliable: Bool
    /// The script most of the letters are in (ISO 15924: `Latn`, `Cyrl`, `Hani`...; ``ScriptCensus``).
    public var script: String
    /// Scripts that hold at least a tenth of the letters each (2 or more: a text mixing scripts).
    public var scripts: Int

    public init(language: String, percent: Int, reliable: Bool, script: String, scripts: Int) {
        self.language = language
        self.percent = percent
        self.reliable = reliable
        self.script = script
        self.scripts = scripts
    }

    /// Written as the verdict's `language` object: `code`, `percent`, `reliable`, `script`, `scripts`.
    enum CodingKeys: String, CodingKey {
        case language = "code", percent, reliable, script, scripts
    }

    /// The language when the detector was sure of it, else nil: what rules and the recipient profile use.
    public var known: String? { reliable && language != "un" ? language : nil }
}
