import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import MailsiftCore
import MailsiftFiles
import MailsiftTestKit
import NIOCore
import Testing

@testable import MailsiftServer

/// Shadow mode: a candidate scores beside the serving model; its verdicts are counted, never returned.
@Suite struct ShadowTests {
    static let token = "admin-token-0123456789"

    /// The shipped model with every threshold at zero: it rejects everything (a candidate that disagrees).
    static func rejectingEverything() throws -> String {
        var bundle = ShippedModel.bundle
        bundle.manifest.version = "shadow-rejects-all"
        bundle.manifest.operatingPoints = OperatingPoints(targetFPR: 0.001, tag: 0, quarantine: 0, reject: 0)
        bundle.manifest.cascade?.rejectAgreement = nil  // rejects need no agreement either
        let path = (NSTemporaryDirectory() as NSString).appendingPathComponent("mailsift-shadow-\(UUID().uuidString).msmodel")
        try Data(try bundle.encoded()).write(to: URL(fileURLWithPath: path))
        return path
    }

    @Test func disagreementsAreCountedAndTheActiveVerdictIsReturned() async throws {
        let path = try Self.rejectingEverything()
        defer { try? FileManager.default.removeItem(atPath: path) }
        let server = Fixture.server { c in
            c.shadowModel = path
            c.adminToken = Self.token
        }
        #expect(await server.reloader.reload(trigger: "test").loaded)
        let shadow = try #require(server.service.shadow)
        #expect(shadow.summary.shadowVersion == "shadow-rejects-all")
        try await server.application().test(.router) { client in
            for _ in 0..<3 {
                try await client.execute(uri: "/v1/classify", method: .post, body: ByteBuffer(string: Fixture.ham)) { r in
                    #expect(r.status == .ok)
                    #expect(Fixture.json(r.body)["action"] as? String == "inbox")  // the active model's verdict
                }
            }
            try await client.execute(uri: "/admin/shadow", method: .get) { #expect($0.status == .unauthorized) }
            try await client.execute(uri: "/admin/shadow", method: .get, headers: [.authorization: "Bearer \(Self.token)"]) { r in
                #expect(r.status == .ok)
                let summary = Fixture.json(r.body)
                #expect(summary["messages"] as? Int == 3)
                #expect(summary["ham_to_spam"] as? Int == 3)
                #expect(summary["spam_to_ham"] as? Int == 0)
                #expect(summary["action_changes"] as? Int == 3)
                #expect(summary["shadow_version"] as? String == "shadow-rejects-all")
            }
            try await client.execute(uri: "/metrics", method: .get) { r in
                let text = String(buffer: r.body)
                #expect(text.contains(#"mailsift_shadow_disagreements_total{active="ham",shadow="spam"} 3"#))
                #expect(text.contains(#"mailsift_shadow_action_changes_total{active="inbox",shadow="reject"} 3"#))
                #expect(text.contains(#"mailsift_shadow_model_info{version="shadow-rejects-all"} 1"#))
            }
        }
    }

    @Test func theSameModelInShadowAgreesAndNoShadowIsNotFound() async throws {
        let path = (NSTemporaryDirectory() as NSString).appendingPathComponent("mailsift-shadow-\(UUID().uuidString).msmodel")
        defer { try? FileManager.default.removeItem(atPath: path) }
        try Data(ShippedModel.bundle.encoded()).write(to: URL(fileURLWithPath: path))
        let server = Fixture.server { $0.shadowModel = path }
        _ = await server.reloader.reload(trigger: "test")
        try await server.application().test(.router) { client in
            for body in [Fixture.ham, Fixture.gtube] {
                try await client.execute(uri: "/v1/classify", method: .post, body: ByteBuffer(string: body)) { #expect($0.status == .ok) }
            }
        }
        // GTUBE is decided by the rules in both (the shadow runs with the same rules).
        let summary = try #require(server.service.shadow).summary
        #expect(summary.messages == 2 && summary.hamToSpam == 0 && summary.spamToHam == 0 && summary.meanProbabilityDifference == 0)
        let plain = Fixture.server { $0.adminToken = Self.token }
        try await plain.application().test(.router) { client in
            try await client.execute(uri: "/admin/shadow", method: .get, headers: [.authorization: "Bearer \(Self.token)"]) { #expect($0.status == .notFound) }
        }
    }

    @Test func aShadowThatDoesNotLoadLeavesServingAlone() async throws {
        let server = Fixture.server { $0.shadowModel = "/nonexistent/model.msmodel" }
        #expect(await server.reloader.reload(trigger: "test").loaded)
        #expect(server.service.shadow?.models.model == nil)
    }
}
