/// Which feature views a model uses and how texts are hashed; stored in the model bundle, so a model is
/// always scored with the features it was trained on.
public struct FeatureConfiguration: Codable, Sendable, Hashable {
    /// Enabled views.
    public var views: Set<FeatureView>
    /// The weight table has 2^hashBits rows.
    public var hashBits: Int
    /// Byte n-gram length for ``FeatureView/charNGrams`` (4 is the TREC 2007 choice).
    public var charNGram: Int
    /// How much of the normalised body the n-grams read, in bytes (its start carries the content).
    public var maxNGramBytes: Int
    /// How much of the normalised body the word view reads, in bytes.
    public var maxWordBytes: Int
    /// How much of the header block ``FeatureView/headerNGrams`` reads, in bytes.
    public var maxHeaderBytes: Int
    /// Scale each view's features by 1/sqrt(its feature count) (see ``SparseFeatures``).
    public var normalizeViews: Bool
    /// Weigh each row by its inverse document frequency in the training messages (``DocumentFrequency``;
    /// the table travels in the bundle). Absent from older manifests: off.
    public var idf: Bool
    /// Whether the ``FeatureView/headers`` view names the headers that make a message a reply or list mail
    /// (`has:in-reply-to`, `has:list-id`, ...: ``MetadataTokens/isConversationHeader(_:)``). Anyone can write
    /// them, and in the training corpora they name where the ham came from; without them (`train
    /// --no-conversation-headers`) a source whose ham is not list mail fares better and list mail worse
    /// (docs/generalisation.md). On by default, and in older manifests.
    public var conversationHeaders: Bool

    public init(
        views: Set<FeatureView> = FeatureConfiguration.defaultViews, hashBits: Int = 20, charNGram: Int = 4,
        maxNGramBytes: Int = 4_096, maxWordBytes: Int = 32_768, maxHeaderBytes: Int = 1_536, normalizeViews: Bool = true, idf: Bool = false,
        conversationHeaders: Bool = true
    ) {
        self.conversationHeaders = conversationHeaders
        self.maxHeaderBytes = maxHeaderBytes
        self.normalizeViews = normalizeViews
        self.idf = idf
        self.views = views
        self.hashBits = hashBits
        self.charNGram = charNGram
        self.maxNGramBytes = maxNGramBytes
        self.maxWordBytes = maxWordBytes
    }

    /// The views a spam model reads by default: all but the two views of the raw header block
    /// (``FeatureView/headerNGrams``, ``FeatureView/headerShape``). Byte n-grams of the header name the relays,
    /// mailers and period a corpus came from: they help on a random split of the same mail and, with hash folds,
    /// cost 4.5 points of recall at 0.1% FPR on the next period's mail (docs/generalisation.md).
    public static let defaultViews = Set(FeatureView.allCases).subtracting([.headerNGrams, .headerShape])

    public static let spam = FeatureConfiguration()
    /// Topic classification: words, n-grams over more of the text, headers and URLs (chosen on out-of-fold
    /// accuracy, docs/models.md), and a smaller table (one weight per class per row).
    public static let topics = FeatureConfiguration(
        views: [.subjectWords, .bodyWords, .charNGrams, .headers, .urls], hashBits: 20, maxWordBytes: 65_536, idf: true
    )

    private enum CodingKeys: String, CodingKey {
        case views, hashBits, charNGram, maxNGramBytes, maxWordBytes, maxHeaderBytes, normalizeViews, idf, conversationHeaders
    }

    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        views = try c.decode(Set<FeatureView>.self, forKey: .views)
        hashBits = try c.decode(Int.self, forKey: .hashBits)
        charNGram = try c.decode(Int.self, forKey: .charNGram)
        maxNGramBytes = try c.decode(Int.self, forKey: .maxNGramBytes)
        maxWordBytes = try c.decode(Int.self, forKey: .maxWordBytes)
        maxHeaderBytes = try c.decodeIfPresent(Int.self, forKey: .maxHeaderBytes) ?? 1_536
        normalizeViews = try c.decode(Bool.self, forKey: .normalizeViews)
        idf = try c.decodeIfPresent(Bool.self, forKey: .idf) ?? false
        conversationHeaders = try c.decodeIfPresent(Bool.self, forKey: .conversationHeaders) ?? true
    }

    public func without(_ view: FeatureView) -> FeatureConfiguration {
        var c = self
        c.views.remove(view)
        return c
    }
}
