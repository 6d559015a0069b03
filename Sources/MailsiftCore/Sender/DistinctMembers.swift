/// The distinct members (senders, or recipients) of one campaign key in the current and the previous clock hour:
/// kept exactly, as 32-bit hashes, up to ``cap`` per hour, past which the count stays at the cap. Enough to tell one
/// sender writing to many (a newsletter) from many senders sending one text (a botnet's campaign), in a few hundred
/// bytes a key at most. ``RedisSenderStateStore`` keeps the same counts in HyperLogLogs (`PFADD`), capped alike.
public struct DistinctMembers: Sendable, Hashable {
    /// Members counted exactly per hour; the count saturates there.
    public static let cap = 64

    private var hour = Int64.min
    private var current: [UInt32] = []
    private var previous: [UInt32] = []

    public init() {}

    /// Adds `members` seen at `time` and returns how many distinct members the current and the previous hour hold.
    public mutating func add(_ members: some Sequence<UInt32>, at time: Int64) -> Int {
        let h = time >= 0 ? time / 3_600 : (time - 3_599) / 3_600
        if h > hour {
            previous = h == hour + 1 ? current : []
            current = []
            hour = h
        }
        if h == hour {
            for m in members where current.count < Self.cap && !current.contains(m) { current.append(m) }
        }
        return count
    }

    /// Distinct members of the current and the previous hour, at most ``cap``.
    public var count: Int {
        min(Self.cap, current.count + previous.filter { !current.contains($0) }.count)
    }

    /// A member's hash: FNV-1a of its lower-case bytes (stable across processes and runs).
    public static func hash(_ member: String) -> UInt32 {
        var h: UInt32 = 0x811C_9DC5
        for b in member.lowercased().utf8 {
            h ^= UInt32(b)
            h = h &* 0x0100_0193
        }
        return h
    }
}
