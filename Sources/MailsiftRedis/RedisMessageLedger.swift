import MailsiftCore

/// The ``MessageLedger`` shared by many servers: one Redis key per sent Message-ID (`<namespace>:m:<key>`),
/// expiring after the retention window, so a reply that reaches any server finds the mail a user sent through
/// any other. A lookup is one `EXISTS` of all the claim's keys; a record one `SET ... EX` per key, pipelined in
/// a Lua script. Errors are thrown: the caller falls back to its own ledger.
public final class RedisMessageLedger: Sendable {
    public let client: RedisClient
    public let policy: MessageLedgerPolicy
    public let namespace: String

    public init(client: RedisClient, policy: MessageLedgerPolicy = MessageLedgerPolicy(), namespace: String = "mailsift") {
        self.client = client
        self.policy = policy
        self.namespace = namespace
    }

    func redisKey(_ key: UInt64) -> String { "\(namespace):m:\(String(key, radix: 16))" }

    static let script = """
        for i = 1, #KEYS do redis.call('SET', KEYS[i], ARGV[1], 'EX', ARGV[2]) end
        return #KEYS
        """

    public func record(_ keys: [UInt64], at time: Int64) async throws {
        guard !keys.isEmpty else { return }
        _ = try await client.evaluate(Self.script, keys: keys.map(redisKey), arguments: [String(time), String(policy.retentionSeconds)])
    }

    /// Whether Redis holds any of `keys` (its expiry is the retention window).
    public func knowsAny(_ keys: [UInt64]) async throws -> Bool {
        guard !keys.isEmpty else { return false }
        let reply = try await client.send(["EXISTS"] + keys.map(redisKey))
        guard case .integer(let n) = reply else { throw RedisError.protocolError("EXISTS answered \(reply)") }
        return n > 0
    }
}
