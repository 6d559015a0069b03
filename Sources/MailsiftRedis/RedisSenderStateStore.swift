import MailsiftCore

/// The shared ``SenderStateStore`` for many servers: velocity buckets and reputations in Redis, each update
/// one atomic Lua script (so counts from any number of processes add up exactly), one round trip per
/// message. The buckets are those of ``SlidingWindowCounter`` (same windows, same accuracy bound): a hash
/// per key and window, one field per bucket, expiring a bucket after its window.
public final class RedisSenderStateStore: SenderStateStore {
    public let client: RedisClient
    public let policy: ReputationPolicy
    /// Prefix of every Redis key.
    public let namespace: String

    public init(client: RedisClient, policy: ReputationPolicy = ReputationPolicy(), namespace: String = "mailsift") {
        self.client = client
        self.policy = policy
        self.namespace = namespace
    }

    func velocityKey(_ key: VelocityKey, _ window: VelocityWindow) -> String { "\(namespace):v:\(window.name):\(key)" }
    func reputationKey(_ key: ReputationKey) -> String { "\(namespace):r:\(key)" }

    /// Reputations are kept this long after their last update (four half-lives: under 7% of the evidence is left).
    var reputationTTL: Int { Int(policy.halfLifeSeconds * 4) }

    public func observe(_ keys: SenderKeys, at time: Int64) async throws -> SenderState {
        let velocity = keys.velocityKeys
        let reputation = keys.reputationKeys
        var redisKeys: [String] = []
        var arguments: [String] = [String(velocity.count * VelocityWindow.allCases.count)]
        for key in velocity {
            for w in VelocityWindow.allCases {
                redisKeys.append(velocityKey(key, w))
                let bucket = w.bucket(at: time)
                arguments += [String(bucket), String(w.buckets), String(w.seconds + w.bucketSeconds)]
            }
        }
        redisKeys += reputation.map(reputationKey)
        let reply = try await run(Self.observeScript, keys: redisKeys, arguments: arguments)
        guard case .array(let items?) = reply, items.count == redisKeys.count else {
            throw RedisError.protocolError("unexpected reply to the observe script")
        }
        var state = SenderState()
        let windows = VelocityWindow.allCases.count
        for (i, key) in velocity.enumerated() {
            let counts = (0..<windows).map { w -> UInt32 in
                if case .integer(let n) = items[i * windows + w] { return UInt32(clamping: n) }
                return 0
            }
            state.merge(key.kind, counts)
        }
        for (j, key) in reputation.enumerated() {
            let r = Self.reputation(items[velocity.count * windows + j])?.decayed(to: time, halfLife: policy.halfLifeSeconds)
                ?? Reputation(updated: time)
            state.add(key.kind, .init(spamRate: r.spamRate(prior: keys.prior), evidence: r.evidence))
        }
        return state
    }

    public func learn(_ keys: SenderKeys, spam: Bool, weight: Double, at time: Int64) async throws {
        let redisKeys = keys.reputationKeys.map(reputationKey)
        guard !redisKeys.isEmpty else { return }
        try await run(Self.learnScript, keys: redisKeys, arguments: [
            String(time), String(policy.halfLifeSeconds), String(weight), spam ? "1" : "0", String(reputationTTL),
        ])
    }

    public func reputation(_ key: ReputationKey, at time: Int64) async throws -> Reputation? {
        let reply = try await client.send(["HMGET", reputationKey(key), "spam", "ham", "updated"])
        return Self.reputation(reply)?.decayed(to: time, halfLife: policy.halfLifeSeconds)
    }

    /// `[spam, ham, updated]` as stored; nil when the hash does not exist.
    static func reputation(_ value: RESPValue) -> Reputation? {
        guard case .array(let fields?) = value, fields.count == 3,
              let spam = fields[0].string.flatMap(Double.init), let ham = fields[1].string.flatMap(Double.init),
              let updated = fields[2].string.flatMap(Double.init) else { return nil }
        return Reputation(spam: spam, ham: ham, updated: Int64(updated))
    }

    @discardableResult
    private func run(_ script: String, keys: [String], arguments: [String]) async throws(RedisError) -> RESPValue {
        try await client.evaluate(script, keys: keys, arguments: arguments)
    }

    /// KEYS: the velocity hashes, then the reputation hashes. ARGV[1]: how many velocity hashes; then per
    /// velocity hash its current bucket, bucket count and expiry (seconds). Returns per velocity hash the
    /// count over its window (this message included), then per reputation hash `[spam, ham, updated]`.
    static let observeScript = """
        local n = tonumber(ARGV[1])
        local out = {}
        for i = 1, n do
          local k = KEYS[i]
          local b = tonumber(ARGV[3 * i - 1])
          local buckets = tonumber(ARGV[3 * i])
          redis.call('HINCRBY', k, ARGV[3 * i - 1], 1)
          local all = redis.call('HGETALL', k)
          local sum = 0
          for j = 1, #all, 2 do
            local f = tonumber(all[j])
            if f <= b - buckets then redis.call('HDEL', k, all[j]) elseif f <= b then sum = sum + tonumber(all[j + 1]) end
          end
          redis.call('EXPIRE', k, ARGV[3 * i + 1])
          out[i] = sum
        end
        for i = n + 1, #KEYS do
          out[i] = redis.call('HMGET', KEYS[i], 'spam', 'ham', 'updated')
        end
        return out
        """

    /// KEYS: reputation hashes. ARGV: time, half-life (s), weight, 1 for spam or 0 for ham, expiry (s).
    /// Decays each hash's counts to the time, then adds the weight.
    static let learnScript = """
        local t = tonumber(ARGV[1])
        local h = tonumber(ARGV[2])
        local w = tonumber(ARGV[3])
        for i = 1, #KEYS do
          local r = redis.call('HMGET', KEYS[i], 'spam', 'ham', 'updated')
          local s = tonumber(r[1]) or 0
          local hm = tonumber(r[2]) or 0
          local u = tonumber(r[3]) or t
          if t > u and h > 0 then
            local f = 2 ^ (-(t - u) / h)
            s = s * f
            hm = hm * f
            u = t
          end
          if ARGV[4] == '1' then s = s + w else hm = hm + w end
          redis.call('HSET', KEYS[i], 'spam', string.format('%.17g', s), 'ham', string.format('%.17g', hm), 'updated', string.format('%d', u))
          redis.call('EXPIRE', KEYS[i], ARGV[5])
        end
        return #KEYS
        """
}
