/// Fingerprints seen, indexed by their LSH bands, to find the earlier messages of a message's campaign: a
/// candidate shares a band of the text or link signature, and is kept when the signatures' similarity reaches the
/// threshold. In memory and bounded (past ``capacity`` fingerprints it starts again); the measurement of
/// docs/content.md runs on it.
public struct CampaignIndex: Sendable {
    public typealias ID = Int

    /// An earlier fingerprint of the same campaign, with the text and link similarity (0 where one has none).
    public struct Match: Sendable, Hashable {
        public var id: ID
        public var text: Double
        public var links: Double
        public var similarity: Double { max(text, links) }
    }

    private var fingerprints: [ID: CampaignFingerprint] = [:]
    private var textBands: [UInt64: [ID]] = [:]
    private var linkBands: [UInt64: [ID]] = [:]
    public let capacity: Int
    public let threshold: Double
    /// Most candidates checked for one query (a band shared by a huge campaign is read up to this).
    public static let maximumCandidates = 1_000

    public init(capacity: Int = 1_000_000, threshold: Double = CampaignFingerprint.threshold) {
        self.capacity = capacity
        self.threshold = threshold
    }

    public var count: Int { fingerprints.count }

    public mutating func insert(_ f: CampaignFingerprint, id: ID) {
        if fingerprints.count >= capacity { self = CampaignIndex(capacity: capacity, threshold: threshold) }
        fingerprints[id] = f
        if let t = f.text { for band in CampaignFingerprint.bands(t) { textBands[band, default: []].append(id) } }
        if let l = f.links { for band in CampaignFingerprint.bands(l) { linkBands[band, default: []].append(id) } }
    }

    /// The fingerprints of the same campaign as `f`, by their ids.
    public func matches(_ f: CampaignFingerprint) -> [Match] {
        var candidates = Set<ID>()
        func gather(_ signature: [UInt32]?, _ index: [UInt64: [ID]]) {
            guard let signature else { return }
            for band in CampaignFingerprint.bands(signature) {
                for id in index[band] ?? [] {
                    guard candidates.count < CampaignIndex.maximumCandidates else { return }
                    candidates.insert(id)
                }
            }
        }
        gather(f.text, textBands)
        gather(f.links, linkBands)
        return candidates.sorted().compactMap { id in
            guard let other = fingerprints[id] else { return nil }
            let text = f.text.flatMap { a in other.text.map { CampaignFingerprint.similarity(a, $0) } } ?? 0
            let links = f.links.flatMap { a in other.links.map { CampaignFingerprint.similarity(a, $0) } } ?? 0
            return text >= threshold || links >= threshold ? Match(id: id, text: text, links: links) : nil
        }
    }
}
