import Foundation
import Logging
import MailsiftCore
import MailsiftCrypto
import MailsiftFiles
import MailsiftRedis
import ServiceLifecycle
import Synchronization

/// The server's real-time sender state and learning loop. Before the tree stage it counts each message's
/// senders and reads their reputations (``observe(_:envelope:at:)``); after the verdict it teaches the
/// reputations a little and logs the features used (``learn(from:keys:entry:)``); user feedback
/// (``record(_:)``) is stored durably and teaches the reputations more. With a data directory everything
/// is kept in its SQLite store: feedback at once, feature-log entries and changed reputations every
/// ``ServerConfiguration/flushSeconds`` and at shutdown. Without one the state lives in memory only and
/// feedback is refused.
public final class OnlineLearning: Service, Sendable {
    /// The in-process sender state (velocity and reputation). Alone in the embedded default; beside Redis
    /// (``shared``) when one is configured, as the fallback while Redis is unreachable.
    public let local: InMemorySenderStateStore
    /// Redis with the local state as its fallback, when `redis_url` is set.
    public let shared: FallbackSenderStateStore?
    /// The data directory's SQLite store, or PostgreSQL (``ServerConfiguration/postgresURL``); nil: none.
    public let store: (any LearningStore)?
    /// Closes the store (ends PostgreSQL's connection pool) after the last flush.
    private let close: (@Sendable () -> Void)?
    public let policy: ReputationPolicy
    public let priors: ReputationPrior.Model
    public let metrics: LearningMetrics
    let configuration: ServerConfiguration
    let logger: Logger
    private let pending = Mutex<[FeatureLogEntry]>([])
    /// Who writes to whom (``CommunicationGraph``), and the trust scores last computed from it.
    private let graph: Mutex<CommunicationGraph>
    private let trust = Mutex(TrustScores.empty)
    /// The Message-IDs of mail the users sent (``ReplyClaim``): in process, saved to the store.
    public let ledger: InMemoryMessageLedger
    /// The same in Redis, shared by every server, when `redis_url` is set.
    public let sharedLedger: RedisMessageLedger?
    /// With `privacy_key`: addresses and client IPs are kept as pseudonyms (sender keys, graph, feedback users).
    public let pseudonymizer: (any Pseudonymizer)?

    /// Why feedback was not taken.
    public enum FeedbackError: Error, CustomStringConvertible, Sendable {
        case noStore
        case invalid(Feedback.Invalid)
        case storeFailed(String)

        public var description: String {
            switch self {
            case .noStore: "feedback needs a store: set data_dir (MAILSIFT_DATA_DIR, --data-dir) or postgres_url (MAILSIFT_POSTGRES_URL)"
            case .invalid(let why): "invalid feedback: \(why)"
            case .storeFailed(let why): "the store could not save the feedback: \(why)"
            }
        }
    }

    public init(
        configuration: ServerConfiguration, store: (any LearningStore)?, close: (@Sendable () -> Void)? = nil, reputations: [ReputationKey: Reputation] = [:],
        edges: [CommunicationGraph.Edge: CommunicationGraph.Weight] = [:], sentMessages: [UInt64: Int64] = [:], metrics: LearningMetrics, logger: Logger
    ) {
        self.configuration = configuration
        self.store = store
        self.close = close
        graph = Mutex(CommunicationGraph(capacity: configuration.graphEdges, edges: edges))
        self.metrics = metrics
        self.logger = logger
        let policy = ReputationPolicy()
        self.policy = policy
        priors = ReputationPrior.Model()
        let local = InMemorySenderStateStore(policy: policy, capacity: configuration.senderStateKeys, reputations: reputations)
        self.local = local
        let client = configuration.redisURL.flatMap { try? RedisClient(url: $0) }
        shared = client.map { FallbackSenderStateStore(shared: RedisSenderStateStore(client: $0, policy: policy), local: local) }
        ledger = InMemoryMessageLedger(policy: configuration.ledgerPolicy, entries: sentMessages)
        pseudonymizer = configuration.privacyKey.flatMap(HMACPseudonymizer.init(secret:))
        sharedLedger = client.map { RedisMessageLedger(client: $0, policy: configuration.ledgerPolicy) }
    }

    /// Where sender state is read and taught: Redis (with the local fallback) or the local state alone.
    var senders: any SenderStateStore { shared ?? local }

    /// Opens the store (the data directory's, or PostgreSQL's with its tables created when missing) and loads
    /// the saved reputations.
    public static func open(configuration: ServerConfiguration, metrics: LearningMetrics, logger: Logger) async throws -> OnlineLearning {
        guard let stores = try await Stores.open(dataDirectory: configuration.dataDirectory, postgresURL: configuration.postgresURL, logger: logger) else {
            return OnlineLearning(configuration: configuration, store: nil, metrics: metrics, logger: logger)
        }
        do {
            let reputations = try await stores.learning.loadReputations()
            let edges = try await stores.learning.loadEdges()
            let since = Int64(Date().timeIntervalSince1970) - configuration.ledgerPolicy.retentionSeconds
            let sent = try await stores.learning.loadSentMessages(since: since)
            logger.info("store opened", metadata: [
                "store": "\(stores.location)", "reputations": "\(reputations.count)", "graph_edges": "\(edges.count)", "sent_message_ids": "\(sent.count)"])
            let learning = OnlineLearning(
                configuration: configuration, store: stores.learning, close: stores.close, reputations: reputations, edges: edges, sentMessages: sent,
                metrics: metrics, logger: logger)
            learning.recomputeTrust()
            return learning
        } catch {
            stores.close()
            throw error
        }
    }

    /// Whether each classification's features are logged (a store is open and logging is on).
    public var logsFeatures: Bool { store != nil && configuration.featureLog }

    // MARK: - Classification

    /// Counts the message's senders at `time` and returns their keys and state (this message included):
    /// velocity and reputation, and the From address's trust and whether it is a recipient's contact. The
    /// message is recorded in the communication graph (sender to recipients).
    public func observe(_ message: Message, envelope: Envelope, at time: Int64) async -> (SenderKeys, SenderState) {
        var keys = SenderKeys(message, envelope: envelope, prior: priors)
        if let pseudonymizer { keys = keys.pseudonymised(by: pseudonymizer) }
        var state = if let shared { await shared.observe(keys, at: time) } else { local.observe(keys, at: time) }
        trust.withLock { $0 }.fill(&state, keys: keys)
        if let from = keys.fromAddress {
            graph.withLock { $0.record(from: from, to: keys.recipients, at: time, outbound: false) }
        }
        return (keys, state)
    }

    /// Counts the message's campaign (its fingerprint's counter keys) and reads its recipients' language profile at
    /// `time`, and merges both into `state`: they need the analysis, which comes after ``observe(_:envelope:at:)``.
    /// Through the same store (shared, with the local fallback) as the other keys, in one trip. With `sender` (the
    /// message's keys), the campaign's distinct senders and recipients are counted too.
    public func observeContent(
        campaigns: [String]?, languageProfile: [ReputationKey]?, of sender: SenderKeys? = nil, into state: inout SenderState, at time: Int64
    ) async {
        let keys = SenderKeys.content(campaigns: campaigns, languageProfile: languageProfile, of: sender)
        guard !(campaigns ?? []).isEmpty || !(languageProfile ?? []).isEmpty else { return }
        let counted = if let shared { await shared.observe(keys, at: time, countingMessage: false) } else { local.observe(keys, at: time) }
        if let counts = counted.counts[.campaign] { state.merge(.campaign, counts) }
        if let s = counted.campaignSenders, let r = counted.campaignRecipients { state.mergeMembers(senders: s, recipients: r) }
        for kind in [ReputationKind.recipient, .recipientLanguage] {
            if let estimate = counted.reputations[kind] { state.reputations[kind] = estimate }
        }
        if counted.degraded { state.degraded = true }
    }

    // MARK: - Communication graph

    /// Records a message a local user sent (`POST /v1/sent`): its sender becomes a local user, and its
    /// recipients that user's contacts. The sender is the envelope's, else From; the recipients the
    /// envelope's, else To, Cc and Bcc. Its Message-ID goes into the ledger that replies are checked against
    /// (in Redis too, when configured). Returns how many recipients were recorded (0: nothing was).
    public func recordSent(_ message: Message, envelope: Envelope, at time: Int64) async -> Int {
        let recorded = graph.withLock { $0.recordSent(message, envelope: envelope, at: time, pseudonymizer: pseudonymizer) }
        guard recorded > 0, let id = message.messageID, let key = ReplyClaim.key(id) else { return recorded }
        ledger.recordNow([key], at: time)
        if let sharedLedger {
            do { try await sharedLedger.record([key], at: time) } catch { metrics.ledgerError() }
        }
        return recorded
    }

    // MARK: - Replies

    /// Whether `claim` names a message the site's users sent (within the retention window): in process first,
    /// then in Redis, which other servers write to. Redis failing (down, slow: its command timeout bounds the
    /// wait) leaves the local answer.
    public func verifies(_ claim: ReplyClaim, at time: Int64) async -> Bool {
        guard !claim.referenced.isEmpty else { return false }
        if ledger.knowsAnyNow(claim.referenced, at: time) { return true }
        guard let sharedLedger else { return false }
        do { return try await sharedLedger.knowsAny(claim.referenced) } catch {
            metrics.ledgerError()
            return false
        }
    }

    /// Computes the trust scores from the graph as it is now (outside the lock: on a copy) and swaps them in.
    /// The copy shares the graph's storage until the next message is recorded, which then copies the edges
    /// once under the lock (a pause of milliseconds per million edges, every `trust_seconds`).
    public func recomputeTrust() {
        let snapshot = graph.withLock { $0 }
        let scores = snapshot.trust()
        trust.withLock { $0 = scores }
        metrics.graph(edges: snapshot.edges.count, localUsers: scores.localUsers)
    }

    /// The trust scores now in use.
    public var trustScores: TrustScores { trust.withLock { $0 } }

    /// Teaches the senders' reputations (in Redis too, when configured).
    func teach(_ keys: SenderKeys, spam: Bool, weight: Double, at time: Int64) async {
        if let shared {
            await shared.learn(keys, spam: spam, weight: weight, at: time)
        } else {
            local.learn(keys, spam: spam, weight: weight, at: time)
        }
    }

    /// After a model verdict: teaches the reputations (a confident verdict, at a verdict's weight) and
    /// queues the feature-log entry. A full queue drops the entry and counts it: classification never waits
    /// on the store.
    public func learn(from probability: Double, keys: SenderKeys, entry: FeatureLogEntry?, at time: Int64) async {
        if let lesson = policy.verdictLesson(probability: probability) {
            // Not the stream: only users' feedback makes a list or sender one the site reads (StreamContext).
            await teach(keys.withoutStream, spam: lesson.spam, weight: lesson.weight, at: time)
        }
        guard let entry, logsFeatures else { return }
        let queued = pending.withLock { queue -> Bool in
            guard queue.count < configuration.featureLogQueue else { return false }
            queue.append(entry)
            return true
        }
        if !queued { metrics.featureLog(dropped: 1) }
    }

    // MARK: - Feedback

    /// Stores reports durably (idempotent per message, user and time). A new report teaches the
    /// reputations of the message's senders, found in the feature log, at feedback weight. Returns how
    /// many were new and how many already stored, and the new reports as given (users not yet pseudonymised).
    public func record(_ reports: [Feedback]) async throws(FeedbackError) -> (stored: Int, duplicates: Int, new: [Feedback]) {
        guard let store else { throw .noStore }
        let now = Int64(Date().timeIntervalSince1970)
        for f in reports {
            do { try f.validate(receivedAt: now) } catch {
                metrics.feedback(.invalid)
                throw .invalid(error)
            }
        }
        var new: [Feedback] = []
        for var f in reports {
            let given = f
            if let pseudonymizer { f.user = pseudonymizer.pseudonym(f.user) }
            let isNew: Bool
            do {
                isNew = try await store.record(f)
            } catch {
                metrics.storeError(.feedback)
                throw .storeFailed("\(error)")
            }
            metrics.feedback(isNew ? .stored : .duplicate)
            guard isNew else { continue }
            new.append(given)
            // The entry may still be queued: write the queue first so the lookup sees it.
            await flushFeatureLog()
            if let entry = try? await store.entry(messageID: f.messageID) {
                await teach(entry.keys, spam: f.label == .spam, weight: policy.feedbackWeight, at: f.time)
            }
        }
        return (new.count, reports.count - new.count, new)
    }

    // MARK: - Persistence

    /// Writes queued feature-log entries and changed reputations; a failed write is logged and counted
    /// (reputations stay marked changed and are tried again).
    public func flush() async {
        await flushFeatureLog()
        metrics.senderKeys(local.velocityKeyCount)
        metrics.sentMessageIDs(ledger.count)
        if let shared { metrics.sharedState(degraded: shared.degraded, waiting: shared.waiting, dropped: shared.dropped) }
        guard let store else { return }
        // New sent Message-IDs are saved, and the expired ones pruned, only when there are new ones: no write a second
        // for a site that sends little (expired rows left meanwhile are not loaded).
        let sent = ledger.takeChanged()
        if !sent.isEmpty {
            do {
                try await store.saveSentMessages(sent, prunedBefore: Int64(Date().timeIntervalSince1970) - ledger.policy.retentionSeconds)
            } catch {
                ledger.markChanged(sent)
                metrics.storeError(.ledger)
                logger.error("saving the sent Message-IDs failed", metadata: ["error": "\(error)"])
            }
        }
        let edges = graph.withLock { $0.takeChanged() }
        do {
            try await store.saveEdges(edges)
        } catch {
            graph.withLock { $0.markChanged(edges.keys) }
            metrics.storeError(.graph)
            logger.error("saving the communication graph failed", metadata: ["error": "\(error)"])
        }
        // With Redis, reputations are shared there; the local copy is only the fallback's.
        guard shared == nil else { return }
        let changed = local.takeChangedReputations()
        do {
            try await store.saveReputations(changed)
        } catch {
            local.markChanged(changed.keys)
            metrics.storeError(.reputation)
            logger.error("saving reputations failed", metadata: ["error": "\(error)"])
        }
    }

    private func flushFeatureLog() async {
        guard let store else { return }
        let batch = pending.withLock { queue in
            defer { queue.removeAll(keepingCapacity: true) }
            return queue
        }
        guard !batch.isEmpty else { return }
        do {
            try await store.append(batch)
            metrics.featureLog(written: batch.count)
        } catch {
            metrics.featureLog(dropped: batch.count)
            metrics.storeError(.featureLog)
            logger.error("writing the feature log failed", metadata: ["error": "\(error)", "entries": "\(batch.count)"])
        }
    }

    /// Flushes every ``ServerConfiguration/flushSeconds``, prunes feature-log entries past their retention
    /// once an hour, and flushes a last time on shutdown.
    public func run() async throws {
        var lastPrune = ContinuousClock.now - .seconds(3_600)
        var lastTrust = ContinuousClock.now
        while !Task.isCancelled && !Task.isShuttingDownGracefully {
            try? await cancelWhenGracefulShutdown { try await Task.sleep(for: .milliseconds(Int(self.configuration.flushSeconds * 1_000))) }
            await flush()
            if ContinuousClock.now - lastTrust >= .milliseconds(Int(configuration.trustSeconds * 1_000)) {
                lastTrust = .now
                recomputeTrust()
            }
            if let store, ContinuousClock.now - lastPrune >= .seconds(3_600) {
                lastPrune = .now
                let cutoff = Int64(Date().timeIntervalSince1970) - Int64(configuration.featureLogDays) * 86_400
                if let removed = try? await store.prune(before: cutoff), removed > 0 {
                    logger.info("feature log pruned", metadata: ["entries": "\(removed)", "retention_days": "\(configuration.featureLogDays)"])
                }
            }
        }
        await flush()
        close?()
    }
}
