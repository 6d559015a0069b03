import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import MailsiftCore
import MailsiftTestKit
import NIOCore
import Testing

@testable import MailsiftServer

/// The audit log: admin and feedback actions written with their actor and time, no address or content; old entries
/// pruned.
@Suite struct AuditLogTests {
    @Test func actionsAreWrittenWithoutAddressesAndOldOnesPruned() async throws {
        let file = NSTemporaryDirectory() + "mailsift-audit-\(UUID().uuidString).jsonl"
        defer { try? FileManager.default.removeItem(atPath: file) }
        var c = ServerConfiguration()
        c.port = 0
        c.watchSeconds = 0
        c.adminToken = "admin-token-0123456789"
        c.feedbackToken = "feedback-token-0123456789"
        c.auditFile = file
        let server = Server(configuration: c, model: Fixture.model, logger: Fixture.logger)
        let phishing = try FuzzyListTests.example("phishing.eml")
        try await server.application().test(.router) { client in
            let admin: HTTPFields = [.authorization: "Bearer admin-token-0123456789"]
            var id = ""
            try await client.execute(uri: "/admin/fuzzy?action=block", method: .post, headers: admin, body: ByteBuffer(string: phishing)) { r in
                id = Fixture.json(r.body)["id"] as? String ?? ""
            }
            try await client.execute(uri: "/admin/fuzzy/\(id)", method: .delete, headers: admin) { #expect($0.status == .ok) }
            let report: HTTPFields = [.authorization: "Bearer feedback-token-0123456789", .init("X-User")!: "alice.private@example.org"]
            try await client.execute(uri: "/v1/report?label=spam", method: .post, headers: report, body: ByteBuffer(string: phishing)) { #expect($0.status == .ok) }
        }
        let entries = server.service.audit.entries()
        #expect(entries.map(\.action) == ["fuzzy_add", "fuzzy_remove", "report"])
        #expect(entries.map(\.actor) == ["admin", "admin", "feedback"])
        #expect(entries[1].detail == entries[0].detail)
        let text = try String(contentsOfFile: file, encoding: .utf8)
        #expect(!text.contains("alice.private") && !text.contains("example.org"))
        // Retention: an entry older than audit_days goes when the log is opened again.
        let log = AuditLog(path: file, retentionDays: 1, logger: Fixture.logger)
        log.record(actor: "admin", action: "reload", detail: "old", at: Int64(Date().timeIntervalSince1970) - 3 * 86_400)
        #expect(log.entries().count == 4)
        #expect(AuditLog(path: file, retentionDays: 1, logger: Fixture.logger).entries().map(\.detail).contains("old") == false)
    }
}
