import Foundation
import Logging
import MailsiftCore
import MailsiftRedis
import MailsiftSQLite
import MailsiftTestKit
import Testing

/// Erasing one person's data (`mailsift forget`, docs/privacy.md): what names the address goes, the rest stays.
@Suite(.serialized) struct ErasureTests {
    static func entry(_ id: String, recipients: [String], from: String? = nil) -> FeatureLogEntry {
        FeatureLogEntry(
            messageID: id, time: 1_000, modelVersion: "spam-1",
            keys: SenderKeys(envelopeSender: from, fromDomain: "example.com", recipients: recipients), treeRow: [1], probability: 0.1, action: .inbox)
    }

    /// A store with alice's data and bob's, then `mailsift forget alice` (the command, on the data directory).
    @Test func theStoreForgetsOneAddress() async throws {
        let dir = SQLiteStoreTests.directory()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        do {
            let store = try SQLiteStore(directory: dir)
            _ = try await store.record(Feedback(messageID: "<1@x>", user: "alice@example.org", label: .spam, time: 100))
            _ = try await store.record(Feedback(messageID: "<2@x>", user: "bob@example.org", label: .ham, time: 100))
            try await store.append([
                Self.entry("<1@x>", recipients: ["alice@example.org", "bob@example.org"]), Self.entry("<2@x>", recipients: ["bob@example.org"]),
                Self.entry("<3@x>", recipients: ["carol@example.org"], from: "alice@example.org"),
            ])
            let r = Reputation(spam: 1, ham: 2, updated: 100)
            try await store.saveReputations([
                ReputationKey(.recipient, "alice@example.org"): r, ReputationKey(.recipientLanguage, "en|alice@example.org"): r,
                ReputationKey(.recipientLanguage, "de|malice@example.org"): r, ReputationKey(.recipient, "bob@example.org"): r,
                ReputationKey(.domain, "example.com"): r,
            ])
            let w = CommunicationGraph.Weight(messages: 1, updated: 100, outbound: false)
            try await store.saveEdges([.init("alice@example.org", "bob@example.org"): w, .init("carol@example.org", "alice@example.org"): w, .init("bob@example.org", "dave@example.org"): w])
        }
        let (status, output) = try await MailsiftProcess.run(["forget", "--data-dir", dir, "Alice@Example.org"])
        #expect(status == 0, "\(output)")
        let counts = try JSONDecoder().decode([String: Int].self, from: Data(output.split(separator: "\n").last.map { Array($0.utf8) } ?? []))
        #expect(counts == ["feedback": 1, "feature_log_entries": 2, "reputations": 2, "graph_edges": 2, "shared_state_keys": 0])
        let store = try SQLiteStore(directory: dir)
        #expect(try await store.feedback(from: 0, through: 1_000).map(\.user) == ["bob@example.org"])
        #expect(try await store.entries(from: 0, through: 2_000).map(\.messageID) == ["<2@x>"])
        #expect(Set(try await store.loadReputations().keys.map(\.description)) == ["rcpt-lang:de|malice@example.org", "rcpt:bob@example.org", "domain:example.com"])
        #expect(try await store.loadEdges().keys.map(\.source) == ["bob@example.org"])
    }

    @Test(.enabled(if: RedisServer.executable != nil, "redis-server is not installed"))
    func redisForgetsOneAddress() async throws {
        let redis = try RedisServer()
        let store = RedisSenderStateStore(client: try RedisClient(url: redis.url))
        for r in ["alice@example.org", "bob@example.org", "x*alice@example.org"] {
            var keys = SenderKeys(envelopeSender: r, fromDomain: "example.com", recipients: [r])
            keys.languageProfile = SenderKeys.languageProfile(language: "en", recipients: [r])
            _ = try await store.observe(keys, at: 1_000)
            try await store.learn(keys, spam: false, weight: 1, at: 1_000)
        }
        // Per address: 3 windows x (recipient + envelope sender) velocity, and 2 reputations.
        #expect(try await store.erase(address: "alice@example.org") == 8)
        #expect(try await store.erase(address: "alice@example.org") == 0)
        let left = try await store.client.send(["KEYS", "*"])
        guard case .array(let keys?) = left else { Issue.record("no reply"); return }
        let names = keys.compactMap(\.string)
        #expect(!names.contains { $0.hasSuffix(":alice@example.org") || $0.hasSuffix("|alice@example.org") })
        #expect(names.contains { $0.hasSuffix(":rcpt:bob@example.org") } && names.contains { $0.hasSuffix("|x*alice@example.org") })
    }
}
