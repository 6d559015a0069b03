import Synchronization

/// What the analysis derives from a message's content alone (its body, its MIME structure and its subject), kept by
/// a hash of that content: a campaign sent to thousands of recipients is analysed once per server, and each copy
/// keeps its own header fields (Received, To, the envelope), which the sender-dependent stages read. Entries expire
/// after ``ttl`` and the cache starts again past ``capacity``.
public final class AnalysisCache: Sendable {
    /// The content-derived part of an ``AnalyzedMessage``.
    struct Entry: Sendable {
        var bodyText: String
        var hasPlainText: Bool
        var hiddenText: String
        var urls: [ExtractedURL]
        var html: HTMLStats
        var normalizedSubject: NormalizedText
        var normalizedBody: NormalizedText
        var features: [UInt64]
        var wordSaladWords: Int
        var attachments: [AttachmentReport]?
        var images: [ImageReport]?
        var language: LanguageGuess?
        var hiddenHTMLText: Bool
    }

    private let entries: BoundedCache<UInt64, Entry>
    private let counts = Mutex((hits: 0, misses: 0))
    public let capacity: Int
    public let ttl: Duration
    /// Told of every lookup: true for a hit (a server's metrics).
    let observer: (@Sendable (Bool) -> Void)?

    public init(capacity: Int = 10_000, ttl: Duration = .seconds(300), observer: (@Sendable (Bool) -> Void)? = nil) {
        self.capacity = max(1, capacity)
        self.ttl = ttl
        self.observer = observer
        entries = BoundedCache(capacity: self.capacity)
    }

    /// Lookups answered from the cache, and not, since start.
    public var hits: Int { counts.withLock { $0.hits } }
    public var misses: Int { counts.withLock { $0.misses } }

    /// The key of a message's content, for an analyser's settings: the body's bytes, the top-level Content-Type and
    /// Content-Transfer-Encoding (they decide how the body is read) and the subject.
    static func key(_ m: Message, settings: UInt64) -> UInt64 {
        var h = settings
        m.bytes.withUnsafeBytes { raw in
            let range = m.root.bodyRange.clamped(to: 0..<raw.count)
            h = FeatureHash.xxh64(UnsafeRawBufferPointer(rebasing: raw[range]), seed: h)
        }
        for field in ["content-type", "content-transfer-encoding", "subject"] {
            h = FeatureHash.xxh64(m.headers[field] ?? "\u{0}", seed: h)
        }
        return h
    }

    func entry(_ key: UInt64, now: ContinuousClock.Instant) -> Entry? {
        let found = entries.value(key, now: now)
        counts.withLock { found == nil ? ($0.misses += 1) : ($0.hits += 1) }
        observer?(found != nil)
        return found
    }

    func keep(_ entry: Entry, for key: UInt64, now: ContinuousClock.Instant) {
        entries.keep(entry, for: key, until: now + ttl)
    }
}
