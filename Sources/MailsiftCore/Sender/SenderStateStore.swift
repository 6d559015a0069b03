/// Port: the real-time state about senders (message rates over sliding windows and reputations). The
/// embedded default keeps it in process (``InMemorySenderStateStore``, saved to SQLite); many servers share
/// it through Redis.
public protocol SenderStateStore: Sendable {
    /// Counts one message from `keys` at `time` (Unix seconds) and returns the senders' state, this message
    /// included.
    func observe(_ keys: SenderKeys, at time: Int64) async throws -> SenderState
    /// Adds evidence about the senders in `keys`: a verdict or a user's feedback, `weight` messages' worth.
    func learn(_ keys: SenderKeys, spam: Bool, weight: Double, at time: Int64) async throws
    /// The reputation evidence about `key` as of `time` (decayed), or nil when nothing is known.
    func reputation(_ key: ReputationKey, at time: Int64) async throws -> Reputation?
}
