/// What the sender state store knew about a message's senders when it was classified: message rates
/// (including this message) and reputations. Fills the tree stage's sender columns.
public struct SenderState: Sendable, Hashable, Codable {
    /// Counts per key kind and window; for recipients, the busiest recipient's.
    public var counts: [VelocityKind: [UInt32]]
    /// Spam rate (posterior mean) and evidence (messages) per reputation kind, for the keys that exist.
    public var reputations: [ReputationKind: Estimate]
    /// Whether the state came from a degraded path (the shared store was unreachable; local state only).
    public var degraded: Bool
    /// Trust of the From address and of its domain in the communication graph (``TrustScores``); nil when
    /// no graph is known.
    public var senderTrust: Double?
    public var domainTrust: Double?
    /// Whether a recipient has written to the From address; nil when no graph is known.
    public var isContact: Bool?

    public struct Estimate: Sendable, Hashable, Codable {
        public var spamRate: Double
        public var evidence: Double

        public init(spamRate: Double, evidence: Double) {
            self.spamRate = spamRate
            self.evidence = evidence
        }
    }

    public init(counts: [VelocityKind: [UInt32]] = [:], reputations: [ReputationKind: Estimate] = [:], degraded: Bool = false) {
        self.counts = counts
        self.reputations = reputations
        self.degraded = degraded
    }

    /// The count of `kind` over `window`, or nil when the message has no such key.
    public func count(_ kind: VelocityKind, _ window: VelocityWindow) -> UInt32? {
        counts[kind].map { $0[window.rawValue] }
    }

    /// Merges the counts of several keys of one kind (recipients): the largest per window.
    public mutating func merge(_ kind: VelocityKind, _ windowCounts: [UInt32]) {
        if let old = counts[kind] {
            counts[kind] = zip(old, windowCounts).map { max($0, $1) }
        } else {
            counts[kind] = windowCounts
        }
    }

    /// Writes the sender columns of `row` (a full ``MetadataFeature`` row); unknown ones are NaN.
    public func fill(_ row: inout [Float]) {
        func set(_ f: MetadataFeature, _ v: Float?) {
            if f.rawValue < row.count { row[f.rawValue] = v ?? .nan }
        }
        func rate(_ kind: VelocityKind, _ w: VelocityWindow) -> Float? { count(kind, w).map { Float($0) } }
        set(.clientIPRateMinute, rate(.clientIP, .minute))
        set(.clientIPRateHour, rate(.clientIP, .hour))
        set(.clientIPRateDay, rate(.clientIP, .day))
        set(.fromDomainRateHour, rate(.fromDomain, .hour))
        set(.fromDomainRateDay, rate(.fromDomain, .day))
        set(.clientNetworkRateHour, rate(.clientNetwork, .hour))
        set(.envelopeSenderRateHour, rate(.envelopeSender, .hour))
        set(.recipientRateHour, rate(.recipient, .hour))
        set(.senderReputation, reputations[.ip].map { Float($0.spamRate) })
        set(.domainReputation, reputations[.domain].map { Float($0.spamRate) })
        set(.senderEvidence, reputations[.ip].map { Float($0.evidence) })
        set(.domainEvidence, reputations[.domain].map { Float($0.evidence) })
        set(.senderTrust, senderTrust.map { Float($0) })
        set(.fromDomainTrust, domainTrust.map { Float($0) })
        set(.senderIsContact, isContact.map { $0 ? 1 : 0 })
        set(.campaignRateMinute, rate(.campaign, .minute))
        set(.campaignRateHour, rate(.campaign, .hour))
        set(.campaignRateDay, rate(.campaign, .day))
    }
}
