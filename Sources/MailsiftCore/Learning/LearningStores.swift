/// Port: user feedback, stored durably.
public protocol FeedbackStore: Sendable {
    /// Stores `feedback` (validated first). Returns false when the same report (message, user, time) was
    /// already stored: storing is idempotent.
    func record(_ feedback: Feedback) async throws -> Bool
    /// The reports given in `[from, through]` (feedback time), oldest first.
    func feedback(from: Int64, through: Int64) async throws -> [Feedback]
}

/// Port: the feature log, one entry per classification.
public protocol FeatureLog: Sendable {
    func append(_ entries: [FeatureLogEntry]) async throws
    /// The entries logged in `[from, through]`, oldest first.
    func entries(from: Int64, through: Int64) async throws -> [FeatureLogEntry]
    /// The first entry logged for `messageID`, if any.
    func entry(messageID: String) async throws -> FeatureLogEntry?
    /// Deletes entries logged before `time`; returns how many.
    func prune(before time: Int64) async throws -> Int
}

/// Port: where the reputations of an in-process ``InMemorySenderStateStore`` are kept between runs.
public protocol ReputationArchive: Sendable {
    func loadReputations() async throws -> [ReputationKey: Reputation]
    /// Saves (inserts or replaces) these reputations.
    func saveReputations(_ reputations: [ReputationKey: Reputation]) async throws
}

/// Port: where the communication graph's edges are kept between runs.
public protocol CommunicationGraphArchive: Sendable {
    func loadEdges() async throws -> [CommunicationGraph.Edge: CommunicationGraph.Weight]
    /// Saves (inserts or replaces) these edges. A shared store keeps, per edge, the larger message count of
    /// the one stored and the one saved (several servers see the same mail).
    func saveEdges(_ edges: [CommunicationGraph.Edge: CommunicationGraph.Weight]) async throws
}

/// Port: where the ledger of sent Message-IDs (``MessageLedger``) is kept between runs, and shared by servers
/// that write to the same PostgreSQL.
public protocol MessageLedgerArchive: Sendable {
    /// The keys recorded at or after `since`, with their times.
    func loadSentMessages(since: Int64) async throws -> [UInt64: Int64]
    /// Saves these keys (the later time of the stored and the saved one is kept) and deletes those recorded
    /// before `prunedBefore`.
    func saveSentMessages(_ entries: [UInt64: Int64], prunedBefore: Int64) async throws
}

/// What the learning loop of a server writes to: the embedded SQLite store (one process) or PostgreSQL (many).
public typealias LearningStore = FeedbackStore & FeatureLog & ReputationArchive & CommunicationGraphArchive & MessageLedgerArchive

/// Where the servers of a site share their fuzzy list (``FuzzyList/Record`` JSON lines, in order): each appends what
/// its operator added or removed, and reads what the others did since its last read. PostgreSQL implements it;
/// Redis (a list) is the server's own alternative.
public protocol FuzzyListArchive: Sendable {
    func appendFuzzyRecord(_ json: String) async throws
    /// The records after position `after` (0: from the start), at most `limit`, with their positions.
    func fuzzyRecords(after: Int64, limit: Int) async throws -> [(position: Int64, json: String)]
}

/// How much of one person's data an erasure removed (``PersonalDataEraser``; `mailsift forget`).
public struct ErasureCounts: Sendable, Codable, Equatable {
    public var feedback = 0
    public var featureLogEntries = 0
    public var reputations = 0
    public var graphEdges = 0
    /// Redis keys (velocity and reputation), when a shared state was erased too.
    public var sharedStateKeys = 0

    public init() {}
}

/// A store that can erase what it holds of one address (docs/privacy.md): the user's feedback, the feature-log
/// entries whose sender keys name the address, its recipient reputations (`rcpt:`, `rcpt-lang:`) and its edges in the
/// communication graph.
public protocol PersonalDataEraser: Sendable {
    func erase(address: String) async throws -> ErasureCounts
}

extension SenderKeys {
    /// Whether these keys name `address` (lower case) as sender or recipient.
    public func mentions(_ address: String) -> Bool {
        let a = address.lowercased()
        return envelopeSender == a || fromAddress == a || recipients.contains(a) || campaignSender == a || (campaignRecipients ?? []).contains(a)
            || (languageProfile ?? []).contains { $0.value == a || $0.value.hasSuffix("|" + a) }
    }

    /// The reputation keys an address has as a recipient: its language profile's total (the `rcpt-lang:` keys end in
    /// `|ADDRESS`).
    public static func recipientReputationKey(_ address: String) -> ReputationKey { ReputationKey(.recipient, address.lowercased()) }
}
