import Synchronization

/// The in-process ``SenderStateStore``: the embedded default, and what a server falls back to while its
/// shared store is unreachable. Thread-safe. Bounded: when it holds more than ``capacity`` velocity keys,
/// keys idle for a day are dropped, then the least recently seen.
public final class InMemorySenderStateStore: SenderStateStore {
    public let policy: ReputationPolicy
    public let capacity: Int
    private let state: Mutex<State>

    struct State {
        var velocity: [VelocityKey: Counters] = [:]
        var reputation: [ReputationKey: Reputation] = [:]
        /// Reputations changed since ``takeChangedReputations()`` last ran.
        var changed = Set<ReputationKey>()
    }

    /// The three windows of one key, and when it was last seen.
    struct Counters {
        var windows = VelocityWindow.allCases.map(SlidingWindowCounter.init)
        var lastSeen: Int64 = 0
        /// A campaign key's distinct senders and recipients.
        var senders = DistinctMembers()
        var recipients = DistinctMembers()

        mutating func add(at time: Int64) -> [UInt32] {
            lastSeen = max(lastSeen, time)
            for i in windows.indices { windows[i].add(at: time) }
            return windows.map { $0.count(at: time) }
        }
    }

    public init(policy: ReputationPolicy = ReputationPolicy(), capacity: Int = 1_000_000, reputations: [ReputationKey: Reputation] = [:]) {
        self.policy = policy
        self.capacity = max(capacity, 16)
        state = Mutex(State(reputation: reputations))
    }

    public func observe(_ keys: SenderKeys, at time: Int64) -> SenderState {
        let velocityKeys = keys.velocityKeys
        let reputationKeys = keys.reputationKeys
        let members = keys.campaignSender == nil && keys.campaignRecipients == nil ? nil : keys.campaignMemberHashes
        return state.withLock { s in
            var out = SenderState()
            for key in velocityKeys {
                let counts = s.velocity[key, default: Counters()].add(at: time)
                out.merge(key.kind, counts)
                if key.kind == .campaign, let members {
                    out.mergeMembers(
                        senders: s.velocity[key]!.senders.add(members.senders, at: time),
                        recipients: s.velocity[key]!.recipients.add(members.recipients, at: time))
                }
            }
            for key in reputationKeys {
                let r = s.reputation[key]?.decayed(to: time, halfLife: policy.halfLifeSeconds) ?? Reputation(updated: time)
                out.add(key.kind, .init(spamRate: r.spamRate(prior: keys.prior), evidence: r.evidence))
            }
            if s.velocity.count > capacity { Self.evict(&s, now: time, capacity: capacity) }
            return out
        }
    }

    public func learn(_ keys: SenderKeys, spam: Bool, weight: Double, at time: Int64) {
        let reputationKeys = keys.reputationKeys
        state.withLock { s in
            for key in reputationKeys {
                s.reputation[key, default: Reputation(updated: time)].learn(spam: spam, weight: weight, at: time, halfLife: policy.halfLifeSeconds)
                s.changed.insert(key)
            }
        }
    }

    public func reputation(_ key: ReputationKey, at time: Int64) -> Reputation? {
        state.withLock { $0.reputation[key]?.decayed(to: time, halfLife: policy.halfLifeSeconds) }
    }

    /// Every reputation held.
    public func reputations() -> [ReputationKey: Reputation] { state.withLock { $0.reputation } }

    /// The reputations changed since the last call, for saving them (``ReputationArchive``).
    public func takeChangedReputations() -> [ReputationKey: Reputation] {
        state.withLock { s in
            defer { s.changed.removeAll(keepingCapacity: true) }
            return Dictionary(uniqueKeysWithValues: s.changed.compactMap { k in s.reputation[k].map { (k, $0) } })
        }
    }

    /// Puts back reputations that could not be saved, unless they have changed again since.
    public func markChanged(_ keys: some Sequence<ReputationKey>) {
        state.withLock { s in s.changed.formUnion(keys) }
    }

    /// How many velocity keys are held.
    public var velocityKeyCount: Int { state.withLock { $0.velocity.count } }

    /// Drops keys idle for a day; if still over capacity, keeps the most recently seen 90% of it.
    private static func evict(_ s: inout State, now: Int64, capacity: Int) {
        s.velocity = s.velocity.filter { now - $0.value.lastSeen < VelocityWindow.day.seconds }
        guard s.velocity.count > capacity else { return }
        let kept = s.velocity.sorted { $0.value.lastSeen > $1.value.lastSeen }.prefix(capacity * 9 / 10)
        s.velocity = Dictionary(uniqueKeysWithValues: kept.map { ($0.key, $0.value) })
    }
}
