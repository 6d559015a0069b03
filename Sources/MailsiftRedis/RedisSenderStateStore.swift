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
    /// The HyperLogLog of a campaign key's distinct senders (`s`) or recipients (`r`) in one clock hour.
    func membersKey(_ kind: String, _ key: VelocityKey, hour: Int64) -> String { "\(namespace):d:\(kind):\(key.value):\(hour)" }

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
        // A campaign key's distinct senders and recipients: this hour's HyperLogLog and the last hour's, per kind.
        let members = keys.campaignSender == nil && keys.campaignRecipients == nil ? nil : keys.campaignMemberHashes
        let campaigns = members == nil ? [] : velocity.filter { $0.kind == .campaign }
        let hour = time >= 0 ? time / 3_600 : (time - 3_599) / 3_600
        for key in campaigns {
            redisKeys += [membersKey("s", key, hour: hour), membersKey("s", key, hour: hour - 1), membersKey("r", key, hour: hour), membersKey("r", key, hour: hour - 1)]
        }
        arguments += [String(reputation.count), String(campaigns.count), "7200"]
        for list in [members?.senders ?? [], members?.recipients ?? []] {
            arguments.append(String(list.count))
            arguments += list.map { String($0, radix: 16) }
        }
        let reply = try await run(Self.observeScript, keys: redisKeys, arguments: arguments)
        let expected = velocity.count * VelocityWindow.allCases.count + reputation.count + 2 * campaigns.count
        guard case .array(let items?) = reply, items.count == expected else {
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
        let base = velocity.count * windows + reputation.count
        for i in campaigns.indices {
            guard case .integer(let s) = items[base + 2 * i], case .integer(let r) = items[base + 2 * i + 1] else { continue }
            state.mergeMembers(senders: min(Int(s), DistinctMembers.cap), recipients: min(Int(r), DistinctMembers.cap))
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

    /// Deletes the keys that name `address` (docs/privacy.md): its velocity as a recipient or envelope sender, its
    /// recipient reputations (`rcpt:`, `rcpt-lang:...|ADDRESS`). Found with `SCAN`; returns how many were deleted.
    public func erase(address: String) async throws -> Int {
        let a = address.lowercased()
        // A glob's special characters in the address are escaped.
        let escaped = a.map { "*?[]\\".contains($0) ? "\\" + String($0) : String($0) }.joined()
        var cursor = "0"
        var found: [String] = []
        repeat {
            let reply = try await client.send(["SCAN", cursor, "MATCH", "\(namespace):*" + escaped, "COUNT", "1000"])
            guard case .array(let parts?) = reply, parts.count == 2, let next = parts[0].string, case .array(let keys?) = parts[1] else {
                throw RedisError.protocolError("unexpected reply to SCAN")
            }
            cursor = next
            found += keys.compactMap(\.string).filter { k in
                k.hasSuffix(":rcpt:" + a) || k.hasSuffix(":sender:" + a) || (k.hasPrefix("\(namespace):r:rcpt-lang:") && k.hasSuffix("|" + a))
            }
        } while cursor != "0"
        for chunk in stride(from: 0, to: found.count, by: 500).map({ Array(found[$0..<min($0 + 500, found.count)]) }) {
            _ = try await client.send(["DEL"] + chunk)
        }
        return found.count
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

    /// KEYS: the velocity hashes, the reputation hashes, then per campaign key four HyperLogLogs (senders this hour
    /// and the last, recipients this hour and the last). ARGV[1]: how many velocity hashes (n); then per velocity hash
    /// its current bucket, bucket count and expiry (seconds); then how many reputation hashes, how many campaign keys,
    /// the HyperLogLogs' expiry, and the members: how many senders and their hashes, how many recipients and theirs.
    /// Returns per velocity hash the count over its window (this message included), per reputation hash
    /// `[spam, ham, updated]`, then per campaign key its distinct senders and recipients over the two hours.
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
        local a = 3 * n + 2
        local r = tonumber(ARGV[a])
        local d = tonumber(ARGV[a + 1])
        local ttl = ARGV[a + 2]
        for i = n + 1, n + r do
          out[i] = redis.call('HMGET', KEYS[i], 'spam', 'ham', 'updated')
        end
        local ms = tonumber(ARGV[a + 3])
        local senders = {}
        for j = 1, ms do senders[j] = ARGV[a + 3 + j] end
        local mr = tonumber(ARGV[a + 4 + ms])
        local recipients = {}
        for j = 1, mr do recipients[j] = ARGV[a + 4 + ms + j] end
        for c = 1, d do
          local k = n + r + 4 * (c - 1)
          if ms > 0 then redis.call('PFADD', KEYS[k + 1], unpack(senders)) end
          if mr > 0 then redis.call('PFADD', KEYS[k + 3], unpack(recipients)) end
          redis.call('EXPIRE', KEYS[k + 1], ttl)
          redis.call('EXPIRE', KEYS[k + 3], ttl)
          out[n + r + 2 * c - 1] = redis.call('PFCOUNT', KEYS[k + 1], KEYS[k + 2])
          out[n + r + 2 * c] = redis.call('PFCOUNT', KEYS[k + 3], KEYS[k + 4])
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
