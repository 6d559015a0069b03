import Foundation
import HTTPTypes
import HummingbirdTesting
import MailsiftCore
import MailsiftEncoder
import MailsiftFiles
import MailsiftTestKit
import NIOCore
import Testing

@testable import MailsiftServer

/// `serve` with a model that has a transformer stage: the stage runs when the encoder loads (the metric says 1,
/// routed verdicts name the stage), and a server without the weights, or with the stage turned off, serves the
/// same model without it (the metric says 0). Needs the weights of scripts/install-deps.sh (docs/transformer.md).
@Suite struct TransformerServingTests {
    static let phish = """
        From: security@paypa1-verify.example\r
        To: bob@example.com\r
        Subject: verify your account\r
        \r
        Your password expires today: verify your account now or it will be suspended.\r

        """

    /// The shipped model with a stage whose head reads account-verification text as spam and whose band is everything.
    static func modelFile() throws -> String {
        let folder = URL(fileURLWithPath: EncoderLocation.folder(configured: nil))
        let encoder = try BertEncoder(folder: folder)
        var bundle = ShippedModel.bundle
        let spam = encoder.embed(encoder.tokenizer.encode("verify your account password suspended", maxTokens: 64))
        let points = try #require(bundle.manifest.operatingPoints)
        bundle.manifest.cascade?.transformer = TransformerSpec(
            encoder: encoder.identity, dimension: encoder.dimension, tokens: 64, head: spam.map { Double($0) * 20 } + [-10], lower: 0, upper: 1.01,
            combiner: [1, 1, 0], routedShare: 1, operatingPoints: points)
        bundle.manifest.version = "with-transformer"
        let path = (NSTemporaryDirectory() as NSString).appendingPathComponent("mailsift-transformer-\(UUID().uuidString).msmodel")
        try Data(try bundle.encoded()).write(to: URL(fileURLWithPath: path))
        return path
    }

    func serve(_ path: String, _ configure: @escaping (inout ServerConfiguration) -> Void) async throws -> (metrics: String, stage: String?) {
        let server = Fixture.server { c in
            c.model = path
            configure(&c)
        }
        #expect(await server.reloader.reload(trigger: "test").loaded)
        let stage = try await server.application().test(.router) { client in
            try await client.execute(uri: "/v1/classify", method: .post, body: ByteBuffer(string: Self.phish)) { r in
                #expect(r.status == .ok)
                return Fixture.json(r.body)["stage"] as? String
            }
        }
        return (String(decoding: server.metrics.render(), as: UTF8.self), stage)
    }

    @Test func theStageRunsWhenTheEncoderLoadsAndTheModelServesWithoutIt() async throws {
        let path = try Self.modelFile()
        defer { try? FileManager.default.removeItem(atPath: path) }
        let on = try await serve(path) { _ in }
        #expect(on.metrics.contains("mailsift_transformer_enabled 1"))
        #expect(on.stage == "transformer")
        #expect(on.metrics.contains("mailsift_verdicts_total{action="), "\(on.metrics)")

        let missing = try await serve(path) { $0.transformerEncoder = "/nonexistent/encoder" }
        #expect(missing.metrics.contains("mailsift_transformer_enabled 0"))
        #expect(missing.stage != nil && missing.stage != "transformer")

        let off = try await serve(path) { $0.transformer = false }
        #expect(off.metrics.contains("mailsift_transformer_enabled 0"))
        #expect(off.stage != "transformer")
    }
}
