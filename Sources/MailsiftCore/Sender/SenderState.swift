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

    /// Distinct senders and recipients of the message's campaign in the current and the previous hour (the largest over
    /// its campaign keys; ``DistinctMembers``, capped at ``DistinctMembers/cap``); nil when not counted.
    public var campaignSenders: Int?
    public var campaignRecipients: Int?

    /// Merges the distinct members of one more campaign key: the largest.
    public mutating func mergeMembers(senders: Int, recipients: Int) {
        campaignSenders = max(campaignSenders ?? 0, senders)
        campaignRecipients = max(campaignRecipients ?? 0, recipients)
    }

    /// Adds the reputation of one more key of `kind` (several recipients' language profiles): evidence adds up, and
    /// the spam rate is the evidence-weighted mean (the plain mean while neither has evidence).
    public mutating func add(_ kind: ReputationKind, _ e: Estimate) {
        guard let old = reputations[kind] else {
            reputations[kind] = e
            return
        }
        let evidence = old.evidence + e.evidence
        let rate = evidence > 0 ? (old.spamRate * old.evidence + e.spamRate * e.evidence) / evidence : (old.spamRate + e.spamRate) / 2
        reputations[kind] = Estimate(spamRate: rate, evidence: evidence)
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
        set(.recipientLanguageShare, languageShare.map { Float($0) })
        set(.recipientLanguageSpamRate, reputations[.recipientLanguage].map { Float($0.spamRate) })
        set(.campaignSenders, campaignSenders.map { Float($0) })
        set(.campaignRecipients, campaignRecipients.map { Float($0) })
    }

    /// The share of the recipients' known mail (confident verdicts and feedback, decayed) written in this message's
    /// language: nil without a language profile, or while the recipients' mail holds under
    /// ``minimumLanguageEvidence`` of evidence.
    public var languageShare: Double? {
        guard let all = reputations[.recipient], all.evidence >= Self.minimumLanguageEvidence else { return nil }
        return min(1, (reputations[.recipientLanguage]?.evidence ?? 0) / all.evidence)
    }

    /// Evidence a recipient's mail must hold before the share of a language in it means anything: ten confident
    /// verdicts' worth (a verdict teaches 0.2, feedback 2).
    public static let minimumLanguageEvidence = 2.0
}
