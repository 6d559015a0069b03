import Synchronization

/// The in-memory ``LearningStore`` (feedback, feature log, reputations and graph edges), for tests and for
/// tools that work on a copy: it keeps what the SQLite and PostgreSQL stores keep, with the same rules
/// (idempotent feedback, saved reputations replacing older ones, the larger count of each edge kept).
public final class InMemoryLearningStore: FeedbackStore, FeatureLog, ReputationArchive, CommunicationGraphArchive, MessageLedgerArchive {
    private struct State {
        var feedback: [FeedbackKey: Feedback] = [:]
        var log: [FeatureLogEntry] = []
        var reputations: [ReputationKey: Reputation] = [:]
        var edges: [CommunicationGraph.Edge: CommunicationGraph.Weight] = [:]
        var sent: [UInt64: Int64] = [:]
    }

    private struct FeedbackKey: Hashable {
        var messageID: String
        var user: String
        var time: Int64
    }

    private let state = Mutex(State())

    public init() {}

    public func record(_ feedback: Feedback) throws -> Bool {
        try feedback.validate()
        let key = FeedbackKey(messageID: feedback.messageID, user: feedback.user, time: feedback.time)
        return state.withLock { s in
            guard s.feedback[key] == nil else { return false }
            s.feedback[key] = feedback
            return true
        }
    }

    public func feedback(from: Int64, through: Int64) -> [Feedback] {
        state.withLock { s in
            s.feedback.values.filter { $0.time >= from && $0.time <= through }
                .sorted { ($0.time, $0.messageID, $0.user) < ($1.time, $1.messageID, $1.user) }
        }
    }

    public func append(_ entries: [FeatureLogEntry]) {
        state.withLock { $0.log.append(contentsOf: entries) }
    }

    public func entries(from: Int64, through: Int64) -> [FeatureLogEntry] {
        state.withLock { s in s.log.filter { $0.time >= from && $0.time <= through }.sorted { $0.time < $1.time } }
    }

    public func entry(messageID: String) -> FeatureLogEntry? {
        state.withLock { s in s.log.filter { $0.messageID == messageID }.min { $0.time < $1.time } }
    }

    public func prune(before time: Int64) -> Int {
        state.withLock { s in
            let before = s.log.count
            s.log.removeAll { $0.time < time }
            return before - s.log.count
        }
    }

    public func loadReputations() -> [ReputationKey: Reputation] { state.withLock { $0.reputations } }

    public func saveReputations(_ reputations: [ReputationKey: Reputation]) {
        state.withLock { $0.reputations.merge(reputations) { _, saved in saved } }
    }

    public func loadEdges() -> [CommunicationGraph.Edge: CommunicationGraph.Weight] { state.withLock { $0.edges } }

    public func saveEdges(_ edges: [CommunicationGraph.Edge: CommunicationGraph.Weight]) {
        state.withLock { s in
            for (edge, w) in edges {
                guard let old = s.edges[edge] else {
                    s.edges[edge] = w
                    continue
                }
                s.edges[edge] = CommunicationGraph.Weight(
                    messages: max(old.messages, w.messages), updated: max(old.updated, w.updated), outbound: old.outbound || w.outbound)
            }
        }
    }

    public func loadSentMessages(since: Int64) -> [UInt64: Int64] { state.withLock { $0.sent.filter { $0.value >= since } } }

    public func saveSentMessages(_ entries: [UInt64: Int64], prunedBefore: Int64) {
        state.withLock { s in
            s.sent.merge(entries) { max($0, $1) }
            s.sent = s.sent.filter { $0.value >= prunedBefore }
        }
    }
}
