/// Turns a message into the hashed features of the enabled views (``FeatureConfiguration``): the text views
/// through the ``Tokenizer``, the metadata views as tokens (``MetadataTokens``). Each view hashes with its
/// own seed. Immutable and `Sendable`; safe to share between threads.
public struct FeatureExtractor: Sendable {
    public let configuration: FeatureConfiguration
    public let analyzer: MessageAnalyzer
    private let words: Tokenizer
    private let grams: Tokenizer
    /// Inverse document frequency per row, when the model weighs rows by it (``FeatureConfiguration/idf``).
    public let idf: [Float]?

    public init(configuration: FeatureConfiguration, idf: [Float]? = nil) {
        precondition(idf == nil || idf!.count == 1 << configuration.hashBits, "one weight per row")
        self.configuration = configuration
        self.idf = idf
        var analyzer = MessageAnalyzer()
        analyzer.hashesText = false
        analyzer.maxTextBytes = max(configuration.maxWordBytes, configuration.maxNGramBytes)
        self.analyzer = analyzer
        words = Tokenizer(options: .init(wordNGrams: 1...2, charNGram: 0, maxFeatures: 1 << 20))
        grams = Tokenizer(options: .init(wordNGrams: 0...0, charNGram: configuration.charNGram, maxFeatures: 1 << 20))
    }

    public func analyze(_ bytes: [UInt8]) throws(ParseError) -> AnalyzedMessage {
        try analyzer.analyze(bytes)
    }

    /// Appends the 64-bit feature hashes of every enabled view, view after view, and the end offset of
    /// each view's hashes to `viewEnds`.
    public func features(of a: AnalyzedMessage, into out: inout [UInt64], viewEnds: inout [Int]) {
        let views = configuration.views
        if views.contains(.subjectWords) {
            words.hash(a.normalizedSubject.text, seed: FeatureView.subjectWords.seed, into: &out)
            viewEnds.append(out.count)
        }
        if views.contains(.bodyWords) {
            withPrefix(a.normalizedBody.text, configuration.maxWordBytes) { words.hash($0, seed: FeatureView.bodyWords.seed, into: &out) }
            viewEnds.append(out.count)
        }
        if views.contains(.charNGrams) {
            grams.hash(a.normalizedSubject.text, seed: FeatureView.charNGrams.seed, into: &out)
            withPrefix(a.normalizedBody.text, configuration.maxNGramBytes) { grams.hash($0, seed: FeatureView.charNGrams.seed &+ 1, into: &out) }
            viewEnds.append(out.count)
        }
        for view in FeatureExtractor.tokenViews where views.contains(view) {
            var sink = TokenHasher(seed: view.seed, hashes: [])
            swap(&sink.hashes, &out)
            FeatureExtractor.tokens(view, a, into: &sink)
            swap(&sink.hashes, &out)
            viewEnds.append(out.count)
        }
    }

    /// The model's input for an analysed message: hashed, deduplicated into rows, valued per view.
    public func features(of a: AnalyzedMessage, scratch: inout Scratch, into out: inout SparseFeatures) {
        scratch.hashes.removeAll(keepingCapacity: true)
        scratch.viewEnds.removeAll(keepingCapacity: true)
        features(of: a, into: &scratch.hashes, viewEnds: &scratch.viewEnds)
        scratch.indexer.features(
            of: scratch.hashes, viewEnds: scratch.viewEnds, normalize: configuration.normalizeViews, weights: idf, into: &out
        )
    }

    /// Per-caller buffers for ``features(of:scratch:into:)``.
    public struct Scratch: Sendable {
        var indexer: FeatureIndexer
        var hashes: [UInt64] = []
        var viewEnds: [Int] = []
    }

    public func makeScratch() -> Scratch { Scratch(indexer: FeatureIndexer(bits: configuration.hashBits)) }

    /// A feature with what it stands for, for explanations.
    public struct Named: Sendable, Hashable {
        public var view: FeatureView
        public var name: String
        public var hash: UInt64
    }

    /// The same features as ``features(of:into:)``, named.
    public func namedFeatures(of a: AnalyzedMessage) -> [Named] {
        var out: [Named] = []
        let views = configuration.views
        func add(_ view: FeatureView, _ pairs: [(hash: UInt64, name: String)]) {
            out += pairs.map { Named(view: view, name: $0.name, hash: $0.hash) }
        }
        let body = String(decoding: a.normalizedBody.text.utf8.prefix(configuration.maxWordBytes), as: UTF8.self)
        let bodyStart = String(decoding: a.normalizedBody.text.utf8.prefix(configuration.maxNGramBytes), as: UTF8.self)
        if views.contains(.subjectWords) { add(.subjectWords, words.namedFeatures(a.normalizedSubject.text, seed: FeatureView.subjectWords.seed)) }
        if views.contains(.bodyWords) { add(.bodyWords, words.namedFeatures(body, seed: FeatureView.bodyWords.seed)) }
        if views.contains(.charNGrams) {
            add(.charNGrams, grams.namedFeatures(a.normalizedSubject.text, seed: FeatureView.charNGrams.seed))
            add(.charNGrams, grams.namedFeatures(bodyStart, seed: FeatureView.charNGrams.seed &+ 1))
        }
        for view in FeatureExtractor.tokenViews where views.contains(view) {
            var sink = TokenNamer()
            FeatureExtractor.tokens(view, a, into: &sink)
            for token in sink.names {
                out.append(Named(view: view, name: token, hash: FeatureHash.xxh64(token, seed: view.seed)))
            }
        }
        return out
    }

    static let tokenViews: [FeatureView] = [.headers, .urls, .attachments, .html]

    static func tokens(_ view: FeatureView, _ a: AnalyzedMessage, into sink: inout some TokenSink) {
        switch view {
        case .headers: MetadataTokens.headers(a, into: &sink)
        case .urls: MetadataTokens.urls(a, into: &sink)
        case .attachments: MetadataTokens.attachments(a, into: &sink)
        case .html: MetadataTokens.html(a, into: &sink)
        case .subjectWords, .bodyWords, .charNGrams: break
        }
    }

    /// Calls `body` with at most the first `limit` bytes of `text` (cut on a byte; the tokenizer treats a
    /// cut scalar's bytes as word bytes, as it does every non-ASCII byte).
    private func withPrefix(_ text: String, _ limit: Int, _ body: (UnsafeRawBufferPointer) -> Void) {
        var t = text
        t.withUTF8 { body(UnsafeRawBufferPointer(rebasing: UnsafeRawBufferPointer($0).prefix(limit))) }
    }
}
