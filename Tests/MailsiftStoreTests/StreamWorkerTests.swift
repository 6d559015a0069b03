import Foundation
import MailsiftCore
import MailsiftPostgres
import MailsiftRedis
import MailsiftSQLite
import MailsiftTestKit
import NIOCore
import Testing

/// `mailsift worker` processes (the built executable) against a real `redis-server`: the stream ingest.
@Suite struct StreamWorkerTests {
    /// A worker started in the background; killed with SIGKILL (no chance to finish its batch).
    final class Worker {
        let process = Process()

        init(redis: String, consumer: String, claimIdleMilliseconds: Int = 1_000, extra: [String] = [], environment: [String: String] = [:]) throws {
            let binary = TestPaths.mailsiftBinary
            try #require(FileManager.default.isExecutableFile(atPath: binary), "build the mailsift executable first (swift build)")
            process.executableURL = URL(fileURLWithPath: binary)
            process.arguments = ["worker", "--redis", redis, "--consumer", consumer, "--batch", "16", "--claim-idle-ms", String(claimIdleMilliseconds), "--max-deliveries", "3"] + extra
            process.environment = ProcessInfo.processInfo.environment.merging(environment) { $1 }
            process.standardOutput = FileHandle.nullDevice
            process.standardError = FileHandle.nullDevice
            try process.run()
        }

        func kill() {
            guard process.isRunning else { return }
            Foundation.kill(process.processIdentifier, SIGKILL)
            process.waitUntilExit()
        }

        deinit { kill() }
    }

    static func length(_ client: RedisClient, _ stream: String) async throws -> Int {
        guard case .integer(let n) = try await client.send(["XLEN", stream]) else { return -1 }
        return Int(n)
    }

    /// Polls `condition` every 50 ms for up to `seconds` (an error counts as false: the worker may not have
    /// created its group yet); whether it became true.
    static func eventually(_ seconds: Double, _ condition: () async throws -> Bool) async throws -> Bool {
        let end = Date().addingTimeInterval(seconds)
        while Date() < end {
            if (try? await condition()) == true { return true }
            try await Task.sleep(for: .milliseconds(50))
        }
        return (try? await condition()) ?? false
    }

    /// The `field` of every entry of `stream`.
    static func values(_ client: RedisClient, _ stream: String, _ field: String) async throws -> [String] {
        let reply = try await client.send(["XRANGE", stream, "-", "+"])
        guard case .array(let rows?) = reply else { return [] }
        return rows.compactMap { row -> String? in
            guard case .array(let pair?) = row, pair.count == 2, case .array(let flat?) = pair[1] else { return nil }
            let index = stride(from: 0, to: flat.count - 1, by: 2).first { flat[$0].string == field }
            return index.flatMap { flat[$0 + 1].string }
        }
    }

    /// A worker is killed mid-batch; two others take over. Every message gets exactly one verdict (or, for
    /// the poison message, one dead-letter entry): none lost, none twice.
    @Test func everyMessageIsProcessedOnceAfterAWorkerIsKilled() async throws {
        let redis = try RedisServer()
        let client = try RedisClient(url: redis.url, timeout: .seconds(5))
        let count = 240
        var ids: [String] = []
        for i in 0..<count {
            // Bytes that are not UTF-8 travel as they are.
            let message = Array("From: sender\(i % 7)@shop\(i % 3).example\r\nTo: user@example.org\r\nSubject: order \(i)\r\nMessage-ID: <m\(i)@shop.example>\r\nContent-Type: text/plain; charset=latin1\r\n\r\nYour order \(i) has shipped. Caf".utf8) + [0xE9, 0x0D, 0x0A]
            let reply = try await client.send(bytes: [Array("XADD".utf8), Array("mailsift:messages".utf8), Array("*".utf8), Array("message".utf8), message,
                                                      Array("ip".utf8), Array("198.51.100.\(i % 5)".utf8), Array("rcpt".utf8), Array("user@example.org".utf8)])
            ids.append(try #require(reply.string))
        }
        // A poison message: nothing to parse.
        let poison = try #require(try await client.send(["XADD", "mailsift:messages", "*", "message", ""]).string)
        ids.append(poison)
        // A consumer that takes five entries and dies without a trace, before any worker runs.
        try await client.send(["XGROUP", "CREATE", "mailsift:messages", "mailsift", "0", "MKSTREAM"])
        try await client.send(["XREADGROUP", "GROUP", "mailsift", "ghost", "COUNT", "5", "STREAMS", "mailsift:messages", ">"])

        // The first worker never claims others' entries (on a slow machine it would otherwise take over the
        // ghost's before the kill, and the test would no longer show a recovery); the two after it do.
        let first = try Worker(redis: redis.url, consumer: "first", claimIdleMilliseconds: 3_600_000)
        #expect(try await Self.eventually(60) { try await Self.length(client, "mailsift:verdicts") >= 40 })
        first.kill()
        let consumer = RedisStreamConsumer(client: client, stream: "mailsift:messages", group: "mailsift", consumer: "test", deadLetterStream: "mailsift:dead")
        let abandoned = try await consumer.pendingCount()
        #expect(abandoned >= 5)  // the ghost's at least; the killed worker's uncommitted batch besides
        print("stream test: \(abandoned) entries pending after the kill, \(try await Self.length(client, "mailsift:verdicts")) verdicts written")

        let others = try [Worker(redis: redis.url, consumer: "second"), Worker(redis: redis.url, consumer: "third")]
        let done = try await Self.eventually(90) {
            let verdicts = try await Self.length(client, "mailsift:verdicts"), dead = try await Self.length(client, "mailsift:dead")
            let pending = try await consumer.pendingCount()
            return verdicts + dead >= ids.count && pending == 0
        }
        #expect(done)
        // A moment more: a late duplicate would show up now.
        try await Task.sleep(for: .milliseconds(1_500))
        for w in others { w.kill() }

        let verdictSources = try await Self.values(client, "mailsift:verdicts", "source_id")
        let deadSources = try await Self.values(client, "mailsift:dead", "source_id")
        #expect(Set(verdictSources).count == verdictSources.count, "a message got two verdicts")
        #expect(deadSources == [poison])
        #expect(Set(verdictSources).union(deadSources) == Set(ids))
        #expect(try await Self.values(client, "mailsift:dead", "reason").first?.hasPrefix("unparsable") == true)
        // The verdicts carry the messages' ids.
        #expect(Set(try await Self.values(client, "mailsift:verdicts", "message_id")) == Set((0..<count).map { "<m\($0)@shop.example>" }))
    }

    /// A slow consumer's entry is claimed by another; both finish it. Only the first commit writes a result.
    @Test func twoCommitsOfOneEntryWriteOneResult() async throws {
        let redis = try RedisServer()
        let client = try RedisClient(url: redis.url, timeout: .seconds(5))
        func consumer(_ name: String) -> RedisStreamConsumer {
            RedisStreamConsumer(client: client, stream: "in", group: "g", consumer: name, deadLetterStream: "dead", claimIdleMilliseconds: 1)
        }
        let (slow, fast) = (consumer("slow"), consumer("fast"))
        try await slow.createGroup()
        try await slow.createGroup()  // a second create is harmless
        try await client.send(["XADD", "in", "*", "message", "m"])
        let taken = try await slow.read(count: 10)
        #expect(taken.count == 1 && taken[0].deliveries == 1 && taken[0].string("message") == "m")
        try await Task.sleep(for: .milliseconds(5))
        let claimed = try await fast.claim(count: 10)
        #expect(claimed.map(\.id) == taken.map(\.id) && claimed[0].deliveries == 2)
        #expect(try await fast.commit(claimed[0], to: "out", fields: [("label", "ham")]))
        #expect(try await slow.commit(taken[0], to: "out", fields: [("label", "spam")]) == false)
        #expect(try await slow.deadLetter(taken[0], reason: "late") == false)
        #expect(try await Self.values(client, "out", "label") == ["ham"])
        #expect(try await Self.length(client, "dead") == 0)
        #expect(try await fast.pendingCount() == 0)
    }

    /// Feedback through the stream is stored once, however often it is delivered; an invalid report goes to
    /// the dead-letter stream; an entry that was delivered too often goes there without being processed.
    @Test func feedbackFromTheStreamIsStoredOnce() async throws {
        let redis = try RedisServer()
        let client = try RedisClient(url: redis.url, timeout: .seconds(5))
        let dir = (NSTemporaryDirectory() as NSString).appendingPathComponent("mailsift-stream-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let now = Int64(Date().timeIntervalSince1970)
        for (id, user, label) in [("<a@x>", "ann", "spam"), ("<a@x>", "ann", "spam"), ("<b@x>", "bob", "ham"), ("<c@x>", "cy", "maybe")] {
            try await client.send(["XADD", "mailsift:feedback", "*", "message_id", id, "user", user, "label", label, "time", "\(now)"])
        }
        // A sent message is recorded in the graph (nothing to check from outside but its acknowledgement); one
        // without recipients is dead-lettered.
        try await client.send(["XADD", "mailsift:sent", "*", "message", "From: ann@corp.example\r\nTo: bob@partner.example\r\n\r\nhi\r\n"])
        try await client.send(["XADD", "mailsift:sent", "*", "message", "From: ann@corp.example\r\n\r\nhi\r\n"])
        // A message entry delivered three times already to consumers that died: the fourth goes to dead letters.
        let worn = try #require(try await client.send(["XADD", "mailsift:messages", "*", "message", "Subject: x\r\n\r\nx\r\n"]).string)
        try await client.send(["XGROUP", "CREATE", "mailsift:messages", "mailsift", "0", "MKSTREAM"])
        try await client.send(["XREADGROUP", "GROUP", "mailsift", "ghost", "STREAMS", "mailsift:messages", ">"])
        for _ in 0..<2 { try await client.send(["XCLAIM", "mailsift:messages", "mailsift", "ghost", "0", worn]) }

        let worker = try Worker(redis: redis.url, consumer: "one", extra: ["--data-dir", dir])
        let feedback = RedisStreamConsumer(client: client, stream: "mailsift:feedback", group: "mailsift", consumer: "test", deadLetterStream: "mailsift:dead")
        let sent = RedisStreamConsumer(client: client, stream: "mailsift:sent", group: "mailsift", consumer: "test", deadLetterStream: "mailsift:dead")
        let done = try await Self.eventually(60) {
            let dead = try await Self.length(client, "mailsift:dead"), pending = try await feedback.pendingCount() + sent.pendingCount()
            return dead == 3 && pending == 0
        }
        worker.kill()
        #expect(done)
        #expect(try await Self.values(client, "mailsift:dead", "source_stream").filter { $0 == "mailsift:sent" }.count == 1)
        let reasons = try await Self.values(client, "mailsift:dead", "reason")
        #expect(reasons.contains { $0.hasPrefix("delivered 4 times") })
        #expect(reasons.contains { $0.contains("label") })
        #expect(try await Self.length(client, "mailsift:verdicts") == 0)
        let stored = try await SQLiteStore(directory: dir).feedback(from: now, through: now)
        #expect(stored.map { "\($0.messageID) \($0.user) \($0.label.rawValue)" }.sorted() == ["<a@x> ann spam", "<b@x> bob ham"])
    }

    /// Two workers share one PostgreSQL store: every message's features are logged once, and feedback
    /// delivered twice is stored once, whichever worker took it.
    @Test func workersShareThePostgresStore() async throws {
        let redis = try RedisServer()
        let postgres = try PostgresServer()
        let client = try RedisClient(url: redis.url, timeout: .seconds(5))
        for i in 0..<40 {
            try await client.send(["XADD", "mailsift:messages", "*", "message", "From: a@shop\(i % 4).example\r\nMessage-ID: <p\(i)@x>\r\nSubject: s\(i)\r\n\r\nbody \(i)\r\n"])
        }
        let now = Int64(Date().timeIntervalSince1970)
        for _ in 0..<2 {
            try await client.send(["XADD", "mailsift:feedback", "*", "message_id", "<p3@x>", "user", "ann", "label", "spam", "time", "\(now)"])
        }
        let environment = ["MAILSIFT_POSTGRES_URL": postgres.url, "MAILSIFT_FLUSH_SECONDS": "0.2"]
        let workers = try [Worker(redis: redis.url, consumer: "a", environment: environment), Worker(redis: redis.url, consumer: "b", environment: environment)]
        let feedback = RedisStreamConsumer(client: client, stream: "mailsift:feedback", group: "mailsift", consumer: "test", deadLetterStream: "mailsift:dead")
        #expect(try await Self.eventually(60) {
            let verdicts = try await Self.length(client, "mailsift:verdicts"), pending = try await feedback.pendingCount()
            return verdicts == 40 && pending == 0
        })
        try await PostgresStoreTests.withStore(postgres.url) { store in
            #expect(try await Self.eventually(10) { try await store.entries(from: 0, through: .max).count == 40 })
            let logged = try await store.entries(from: 0, through: .max).map(\.messageID)
            #expect(Set(logged) == Set((0..<40).map { "<p\($0)@x>" }) && logged.count == 40)
            #expect(try await store.feedback(from: now, through: now).map(\.messageID) == ["<p3@x>"])
        }
        for w in workers { w.kill() }
        #expect(try await Self.length(client, "mailsift:dead") == 0)
    }
}
