import Foundation
import MailsiftCore
import MailsiftSQLite
import Testing

@Suite("SQLite store: feedback, feature log, reputations")
struct SQLiteStoreTests {
    /// A fresh directory under the temporary folder, removed by the caller.
    static func directory() -> String {
        let path = (NSTemporaryDirectory() as NSString).appendingPathComponent("mailsift-store-\(UUID().uuidString)")
        try? FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
        return path
    }

    static func entry(_ id: String, at time: Int64) -> FeatureLogEntry {
        FeatureLogEntry(
            messageID: id, time: time, modelVersion: "spam-1",
            keys: SenderKeys(clientIP: "192.0.2.1", fromDomain: "example.com", recipients: ["u@example.org"]),
            treeRow: [1, .nan, -2.5, .infinity], textRows: [7, 9, 4_000_000_000], textViewEnds: [2, 3], probability: 0.875, action: .tag
        )
    }

    @Test func feedbackIsIdempotentAndSurvivesReopening() async throws {
        let dir = Self.directory()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        do {
            let store = try SQLiteStore(directory: dir)
            let f = Feedback(messageID: "<a@example>", user: "u1", label: .spam, time: 100)
            #expect(try await store.record(f))
            #expect(try await !store.record(f))
            #expect(try await store.record(Feedback(messageID: "<a@example>", user: "u1", label: .ham, time: 200)))
            await #expect(throws: Feedback.Invalid.emptyUser) { try await store.record(Feedback(messageID: "x", user: "", label: .ham, time: 1)) }
        }
        let reopened = try SQLiteStore(directory: dir)
        #expect(try await reopened.feedbackCount() == 2)
        let all = try await reopened.feedback(from: 0, through: 1_000)
        #expect(all.map(\.label) == [.spam, .ham])
        #expect(try await reopened.feedback(from: 150, through: 1_000).count == 1)
    }

    @Test func featureLogRoundTripsExactlyAndPrunes() async throws {
        let dir = Self.directory()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let store = try SQLiteStore(directory: dir)
        try await store.append([Self.entry("m1", at: 10), Self.entry("m2", at: 20), Self.entry("m1", at: 30)])
        let back = try await store.entries(from: 0, through: 100)
        #expect(back.count == 3)
        let first = try #require(try await store.entry(messageID: "m1"))
        #expect(first.time == 10)
        let expected = Self.entry("m1", at: 10)
        #expect(first.treeRow.map(\.bitPattern) == expected.treeRow.map(\.bitPattern))  // NaN kept
        #expect(first.textRows == expected.textRows && first.textViewEnds == expected.textViewEnds)
        #expect(first.keys == expected.keys && first.probability == 0.875 && first.action == .tag)
        #expect(try await store.prune(before: 25) == 2)
        #expect(try await store.entries(from: 0, through: 100).map(\.time) == [30])
    }

    @Test func reputationsSaveAndComeBackIntoANewProcessState() async throws {
        let dir = Self.directory()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let keys = SenderKeys(clientIP: "198.51.100.4", fromDomain: "spammy.example", prior: .neutral)
        do {
            let store = try SQLiteStore(directory: dir)
            let state = InMemorySenderStateStore()
            for t in 0..<5 { state.learn(keys, spam: true, weight: 2, at: Int64(t)) }
            try await store.saveReputations(state.takeChangedReputations())
            #expect(state.takeChangedReputations().isEmpty)
        }
        let restarted = InMemorySenderStateStore(reputations: try await SQLiteStore(directory: dir).loadReputations())
        let r = try #require(restarted.reputation(ReputationKey(.domain, "spammy.example"), at: 4))
        #expect(abs(r.spam - 10) < 1e-3)
        #expect(restarted.observe(keys, at: 4).reputations[.domain]!.spamRate > 0.9)
    }

    @Test func graphEdgesMergeAndSurviveReopening() async throws {
        let dir = Self.directory()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let edge = CommunicationGraph.Edge("alice@corp.example", "bob@partner.example")
        do {
            let store = try SQLiteStore(directory: dir)
            try await store.saveEdges([edge: .init(messages: 8, updated: 50, outbound: true)])
            try await store.saveEdges([edge: .init(messages: 3, updated: 60, outbound: false)])
        }
        #expect(try await SQLiteStore(directory: dir).loadEdges() == [edge: .init(messages: 8, updated: 60, outbound: true)])
    }

    /// Sent Message-IDs: the later time of a key is kept, old ones are pruned, and they come back after reopening
    /// (keys with the top bit set included: stored as signed integers).
    @Test func sentMessageIDsMergePruneAndSurviveReopening() async throws {
        let dir = Self.directory()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let high: UInt64 = 0xF000_0000_0000_0001
        do {
            let store = try SQLiteStore(directory: dir)
            try await store.saveSentMessages([1: 100, high: 50, 3: 10], prunedBefore: 0)
            try await store.saveSentMessages([high: 40, 1: 120], prunedBefore: 20)
        }
        let store = try SQLiteStore(directory: dir)
        #expect(try await store.loadSentMessages(since: 0) == [1: 120, high: 50])
        #expect(try await store.loadSentMessages(since: 60) == [1: 120])
    }

    @Test func aFileThatIsNotADatabaseIsRefused() throws {
        let dir = Self.directory()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let path = (dir as NSString).appendingPathComponent("mailsift.sqlite")
        try Data(repeating: 0x5A, count: 8_192).write(to: URL(fileURLWithPath: path))
        #expect(throws: SQLiteStore.StoreError.self) { try SQLiteStore(path: path) }
    }

    @Test func damagedEntriesAreRefusedWithATypedError() {
        let bytes = Self.entry("m", at: 1).encoded()
        #expect(throws: FeatureLogEntry.DecodingError.self) { try FeatureLogEntry(encoded: Array(bytes.dropLast(3))) }
        #expect(throws: FeatureLogEntry.DecodingError.badVersion(9)) { try FeatureLogEntry(encoded: [9] + bytes.dropFirst()) }
        #expect(throws: FeatureLogEntry.DecodingError.self) { try FeatureLogEntry(encoded: bytes + [0]) }
        for cut in 0..<bytes.count {
            #expect(throws: FeatureLogEntry.DecodingError.self) { try FeatureLogEntry(encoded: Array(bytes.prefix(cut))) }
        }
    }
}
