/// The Message-IDs of mail the site knows a reply to is real: mail its users sent (`POST /v1/sent`, the sent
/// stream), by their ``ReplyClaim/key(_:)``, each with the time it was recorded. A reply that names one of them
/// answers a real thread; one that names none claims a thread nobody here took part in (``ReplyClaim``).
/// Implemented in process (``InMemoryMessageLedger``), in SQLite and PostgreSQL (through the learning store) and
/// in Redis (shared by every server).
public protocol MessageLedger: Sendable {
    /// Records `keys` at `time` (seconds since 1970).
    func record(_ keys: [UInt64], at time: Int64) async
    /// Whether any of `keys` was recorded within the retention window before `time`.
    func knowsAny(_ keys: [UInt64], at time: Int64) async -> Bool
}

/// How long a sent message's Message-ID answers replies, and how many are kept in process.
public struct MessageLedgerPolicy: Sendable, Hashable, Codable {
    /// Seconds a Message-ID is kept (replies come within days; threads go on for months): 180 days.
    public var retentionSeconds: Int64 = 180 * 86_400
    /// Most Message-IDs kept in process: the oldest go first.
    public var capacity = 1_000_000

    public init(retentionSeconds: Int64 = 180 * 86_400, capacity: Int = 1_000_000) {
        self.retentionSeconds = retentionSeconds
        self.capacity = capacity
    }
}
