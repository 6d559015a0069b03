import Synchronization

/// The ledger in process: a table of keys to the time they were recorded, with the oldest evicted past
/// ``MessageLedgerPolicy/capacity`` and entries older than the retention window not answering. Alone in the
/// embedded default (saved to its SQLite store), and the fallback beside Redis.
public final class InMemoryMessageLedger: MessageLedger, Sendable {
    public let policy: MessageLedgerPolicy

    private struct State {
        var times: [UInt64: Int64] = [:]
        /// Keys with their times in the order they were recorded (a key recorded again appears twice: the table
        /// has its last time, and only that entry evicts it).
        var order: [(key: UInt64, time: Int64)] = []
        var head = 0
        /// Recorded since the last ``takeChanged()``.
        var changed: [UInt64: Int64] = [:]
    }
    private let state: Mutex<State>

    public init(policy: MessageLedgerPolicy = MessageLedgerPolicy(), entries: [UInt64: Int64] = [:]) {
        self.policy = policy
        var s = State()
        for (key, time) in entries.sorted(by: { $0.value < $1.value }).suffix(policy.capacity) {
            s.times[key] = time
            s.order.append((key, time))
        }
        state = Mutex(s)
    }

    public func record(_ keys: [UInt64], at time: Int64) async { recordNow(keys, at: time) }

    public func knowsAny(_ keys: [UInt64], at time: Int64) async -> Bool { knowsAnyNow(keys, at: time) }

    /// ``record(_:at:)`` without suspending.
    public func recordNow(_ keys: [UInt64], at time: Int64) {
        guard !keys.isEmpty else { return }
        state.withLock { s in
            for key in keys {
                let latest = max(s.times[key] ?? .min, time)
                s.times[key] = latest
                s.changed[key] = latest
                s.order.append((key, latest))
            }
            while s.times.count > policy.capacity, s.head < s.order.count {
                let oldest = s.order[s.head]
                s.head += 1
                if s.times[oldest.key] == oldest.time { s.times[oldest.key] = nil }
            }
            if s.head > 4096, s.head * 2 > s.order.count {
                s.order.removeFirst(s.head)
                s.head = 0
            }
        }
    }

    /// ``knowsAny(_:at:)`` without suspending.
    public func knowsAnyNow(_ keys: [UInt64], at time: Int64) -> Bool {
        state.withLock { s in
            keys.contains { key in s.times[key].map { time - $0 <= policy.retentionSeconds } ?? false }
        }
    }

    /// How many keys are held.
    public var count: Int { state.withLock { $0.times.count } }

    /// The keys recorded since the last call, with their times (for the store to save).
    public func takeChanged() -> [UInt64: Int64] {
        state.withLock { s in
            defer { s.changed = [:] }
            return s.changed
        }
    }

    /// Marks entries changed again (a failed save is retried at the next flush).
    public func markChanged(_ entries: [UInt64: Int64]) {
        state.withLock { s in s.changed.merge(entries) { max($0, $1) } }
    }
}
