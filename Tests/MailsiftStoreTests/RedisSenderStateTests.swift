import Foundation
import Logging
import MailsiftCore
import MailsiftServer
@testable import MailsiftRedis
import MailsiftTestKit
import NIOCore
import Testing

@Suite("RESP parsing")
struct RESPTests {
    @Test func partialRepliesWaitAndWholeOnesParse() throws {
        var b = ByteBuffer(string: "*3\r\n:1\r\n$5\r\nhel")
        #expect(try RESPValue.parse(&b) == nil)
        #expect(b.readableBytes == 15)  // untouched
        b.writeString("lo\r\n$-1\r\n+OK\r\n")
        #expect(try RESPValue.parse(&b) == .array([.integer(1), .bulk(Array("hello".utf8)), .bulk(nil)]))
        #expect(try RESPValue.parse(&b) == .simple("OK"))
        #expect(try RESPValue.parse(&b) == nil)
        var e = ByteBuffer(string: "-NOSCRIPT No matching script\r\n")
        #expect(try RESPValue.parse(&e) == .error("NOSCRIPT No matching script"))
    }

    @Test func garbageIsAProtocolError() {
        for bad in ["?x\r\n", ":12a\r\n", "$-7\r\n", "*99999999\r\n"] {
            var b = ByteBuffer(string: bad)
            #expect(throws: RedisError.self) { try RESPValue.parse(&b) }
        }
        var deep = ByteBuffer(string: String(repeating: "*1\r\n", count: 40) + ":1\r\n")
        #expect(throws: RedisError.self) { try RESPValue.parse(&deep) }
    }
}

/// Against a real redis-server on 127.0.0.1, started and stopped by each test.
@Suite("Redis sender state", .serialized, .enabled(if: RedisServer.executable != nil, "redis-server is not installed"))
struct RedisSenderStateTests {
    static let keys = SenderKeys(clientIP: "198.51.100.7", envelopeSender: "a@shop.example", fromDomain: "shop.example", recipients: ["u@example.org", "v@example.org"])

    /// The same stream of messages gives the same counts in Redis as in process (the same buckets).
    @Test func redisCountsEqualTheInProcessCounts() async throws {
        let redis = try RedisServer()
        let store = RedisSenderStateStore(client: try RedisClient(url: redis.url))
        let local = InMemorySenderStateStore()
        var rng = SplitMix64(seed: 11)
        var t: Int64 = 1_800_000_000
        for _ in 0..<400 {
            t += Int64(rng.next() % 900)
            let shared = try await store.observe(Self.keys, at: t)
            let here = local.observe(Self.keys, at: t)
            #expect(shared.counts == here.counts, "t=\(t)")
        }
    }

    /// Two processes (`mailsift bench velocity`) update the same keys at once: no update is lost.
    @Test func countsAddUpAcrossTwoProcesses() async throws {
        let redis = try RedisServer()
        let binary = Self.mailsiftBinary
        try #require(FileManager.default.isExecutableFile(atPath: binary), "build the mailsift executable first (swift build)")
        let time: Int64 = 1_800_000_000
        let processes = (0..<2).map { _ -> Process in
            let p = Process()
            p.executableURL = URL(fileURLWithPath: binary)
            p.arguments = ["bench", "velocity", "--redis", redis.url, "--messages", "3000", "--concurrency", "8", "--time", String(time), "--ip", "203.0.113.9"]
            p.standardOutput = FileHandle.nullDevice
            return p
        }
        for p in processes { try p.run() }
        let statuses = await withCheckedContinuation { continuation in
            DispatchQueue.global().async {
                for p in processes { p.waitUntilExit() }
                continuation.resume(returning: processes.map(\.terminationStatus))
            }
        }
        #expect(statuses == [0, 0])
        let store = RedisSenderStateStore(client: try RedisClient(url: redis.url))
        let state = try await store.observe(SenderKeys(clientIP: "203.0.113.9"), at: time)
        // 3,000 per process, plus each process's final read, plus this one.
        #expect(state.count(.clientIP, .minute) == 6_003)
        #expect(state.count(.clientNetwork, .day) == 6_003)
    }

    /// Redis stops mid-run: classification-side state comes from the local store, marked degraded; when
    /// Redis is back the waiting updates are replayed and its counts catch up. Reputation lessons too.
    @Test func aStoppedRedisDegradesToLocalStateAndCatchesUp() async throws {
        let redis = try RedisServer()
        let client = RedisClient(host: "127.0.0.1", port: redis.port, timeout: .milliseconds(200), retryAfter: .milliseconds(100))
        let store = FallbackSenderStateStore(shared: RedisSenderStateStore(client: client), local: InMemorySenderStateStore())
        let t: Int64 = 1_800_000_000
        for _ in 0..<5 { #expect(await !store.observe(Self.keys, at: t).degraded) }
        redis.stop()
        for _ in 0..<7 {
            let s = await store.observe(Self.keys, at: t + 1)
            #expect(s.degraded)
            #expect(s.count(.clientIP, .minute) != nil)
        }
        await store.learn(Self.keys, spam: true, weight: 2, at: t + 1)
        #expect(store.degraded == 7)
        #expect(store.waiting == 8)
        try redis.start()
        try await Task.sleep(for: .milliseconds(150))  // past the client's back-off
        let back = await store.observe(Self.keys, at: t + 2)
        #expect(!back.degraded)
        await store.catchUp()
        #expect(store.waiting == 0)
        // The restarted server had nothing; it now holds the 7 replayed and the 2 since.
        let check = RedisSenderStateStore(client: try RedisClient(url: redis.url))
        let after = try await check.observe(Self.keys, at: t + 2)
        #expect(after.count(.clientIP, .minute) == 9)
        let reputation = try #require(try await check.reputation(ReputationKey(.domain, "shop.example"), at: t + 2))
        #expect(abs(reputation.spam - 2) < 1e-3)
    }

    /// Reputation lives in Redis: a new client (a restarted Mailsift) reads what the first one taught.
    @Test func reputationIsSharedAndDecays() async throws {
        let redis = try RedisServer()
        let policy = ReputationPolicy()
        let first = RedisSenderStateStore(client: try RedisClient(url: redis.url), policy: policy)
        for i in 0..<3 { try await first.learn(Self.keys, spam: true, weight: 2, at: 100 + Int64(i)) }
        try await first.learn(Self.keys, spam: false, weight: 0.2, at: 103)
        let second = RedisSenderStateStore(client: try RedisClient(url: redis.url), policy: policy)
        let r = try #require(try await second.reputation(ReputationKey(.ip, "198.51.100.7"), at: 103))
        #expect(abs(r.spam - 6) < 1e-4 && abs(r.ham - 0.2) < 1e-9)
        let state = try await second.observe(Self.keys, at: 103 + Int64(policy.halfLifeSeconds))
        #expect(abs(state.reputations[.domain]!.evidence - 3.1) < 1e-3)
        #expect(state.reputations[.domain]!.spamRate > 0.7)
    }

    /// A sent Message-ID recorded through one server is known to another, until it expires.
    @Test func sentMessageIDsAreSharedAndExpire() async throws {
        let redis = try RedisServer()
        let policy = MessageLedgerPolicy(retentionSeconds: 1, capacity: 16)
        let first = RedisMessageLedger(client: try RedisClient(url: redis.url), policy: policy)
        let second = RedisMessageLedger(client: try RedisClient(url: redis.url), policy: policy)
        try await first.record([7, 0xF000_0000_0000_0001], at: 100)
        #expect(try await second.knowsAny([3, 7]))
        #expect(try await second.knowsAny([0xF000_0000_0000_0001]))
        #expect(try await !second.knowsAny([3]))
        #expect(try await !second.knowsAny([]))
        try await Task.sleep(for: .milliseconds(2_100))
        #expect(try await !second.knowsAny([7]))
    }

    /// Two servers on one Redis: mail sent through one makes a reply to it count on the other. With Redis
    /// stopped, the other answers from its own ledger (which does not have it) and counts the failure.
    @Test func aReplyToMailSentThroughAnotherServerCounts() async throws {
        let redis = try RedisServer()
        let a = serverLearning(redis), b = serverLearning(redis)
        let sent = try MessageParser().parse(Array("From: alice@corp.example\r\nTo: bob@partner.example\r\nMessage-ID: <plan-7@corp.example>\r\n\r\nplan\r\n".utf8))
        #expect(await a.recordSent(sent, envelope: Envelope(), at: 1_000) == 1)
        func claim(_ id: String) throws -> ReplyClaim {
            ReplyClaim(try MessageParser().parse(Array("From: bob@partner.example\r\nIn-Reply-To: <\(id)>\r\nSubject: Re: plan\r\n\r\nok\r\n".utf8)))
        }
        #expect(await b.verifies(try claim("plan-7@corp.example"), at: 1_010))
        #expect(await !b.verifies(try claim("other@corp.example"), at: 1_010))
        #expect(b.ledger.count == 0 && a.ledger.count == 1)
        redis.stop()
        #expect(await !b.verifies(try claim("plan-7@corp.example"), at: 1_020))
        #expect(await a.verifies(try claim("plan-7@corp.example"), at: 1_020))  // its own ledger has it
    }

    static var mailsiftBinary: String {
        let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        return root.appendingPathComponent(".build/debug/mailsift").path
    }
}

/// Campaign counters shared by two servers through Redis: each counts the variants the other saw.
@Suite(.serialized) struct RedisCampaignTests {
    static func variant(_ name: String) throws -> AnalyzedMessage {
        let body = """
            Dear \(name), our records show that your mailbox storage is almost full. To keep receiving messages you must \
            verify your account within 24 hours. Click the secure link below and sign in with your current password to \
            confirm your identity. Accounts that are not verified will be suspended and all stored mail deleted.
            """
        let raw = "From: Mail Team <admin@mailbox-\(name).example>\r\nTo: \(name)@example.org\r\nSubject: Mailbox full\r\n\r\n\(body)\r\n"
        return try MessageAnalyzer().analyze(Array(raw.utf8))
    }

    @Test func twoServersCountOneCampaign() async throws {
        let redis = try RedisServer()
        let a = serverLearning(redis), b = serverLearning(redis)
        var state = SenderState()
        for (i, name) in ["alice", "bob", "carol"].enumerated() {
            let v = try Self.variant(name)
            await a.observeContent(campaigns: CampaignFingerprint(v).counterKeys, languageProfile: nil, of: SenderKeys(v.message), into: &state, at: 1_000 + Int64(i))
        }
        #expect(state.count(.campaign, .hour) == 3)
        // Three senders (mailbox-NAME.example) to three recipients (NAME@example.org).
        #expect(state.campaignSenders == 3 && state.campaignRecipients == 3)
        // The other server sees the campaign's fourth message, from another sender to another recipient.
        var other = SenderState()
        let dave = try Self.variant("dave")
        await b.observeContent(campaigns: CampaignFingerprint(dave).counterKeys, languageProfile: nil, of: SenderKeys(dave.message), into: &other, at: 1_010)
        #expect(other.count(.campaign, .minute) == 4)
        #expect(other.campaignSenders == 4 && other.campaignRecipients == 4)
        // The same sender again adds no sender; in the next hour the last hour still counts.
        var again = SenderState()
        await b.observeContent(campaigns: CampaignFingerprint(dave).counterKeys, languageProfile: nil, of: SenderKeys(dave.message), into: &again, at: 1_000 + 3_600)
        #expect(again.campaignSenders == 4)
        #expect(other.count(.campaign, .day) == 4)
        // Unrelated mail starts its own count.
        let unrelated = try MessageAnalyzer().analyze(Array("""
            From: bob@partner.example\r\nTo: alice@corp.example\r\nSubject: Minutes\r\n\r\nHi all, the minutes of Tuesday's meeting \
            are attached. We agreed to move the release to the second week of March, after the translations are in and the \
            installer has been tested on the older machines. Comments before Friday, please.\r\n
            """.utf8))
        var third = SenderState()
        await b.observeContent(campaigns: CampaignFingerprint(unrelated).counterKeys, languageProfile: nil, into: &third, at: 1_020)
        #expect(third.count(.campaign, .hour) == 1)
    }
}

/// A recipient's language profile shared by two servers through Redis: what one server's verdicts taught, the other
/// reads.
@Suite(.serialized, .enabled(if: RedisServer.executable != nil, "redis-server is not installed")) struct RedisLanguageProfileTests {
    @Test func twoServersShareARecipientsLanguageProfile() async throws {
        let redis = try RedisServer()
        let a = serverLearning(redis), b = serverLearning(redis)
        let t: Int64 = 1_800_000_000
        var english = SenderKeys(fromDomain: "partner.example", recipients: ["alice@example.org"])
        english.languageProfile = SenderKeys.languageProfile(language: "en", recipients: english.recipients)
        // Twelve confident ham verdicts on server a (0.2 each).
        for i in 0..<12 { await a.learn(from: 0.02, keys: english, entry: nil, at: t + Int64(i)) }
        var state = SenderState()
        await b.observeContent(
            campaigns: nil, languageProfile: SenderKeys.languageProfile(language: "ru", recipients: ["alice@example.org"]), into: &state, at: t + 20)
        #expect(state.languageShare == 0)
        #expect(abs((state.reputations[.recipient]?.evidence ?? 0) - 2.4) < 0.01)
        var again = SenderState()
        await b.observeContent(
            campaigns: nil, languageProfile: SenderKeys.languageProfile(language: "en", recipients: ["alice@example.org"]), into: &again, at: t + 20)
        #expect((again.languageShare ?? 0) > 0.99)
        // The same through the in-process store of a server without Redis: nothing known.
        var none = SenderState()
        await serverLearning(nil).observeContent(
            campaigns: nil, languageProfile: SenderKeys.languageProfile(language: "ru", recipients: ["alice@example.org"]), into: &none, at: t + 20)
        #expect(none.languageShare == nil)
    }
}

/// A server's sender state and learning on `redis` (nil: in process only), as `serve` opens them (without a store).
func serverLearning(_ redis: RedisServer?) -> OnlineLearning {
    var c = ServerConfiguration()
    c.redisURL = redis?.url
    return OnlineLearning(configuration: c, store: nil, metrics: LearningMetrics(registry: ServerMetrics().registry), logger: Logger(label: "test"))
}
