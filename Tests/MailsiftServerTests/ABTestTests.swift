import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import MailsiftCore
import MailsiftTestKit
import NIOCore
import Testing

@testable import MailsiftServer

/// The A/B test through the server: the candidate serves its arm's recipients, per-arm counts are exported and
/// summarised at `GET /admin/ab`, and feedback is counted against the arm that gave the verdict.
@Suite struct ABTestTests {
    @Test func eachArmServesItsRecipientsAndIsCounted() async throws {
        var c = ServerConfiguration()
        c.port = 0
        c.watchSeconds = 0
        c.latencyBudgetMilliseconds = 10_000
        c.adminToken = "admin-token-0123456789"
        c.abModel = "candidate.msmodel"  // installed below, as the reloader would
        c.abShare = 0.5
        let server = Server(configuration: c, model: Fixture.model, logger: Fixture.logger)
        let ab = try #require(server.service.ab)
        ab.install(Fixture.model)
        let recipients = (0..<40).map { "user\($0)@example.org" }
        let expected = recipients.count { ab.split.arm($0) == .candidate }
        try await server.application().test(.router) { client in
            for r in recipients {
                let message = Fixture.ham.replacingOccurrences(of: "Subject: ", with: "Message-ID: <m-\(r)>\r\nSubject: ")
                try await client.execute(uri: "/v1/classify", method: .post, headers: [.init("X-Envelope-To")!: r], body: ByteBuffer(string: message)) {
                    #expect($0.status == .ok)
                }
            }
            let s = ab.summary
            #expect(s.candidate.messages == expected && s.control.messages == 40 - expected)
            #expect((10...30).contains(expected))
            // Feedback on a candidate recipient's message: counted for the candidate arm.
            let r = try #require(recipients.first { ab.split.arm($0) == .candidate })
            ab.record([Feedback(messageID: "<m-\(r)>", user: r, label: .spam, time: 1)])
            #expect(ab.summary.candidate.spamInInbox == 1 && ab.summary.control.spamInInbox == 0)
            try await client.execute(uri: "/metrics", method: .get) { r in
                let text = String(buffer: r.body)
                #expect(text.contains("mailsift_ab_verdicts_total{arm=\"candidate\",action=\"inbox\"} \(expected)"))
                #expect(text.contains("mailsift_ab_feedback_total{arm=\"candidate\",outcome=\"spam_in_inbox\"} 1"))
            }
            try await client.execute(uri: "/admin/ab", method: .get) { #expect($0.status == .unauthorized) }
            try await client.execute(uri: "/admin/ab", method: .get, headers: [.authorization: "Bearer admin-token-0123456789"]) { r in
                let json = Fixture.json(r.body)
                #expect((json["candidate"] as? [String: Any])?["messages"] as? Int == expected)
            }
        }
    }
}
