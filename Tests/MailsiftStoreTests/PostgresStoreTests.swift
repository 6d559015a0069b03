import Foundation
import Logging
import MailsiftCore
import MailsiftPostgres
import MailsiftServer
import MailsiftTestKit
import Testing

@Suite("PostgreSQL store: feedback, feature log, reputations, model registry")
struct PostgresStoreTests {
    /// Runs `body` with a migrated store on `url`, its connection pool running beside it.
    static func withStore<T: Sendable>(_ url: String, _ body: @Sendable (PostgresStore) async throws -> T) async throws -> T {
        let store = try PostgresStore(url: url, logger: Logger(label: "test"))
        return try await withThrowingTaskGroup(of: Void.self) { group in
            group.addTask { await store.run() }
            defer { group.cancelAll() }
            try await store.migrate()
            return try await body(store)
        }
    }

    static func record(_ version: String, _ status: ModelRecord.Status) -> ModelRecord {
        ModelRecord(version: version, parent: nil, createdAt: 1_000, status: status, report: nil)
    }

    /// Everything written is there after the server crashes (immediate shutdown) and starts again, and a
    /// second migration of the same database changes nothing.
    @Test func everythingSurvivesAServerCrashAndRestart() async throws {
        let server = try PostgresServer()
        let keys = SenderKeys(clientIP: "198.51.100.4", fromDomain: "spammy.example", prior: .neutral)
        let bundle = (0..<100_000).map { UInt8(truncatingIfNeeded: $0 &* 31) }
        try await Self.withStore(server.url) { store in
            let f = Feedback(messageID: "<a@example>", user: "u1", label: .spam, time: 100)
            #expect(try await store.record(f))
            #expect(try await !store.record(f))
            #expect(try await store.record(Feedback(messageID: "<a@example>", user: "u1", label: .ham, time: 200)))
            await #expect(throws: Feedback.Invalid.emptyUser) { try await store.record(Feedback(messageID: "x", user: "", label: .ham, time: 1)) }
            try await store.append([SQLiteStoreTests.entry("m1", at: 10), SQLiteStoreTests.entry("m2", at: 20), SQLiteStoreTests.entry("m1", at: 30)])
            let state = InMemorySenderStateStore()
            for t in 0..<5 { state.learn(keys, spam: true, weight: 2, at: Int64(t)) }
            try await store.saveReputations(state.takeChangedReputations())
            try await store.register(bundle, record: Self.record("v1", .active))
            try await store.register([1, 2, 3], record: Self.record("v2", .candidate))
            let edge = CommunicationGraph.Edge("alice@corp.example", "bob@partner.example")
            try await store.saveEdges([edge: .init(messages: 8, updated: 50, outbound: true)])
            // Another server's smaller count does not lower it; a later time moves the time.
            try await store.saveEdges([edge: .init(messages: 3, updated: 60, outbound: false)])
            try await store.saveSentMessages([1: 100, 0xF000_0000_0000_0001: 50, 3: 10], prunedBefore: 0)
            try await store.saveSentMessages([0xF000_0000_0000_0001: 40, 1: 120], prunedBefore: 20)
        }
        server.crash()
        try server.start()
        try await Self.withStore(server.url) { store in
            #expect(try await store.feedback(from: 0, through: 1_000).map(\.label) == [.spam, .ham])
            #expect(try await store.feedback(from: 150, through: 1_000).count == 1)
            let first = try #require(try await store.entry(messageID: "m1"))
            let expected = SQLiteStoreTests.entry("m1", at: 10)
            #expect(first.time == 10 && first.treeRow.map(\.bitPattern) == expected.treeRow.map(\.bitPattern))  // NaN kept
            #expect(first.textRows == expected.textRows && first.keys == expected.keys && first.action == .tag)
            #expect(try await store.entries(from: 0, through: 100).map(\.time) == [10, 20, 30])
            #expect(try await store.prune(before: 25) == 2)
            #expect(try await store.entries(from: 0, through: 100).map(\.messageID) == ["m1"])
            let restarted = InMemorySenderStateStore(reputations: try await store.loadReputations())
            let r = try #require(restarted.reputation(ReputationKey(.domain, "spammy.example"), at: 4))
            #expect(abs(r.spam - 10) < 1e-3)
            #expect(try await store.records().map { "\($0.version) \($0.status.rawValue)" } == ["v1 active", "v2 candidate"])
            #expect(try await store.bundle("v1") == bundle)
            let edges = try await store.loadEdges()
            #expect(edges == [CommunicationGraph.Edge("alice@corp.example", "bob@partner.example"): .init(messages: 8, updated: 60, outbound: true)])
            #expect(try await store.loadSentMessages(since: 0) == [1: 120, 0xF000_0000_0000_0001: 50])
            #expect(try await store.loadSentMessages(since: 60) == [1: 120])
        }
    }

    /// Registering, promoting and their errors behave as the in-memory registry's; many promotions at once
    /// leave exactly one active version.
    @Test func registryKeepsOneActiveVersion() async throws {
        let server = try PostgresServer()
        try await Self.withStore(server.url) { store in
            try await store.register([0], record: Self.record("v0", .active))
            for i in 1...6 { try await store.register([UInt8(i)], record: Self.record("v\(i)", .candidate)) }
            await #expect(throws: ModelRegistryError.duplicateVersion("v3")) { try await store.register([9], record: Self.record("v3", .candidate)) }
            await #expect(throws: ModelRegistryError.unknownVersion("v9")) { try await store.promote("v9") }
            await #expect(throws: ModelRegistryError.unknownVersion("v9")) { try await store.bundle("v9") }
            try await withThrowingTaskGroup(of: Void.self) { group in
                for i in 1...6 { group.addTask { try await store.promote("v\(i)") } }
                try await group.waitForAll()
            }
            let records = try await store.records()
            #expect(records.filter { $0.status == .active }.count == 1)
            #expect(records.filter { $0.status == .retired }.count == 6)
            try await store.register([7], record: Self.record("v7", .active))
            #expect(try await store.active()?.version == "v7")
            #expect(try await store.bundle("v7") == [7])
        }
    }

    @Test func badURLsAreRefused() {
        for url in ["redis://x", "postgres://127.0.0.1/db", "postgres://u@/db", "postgres://u@host"] {
            #expect(throws: PostgresStore.StoreError.self) { try PostgresStore.configuration(url: url) }
        }
        #expect(throws: Never.self) { try PostgresStore.configuration(url: "postgres://u:p@127.0.0.1:5433/mail") }
    }
}

/// The fuzzy list shared through PostgreSQL: what one server adds or removes, another reads.
@Suite(.serialized) struct PostgresFuzzyListTests {
    @Test func twoServersShareTheFuzzyListThroughPostgres() async throws {
        let server = try PostgresServer()
        try await PostgresStoreTests.withStore(server.url) { store in
            let a = FuzzyListService(configuration: ServerConfiguration(), archive: store, logger: Logger(label: "test"))
            let b = FuzzyListService(configuration: ServerConfiguration(), archive: store, logger: Logger(label: "test"))
            let body = """
                Dear customer, our records show that your mailbox storage is almost full. To keep receiving messages you must \
                verify your account within 24 hours. Click the secure link below and sign in with your current password to \
                confirm your identity. Accounts that are not verified will be suspended and all stored mail deleted.
                """
            let message = try MessageAnalyzer().analyze(Array("From: a@mailbox.example\r\nTo: u@example.org\r\nSubject: Mailbox full\r\n\r\n\(body)\r\n".utf8))
            let added = await a.add(.init(action: .block, fingerprint: CampaignFingerprint(message), note: "mailbox phish", added: 1))
            #expect(added.refusal == nil && added.shared == true)
            #expect(b.match(CampaignFingerprint(message)) == nil)
            await b.refresh()
            #expect(b.match(CampaignFingerprint(message))?.entry.note == "mailbox phish")
            // Removed on b: a reads the removal (and its own entry again, which changes nothing).
            #expect(await b.remove(id: added.entry.id)?.shared == true)
            await a.refresh()
            #expect(a.count == 0 && a.match(CampaignFingerprint(message)) == nil)
            // A third server started later reads the whole history: nothing left.
            let c = FuzzyListService(configuration: ServerConfiguration(), archive: store, logger: Logger(label: "test"))
            await c.refresh()
            #expect(c.count == 0)
        }
    }
}
