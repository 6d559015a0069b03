/// Users' reports gathered into campaigns: when ``users`` distinct users have reported near-identical messages with the
/// same label, the campaign becomes a fuzzy list entry (`block` for spam, `allow` for ham), as Rspamd's fuzzy storage
/// learns from reports. One user cannot block a campaign for everyone: it takes several. In memory and bounded (past
/// ``capacity`` reported campaigns it starts again); a server counts the reports it receives, and the entries it makes
/// are shared like the operator's.
public struct FuzzyReports: Sendable {
    struct Campaign: Sendable {
        var fingerprint: CampaignFingerprint
        var images: [UInt64]
        var label: Feedback.Label
        var users: Set<String>
        var promoted = false
    }

    public let users: Int
    public let capacity: Int
    private var campaigns: [Campaign] = []
    private var index: CampaignIndex

    public init(users: Int = 3, capacity: Int = 10_000, threshold: Double = CampaignFingerprint.threshold) {
        self.users = max(1, users)
        self.capacity = max(1, capacity)
        index = CampaignIndex(capacity: self.capacity + 1, threshold: threshold)
    }

    public var count: Int { campaigns.count }

    /// Records `user`'s report of a message (its fingerprint and image hashes) as `label` at `time`. Returns the entry
    /// to add when this report makes ``users`` distinct users for the campaign (once per campaign), else nil. A
    /// message too short for a fingerprint is not counted.
    public mutating func report(
        _ fingerprint: CampaignFingerprint, images: [UInt64] = [], label: Feedback.Label, user: String, at time: Int64
    ) -> FuzzyList.Entry? {
        guard fingerprint.text != nil || fingerprint.links != nil else { return nil }
        let user = String(user.lowercased().prefix(200))
        let same = index.matches(fingerprint).filter { campaigns[$0.id].label == label }.max { $0.similarity < $1.similarity }
        let i: Int
        if let same {
            i = same.id
            campaigns[i].users.insert(user)
        } else {
            if campaigns.count >= capacity {
                campaigns.removeAll()
                index = CampaignIndex(capacity: capacity + 1, threshold: index.threshold)
            }
            i = campaigns.count
            campaigns.append(Campaign(fingerprint: fingerprint, images: images, label: label, users: [user]))
            index.insert(fingerprint, id: i)
        }
        guard !campaigns[i].promoted, campaigns[i].users.count >= users else { return nil }
        campaigns[i].promoted = true
        return FuzzyList.Entry(
            action: label == .spam ? .block : .allow, fingerprint: campaigns[i].fingerprint, images: campaigns[i].images,
            note: "reported as \(label.rawValue) by \(campaigns[i].users.count) users", added: time)
    }
}
