import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import MailsiftCore
import MailsiftSQLite
import MailsiftTestKit
import NIOCore
import Testing

@testable import MailsiftServer

/// With `privacy_key`, addresses and client IPs are stored as pseudonyms, and everything that counts on them still
/// works: velocity, contacts, feedback; `mailsift forget` with the key erases the pseudonym's data.
@Suite struct PseudonymTests {
    static let key = "site-secret-0123456789abcdef"

    @Test func storedKeysArePseudonymsAndStillCount() async throws {
        let dir = LearningTests.dataDirectory()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        var c = ServerConfiguration()
        c.port = 0
        c.watchSeconds = 0
        c.latencyBudgetMilliseconds = 10_000
        c.dataDirectory = dir
        c.feedbackToken = LearningTests.token
        c.privacyKey = Self.key
        let metrics = ServerMetrics()
        let learning = try await OnlineLearning.open(configuration: c, metrics: LearningMetrics(registry: metrics.registry), logger: Fixture.logger)
        let server = Server(configuration: c, model: Fixture.model, learning: learning, logger: Fixture.logger, metrics: metrics)
        let envelope: HTTPFields = [
            .init("X-Client-IP")!: "203.0.113.50", .init("X-Envelope-From")!: "carol@partner.example", .init("X-Envelope-To")!: "alice@example.org",
        ]
        let fromCarol = Fixture.ham.replacingOccurrences(of: "From: Alice <alice@example.org>", with: "From: Carol <carol@partner.example>")
            .replacingOccurrences(of: "To: bob@example.com", with: "To: alice@example.org")
        try await server.application().test(.router) { client in
            // Alice writes to carol: carol becomes her contact (under pseudonyms).
            let sent = "From: alice@example.org\r\nTo: carol@partner.example\r\nMessage-ID: <s1@example.org>\r\nSubject: hi\r\n\r\nhello\r\n"
            try await client.execute(uri: "/v1/sent", method: .post, headers: [.authorization: "Bearer \(LearningTests.token)"], body: ByteBuffer(string: sent)) {
                #expect($0.status == .ok)
            }
            for _ in 0..<2 {
                try await client.execute(uri: "/v1/classify", method: .post, headers: envelope, body: ByteBuffer(string: fromCarol)) { #expect($0.status == .ok) }
            }
            let report = #"{"message_id": "<20021001.1@example.org>", "user": "alice@example.org", "label": "ham", "time": \#(Int(Date().timeIntervalSince1970))}"#
            try await client.execute(uri: "/v1/feedback", method: .post, headers: [.authorization: "Bearer \(LearningTests.token)", .contentType: "application/json"], body: ByteBuffer(string: report)) {
                #expect($0.status == .ok)
            }
        }
        // Counting works on pseudonyms: the third message from the same client is the third.
        learning.recomputeTrust()
        let message = try MessageParser().parse(Array(fromCarol.utf8))
        let (keys, state) = await learning.observe(message, envelope: Envelope(clientIP: "203.0.113.50", mailFrom: "carol@partner.example", recipients: ["alice@example.org"]), at: Int64(Date().timeIntervalSince1970))
        #expect(state.count(.clientIP, .minute) == 3)
        #expect(state.isContact == true, "carol is alice's contact, both as pseudonyms")
        #expect(keys.clientIP?.hasPrefix("~") == true && keys.recipients.allSatisfy { $0.hasPrefix("~") } && keys.fromAddress?.hasPrefix("~") == true)
        #expect(keys.fromDomain == "partner.example")
        await learning.flush()
        // What the store holds names no address or IP.
        let store = try SQLiteStore(directory: dir)
        let entries = try await store.entries(from: 0, through: Int64.max)
        #expect(entries.count == 2)
        let written = entries.map { String(decoding: (try? JSONEncoder().encode($0.keys)) ?? Data(), as: UTF8.self) }.joined()
        #expect(!written.contains("alice@") && !written.contains("carol@") && !written.contains("203.0.113"))
        #expect(try await store.feedback(from: 0, through: Int64.max).map(\.user).allSatisfy { $0.hasPrefix("~") })
        let edges = try await store.loadEdges()
        #expect(!edges.isEmpty && edges.keys.allSatisfy { $0.source.hasPrefix("~") && $0.target.hasPrefix("~") })
        // Erased with the key: alice's feedback, the entries naming her, her edges.
        let (status, output) = try await MailsiftProcess.run(["forget", "--data-dir", dir, "--privacy-key", Self.key, "alice@example.org"])
        #expect(status == 0, "\(output)")
        #expect(output.contains("\"feedback\":1") && output.contains("\"feature_log_entries\":2"), "\(output)")
        #expect(try await store.loadEdges().isEmpty)
    }
}
