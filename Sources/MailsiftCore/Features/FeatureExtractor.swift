/// Turns a message into the hashed features of the enabled views (``FeatureConfiguration``): the text views
/// through the ``Tokenizer``, the metadata views as tokens (``MetadataTokens``). Each view hashes with its
/// own seed. Immutable and `Sendable`; safe to share between threads.
public struct FeatureExtractor: Sendable {
    public let configuration: FeatureConfiguration
    public var analyzer: MessageAnalyzer
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

    public func analyze(_ bytes: [UInt8], trust: AuthenticationTrust = .none, lists: ListClaim.Reading = .corroborated) throws(ParseError) -> AnalyzedMessage {
        try analyzer.analyze(bytes, trust: trust, lists: lists)
    }

    /// Analyses a parsed message with the authentication results `trust` believes; without the reply claim
    /// (``ReplyClaim``) when `discountingReply`, with its list fields read as `lists` says (``ListClaim``).
    public func analyze(
        _ message: Message, discountingReply: Bool = false, lists: ListClaim.Reading = .corroborated, trust: AuthenticationTrust = .none
    ) -> AnalyzedMessage {
        analyze(trust.judged(message), discountingReply: discountingReply, lists: lists)
    }

    /// The same for a message already judged by the trust boundary (``AuthenticationTrust/judged(_:)``); `envelopeSender`
    /// is the MTA's MAIL FROM, when known.
    public func analyze(
        _ judgement: AuthenticationTrust.Judgement, discountingReply: Bool = false, lists: ListClaim.Reading = .corroborated, envelopeSender: String? = nil
    ) -> AnalyzedMessage {
        guard discountingReply else { return analyzer.analyze(judgement, lists: lists, envelopeSender: envelopeSender) }
        var j = judgement
        j.message = ReplyClaim.discounted(j.message)
        var a = analyzer.analyze(j, lists: lists, envelopeSender: envelopeSender)
        a.replyDiscounted = true
        return a
    }

    /// Appends the 64-bit feature hashes of every enabled view, view after view in ``viewOrder`` (the
    /// explanations rely on it), and the end offset of each view's hashes to `viewEnds`.
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
        if views.contains(.headerNGrams) {
            Self.headerBlock(a.message, limit: configuration.maxHeaderBytes).withUnsafeBytes {
                grams.hash($0, seed: FeatureView.headerNGrams.seed, into: &out)
            }
            viewEnds.append(out.count)
        }
        if views.contains(.headerShape) {
            Self.headerShape(a.message, limit: configuration.maxHeaderBytes).withUnsafeBytes {
                grams.hash($0, seed: FeatureView.headerShape.seed, into: &out)
            }
            viewEnds.append(out.count)
        }
        for view in FeatureExtractor.tokenViews where views.contains(view) {
            var sink = TokenHasher(seed: view.seed, hashes: [])
            swap(&sink.hashes, &out)
            FeatureExtractor.tokens(view, a, conversationHeaders: configuration.conversationHeaders, into: &sink)
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

    /// The views in the order ``features(of:into:viewEnds:)`` appends them (one `viewEnds` entry each),
    /// the enabled ones only.
    public var viewOrder: [FeatureView] {
        let order: [FeatureView] = [.subjectWords, .bodyWords, .charNGrams, .headerNGrams, .headerShape] + FeatureExtractor.tokenViews
        return order.filter(configuration.views.contains)
    }

    /// The weight-table row of a feature hash (its top ``FeatureConfiguration/hashBits`` bits).
    @inline(__always)
    public func row(of hash: UInt64) -> UInt32 { UInt32(truncatingIfNeeded: hash >> UInt64(64 - configuration.hashBits)) }

    /// The same features as ``features(of:into:)``, named. With `onlyRows`, just the features of those
    /// views that fall on the rows listed are named (explanations name a few of thousands).
    public func namedFeatures(of a: AnalyzedMessage, onlyRows only: [FeatureView: Set<UInt32>]? = nil) -> [Named] {
        var out: [Named] = []
        let views = configuration.views.filter { only == nil || only![$0] != nil }
        func add(_ view: FeatureView, _ tokenizer: Tokenizer, _ text: String, seed: UInt64) {
            let rows = only?[view]
            for (hash, name) in tokenizer.namedFeatures(text, seed: seed, only: rows.map { rows in { rows.contains(row(of: $0)) } }) {
                out.append(Named(view: view, name: name, hash: hash))
            }
        }
        if views.contains(.subjectWords) { add(.subjectWords, words, a.normalizedSubject.text, seed: FeatureView.subjectWords.seed) }
        if views.contains(.bodyWords) {
            let body = String(decoding: a.normalizedBody.text.utf8.prefix(configuration.maxWordBytes), as: UTF8.self)
            add(.bodyWords, words, body, seed: FeatureView.bodyWords.seed)
        }
        if views.contains(.charNGrams) {
            let bodyStart = String(decoding: a.normalizedBody.text.utf8.prefix(configuration.maxNGramBytes), as: UTF8.self)
            add(.charNGrams, grams, a.normalizedSubject.text, seed: FeatureView.charNGrams.seed)
            add(.charNGrams, grams, bodyStart, seed: FeatureView.charNGrams.seed &+ 1)
        }
        if views.contains(.headerNGrams) {
            let block = String(decoding: Self.headerBlock(a.message, limit: configuration.maxHeaderBytes), as: UTF8.self)
            add(.headerNGrams, grams, block, seed: FeatureView.headerNGrams.seed)
        }
        if views.contains(.headerShape) {
            let block = String(decoding: Self.headerShape(a.message, limit: configuration.maxHeaderBytes), as: UTF8.self)
            add(.headerShape, grams, block, seed: FeatureView.headerShape.seed)
        }
        for view in FeatureExtractor.tokenViews where views.contains(view) {
            var sink = TokenNamer()
            FeatureExtractor.tokens(view, a, conversationHeaders: configuration.conversationHeaders, into: &sink)
            for token in sink.names {
                let hash = FeatureHash.xxh64(token, seed: view.seed)
                if only == nil || only![view]!.contains(row(of: hash)) { out.append(Named(view: view, name: token, hash: hash)) }
            }
        }
        return out
    }

    /// The header block as ``FeatureView/headerNGrams`` reads it: each field's name and raw (unfolded) value
    /// on a line, in order, without the fields a model must not learn from
    /// (``MetadataTokens/isFilterHeader(_:)``), cut at `limit` bytes. With `shape`, as
    /// ``FeatureView/headerShape`` reads it: without the trace fields (``isTraceField(_:)``), each digit
    /// written as `0`.
    static func headerBlock(_ m: Message, limit: Int, shape: Bool = false) -> [UInt8] {
        var out: [UInt8] = []
        out.reserveCapacity(limit)
        for field in m.headers where !MetadataTokens.isFilterHeader(field.lowercasedName) && !(shape && isTraceField(field.lowercasedName))
            && !field.isAuthenticationField {
            out += field.name.utf8
            out.append(UInt8(ascii: ":"))
            out.append(UInt8(ascii: " "))
            if shape {
                for byte in field.rawValue.utf8 {
                    out.append(byte >= UInt8(ascii: "0") && byte <= UInt8(ascii: "9") ? UInt8(ascii: "0") : byte)
                    if out.count >= limit { break }
                }
            } else {
                out += field.rawValue.utf8
            }
            out.append(UInt8(ascii: "\n"))
            if out.count >= limit { break }
        }
        if out.count > limit { out.removeLast(out.count - limit) }
        return out
    }

    /// ``headerBlock(_:limit:shape:)`` with `shape`.
    static func headerShape(_ m: Message, limit: Int) -> [UInt8] { headerBlock(m, limit: limit, shape: true) }

    /// Fields that relays and receiving systems add on the way (trace, delivery and authentication fields):
    /// they name the path a corpus's mail took, not what its sender wrote.
    static func isTraceField(_ lowercasedName: String) -> Bool {
        traceFields.contains(lowercasedName) || lowercasedName.hasPrefix("arc-") || lowercasedName.hasPrefix("x-ms-exchange-")
            || lowercasedName.hasPrefix("x-google-") || lowercasedName.hasPrefix("x-received")
    }

    static let traceFields: Set<String> = [
        "received", "return-path", "delivered-to", "x-original-to", "envelope-to", "x-envelope-from", "x-envelope-to",
        "authentication-results", "received-spf", "dkim-signature", "domainkey-signature", "x-originating-ip",
        "x-gm-message-state", "x-forwarded-to", "x-forwarded-for", "x-apparently-to",
    ]

    static let tokenViews: [FeatureView] = [.headers, .urls, .attachments, .html]

    static func tokens(_ view: FeatureView, _ a: AnalyzedMessage, conversationHeaders: Bool = true, into sink: inout some TokenSink) {
        switch view {
        case .headers: MetadataTokens.headers(a, conversationHeaders: conversationHeaders, into: &sink)
        case .urls: MetadataTokens.urls(a, into: &sink)
        case .attachments: MetadataTokens.attachments(a, into: &sink)
        case .html: MetadataTokens.html(a, into: &sink)
        case .subjectWords, .bodyWords, .charNGrams, .headerNGrams, .headerShape: break
        }
    }

    /// Calls `body` with at most the first `limit` bytes of `text` (cut on a byte; the tokenizer treats a
    /// cut scalar's bytes as word bytes, as it does every non-ASCII byte).
    private func withPrefix(_ text: String, _ limit: Int, _ body: (UnsafeRawBufferPointer) -> Void) {
        var t = text
        t.withUTF8 { body(UnsafeRawBufferPointer(rebasing: UnsafeRawBufferPointer($0).prefix(limit))) }
    }
}
