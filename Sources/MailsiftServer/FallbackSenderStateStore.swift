import MailsiftCore
import Synchronization

/// A shared ``SenderStateStore`` (Redis) with the in-process one beside it. Every message also counts
/// locally, so that when the shared store fails (an error, a timeout, a connection refused) the message
/// is answered from local state, marked ``SenderState/degraded`` and counted. What could not reach the
/// shared store (observations and lessons) waits in a bounded backlog and is replayed, with its original
/// times, once the shared store answers again: the shared counts catch up. Past ``maxBacklog`` the oldest
/// waiting updates are dropped and counted.
public final class FallbackSenderStateStore: SenderStateStore {
    public let shared: any SenderStateStore
    public let local: InMemorySenderStateStore
    public let maxBacklog: Int
    private let backlog = Mutex<[Update]>([])
    private let replaying = Atomic<Bool>(false)
    private let degradedCount = Atomic<Int>(0)
    private let droppedCount = Atomic<Int>(0)

    enum Update: Sendable {
        case observe(SenderKeys, Int64)
        case learn(SenderKeys, Bool, Double, Int64)
    }

    public init(shared: any SenderStateStore, local: InMemorySenderStateStore, maxBacklog: Int = 100_000) {
        self.shared = shared
        self.local = local
        self.maxBacklog = max(maxBacklog, 1)
    }

    /// Messages answered from local state since start.
    public var degraded: Int { degradedCount.load(ordering: .relaxed) }
    /// Updates dropped from a full backlog since start.
    public var dropped: Int { droppedCount.load(ordering: .relaxed) }
    /// Updates waiting for the shared store.
    public var waiting: Int { backlog.withLock { $0.count } }

    public func observe(_ keys: SenderKeys, at time: Int64) async -> SenderState {
        await observe(keys, at: time, countingMessage: true)
    }

    /// The same; without `countingMessage` a failure is not counted as a degraded message (a second observation
    /// of one message: its campaign).
    public func observe(_ keys: SenderKeys, at time: Int64, countingMessage: Bool) async -> SenderState {
        var localState = local.observe(keys, at: time)
        do {
            let state = try await shared.observe(keys, at: time)
            catchUpIfNeeded()
            return state
        } catch {
            enqueue(.observe(keys, time))
            if countingMessage { degradedCount.wrappingAdd(1, ordering: .relaxed) }
            localState.degraded = true
            return localState
        }
    }

    public func learn(_ keys: SenderKeys, spam: Bool, weight: Double, at time: Int64) async {
        local.learn(keys, spam: spam, weight: weight, at: time)
        do {
            try await shared.learn(keys, spam: spam, weight: weight, at: time)
            catchUpIfNeeded()
        } catch {
            enqueue(.learn(keys, spam, weight, time))
        }
    }

    public func reputation(_ key: ReputationKey, at time: Int64) async -> Reputation? {
        if let r = try? await shared.reputation(key, at: time) { return r }
        return local.reputation(key, at: time)
    }

    private func enqueue(_ update: Update) { push([update], first: false) }

    /// Adds updates at the end of the backlog (or, for a replay's unsent rest, at its front), then drops the
    /// oldest past ``maxBacklog`` and counts them.
    private func push(_ updates: some Collection<Update>, first: Bool) {
        let overflow = backlog.withLock { b -> Int in
            if first { b.insert(contentsOf: updates, at: 0) } else { b.append(contentsOf: updates) }
            let over = b.count - maxBacklog
            if over > 0 { b.removeFirst(over) }
            return max(over, 0)
        }
        if overflow > 0 { droppedCount.wrappingAdd(overflow, ordering: .relaxed) }
    }

    /// Starts one replay of the backlog in the background, if there is a backlog and none is running.
    private func catchUpIfNeeded() {
        guard backlog.withLock({ !$0.isEmpty }), replaying.compareExchange(expected: false, desired: true, ordering: .acquiring).exchanged else { return }
        Task {
            await drain()
            replaying.store(false, ordering: .releasing)
        }
    }

    /// Replays the backlog now, after any replay already running has finished (for shutdown and tests).
    public func catchUp() async {
        while !replaying.compareExchange(expected: false, desired: true, ordering: .acquiring).exchanged {
            try? await Task.sleep(for: .milliseconds(5))
        }
        await drain()
        replaying.store(false, ordering: .releasing)
    }

    /// Replays the backlog oldest first; at the first failure puts the rest back (ahead of newer updates).
    /// Runs only while holding `replaying`.
    private func drain() async {
        while true {
            let batch = backlog.withLock { b in
                defer { b.removeAll(keepingCapacity: true) }
                return b
            }
            guard !batch.isEmpty else { return }
            for (i, update) in batch.enumerated() {
                do {
                    switch update {
                    case .observe(let keys, let time): _ = try await shared.observe(keys, at: time)
                    case .learn(let keys, let spam, let weight, let time): try await shared.learn(keys, spam: spam, weight: weight, at: time)
                    }
                } catch {
                    push(batch[i...], first: true)
                    return
                }
            }
        }
    }
}
