/// The transformations ``TextNormalizer`` applies; each can be switched off.
public struct NormalizationOptions: OptionSet, Sendable, Hashable {
    public let rawValue: UInt32
    public init(rawValue: UInt32) { self.rawValue = rawValue }

    /// Remove HTML comments and tags that sit inside a word in plain text (`via<!-- -->gra`).
    public static let stripHTMLTricks = NormalizationOptions(rawValue: 1 << 0)
    /// Remove zero-width and other format characters (U+200B, U+200C, U+200D, U+FEFF, U+00AD, bidi controls,
    /// variation selectors).
    public static let removeFormatCharacters = NormalizationOptions(rawValue: 1 << 1)
    /// Unicode NFKC: fullwidth forms, ligatures, mathematical alphanumerics, circled letters to plain ones.
    public static let compatibilityFold = NormalizationOptions(rawValue: 1 << 2)
    /// Map Cyrillic and Greek lookalikes to Latin inside words that mix scripts (`РayРal`).
    public static let mapConfusables = NormalizationOptions(rawValue: 1 << 3)
    /// Remove diacritics from Latin letters (`vìágrá` to `viagra`).
    public static let foldDiacritics = NormalizationOptions(rawValue: 1 << 4)
    /// Lower-case (full Unicode case mapping).
    public static let caseFold = NormalizationOptions(rawValue: 1 << 5)
    /// Re-join words split into single characters (`S.P.A.M`, `v i a g r a`, `f-r-e-e`).
    public static let joinSplitWords = NormalizationOptions(rawValue: 1 << 6)
    /// Fold leetspeak inside words (`V1agr@` to `viagra`, `fr33` to `free`).
    public static let foldLeetspeak = NormalizationOptions(rawValue: 1 << 7)

    public static let all: NormalizationOptions = [
        .stripHTMLTricks, .removeFormatCharacters, .compatibilityFold, .mapConfusables, .foldDiacritics, .caseFold,
        .joinSplitWords, .foldLeetspeak,
    ]
}

/// How much obfuscation the normaliser undid: evidence in its own right, since legitimate mail rarely
/// hides words.
public struct ObfuscationSignals: Sendable, Hashable, Codable {
    public var htmlTricks = 0
    public var formatCharacters = 0
    public var compatibilityChanged = false
    /// Words that mixed Latin with Cyrillic or Greek letters.
    public var mixedScriptWords = 0
    public var confusablesMapped = 0
    public var diacriticsFolded = 0
    public var splitWordsJoined = 0
    public var leetWords = 0

    public init() {}

    /// Whether any obfuscation was found.
    public var any: Bool {
        htmlTricks + formatCharacters + mixedScriptWords + splitWordsJoined + leetWords > 0
    }
}

/// Text in canonical form for features, with what was done to get it.
public struct NormalizedText: Sendable, Hashable {
    public var text: String
    public var signals: ObfuscationSignals
}
