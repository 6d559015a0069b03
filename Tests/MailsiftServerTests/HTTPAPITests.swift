import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import Logging
import MailsiftCore
import MailsiftFiles
import MailsiftTestKit
import MailsiftTrees
import NIOCore
import Synchronization
import Testing

@testable import MailsiftServer

/// Messages and servers the server tests share.
enum Fixture {
    /// The shipped default model with the shipped rules, loaded once.
    static let model: ServingModel = try! ServingModel.load(ModelLoader.Source(), with: ShippedModel.loader)

    static let ham = """
        From: Alice <alice@example.org>\r
        To: bob@example.com\r
        Subject: minutes of Tuesday's meeting\r
        Date: Mon, 23 Nov 2026 10:00:00 +0000\r
        Message-ID: <m-1@example.org>\r
        In-Reply-To: <m-0@example.com>\r
        \r
        Hi Bob, the minutes are attached below. We agreed to move the release to Friday.\r

        """
    static let gtube = """
        From: tester@example.org\r
        To: bob@example.com\r
        Subject: test\r
        \r
        \(RuleSet.gtube)\r

        """

    static var logger: Logger {
        var l = Logger(label: "test")
        l.logLevel = .critical
        return l
    }

    static func server(_ configure: (inout ServerConfiguration) -> Void = { _ in }, model: ServingModel? = Fixture.model) -> Server {
        var c = ServerConfiguration()
        c.port = 0
        c.watchSeconds = 0
        c.latencyBudgetMilliseconds = 10_000
        configure(&c)
        return Server(configuration: c, model: model, logger: logger)
    }

    /// The reply's JSON object; empty (failing the expectations that read it) when the body is not one.
    static func json(_ buffer: ByteBuffer) -> [String: Any] {
        (try? JSONSerialization.jsonObject(with: Data(buffer.readableBytesView))) as? [String: Any] ?? [:]
    }
}

@Suite struct HTTPAPITests {
    @Test func healthAndReadiness() async throws {
        try await Fixture.server(model: nil).application().test(.router) { client in
            try await client.execute(uri: "/healthz", method: .get) { #expect($0.status == .ok) }
            try await client.execute(uri: "/readyz", method: .get) { r in
                #expect(r.status == .serviceUnavailable)
                #expect(r.headers[.retryAfter] == "1")
            }
            try await client.execute(uri: "/v1/classify", method: .post, body: ByteBuffer(string: Fixture.ham)) { r in
                #expect(r.status == .serviceUnavailable)
            }
        }
        try await Fixture.server().application().test(.router) { client in
            try await client.execute(uri: "/readyz", method: .get) { r in
                #expect(r.status == .ok)
                #expect(Fixture.json(r.body)["model_version"] as? String == Fixture.model.version)
            }
        }
    }

    @Test func classifiesWithReasonsAndEnvelope() async throws {
        try await Fixture.server().application().test(.router) { client in
            try await client.execute(uri: "/v1/classify", method: .post, body: ByteBuffer(string: Fixture.ham)) { r in
                #expect(r.status == .ok)
                #expect(r.headers[.init("X-Request-Id")!]?.count == 16)
                let j = Fixture.json(r.body)
                #expect(j["label"] as? String == "ham")
                #expect(j["action"] as? String == "inbox")
                #expect(j["degraded"] as? Bool == false)
                #expect(j["model_version"] as? String == Fixture.model.version)
                #expect(j["message_id"] as? String == "<m-1@example.org>")
                #expect(((j["reasons"] as? [Any])?.count ?? 0) > 0)
                #expect((j["timings"] as? [String: Int])?["total_microseconds"] != nil)
            }
            try await client.execute(uri: "/v1/classify?reasons=0", method: .post, body: ByteBuffer(string: Fixture.ham)) { r in
                #expect((Fixture.json(r.body)["reasons"] as? [Any])?.isEmpty == true)
            }
            try await client.execute(uri: "/v1/classify", method: .post, body: ByteBuffer(string: Fixture.gtube)) { r in
                let j = Fixture.json(r.body)
                #expect(j["stage"] as? String == "rules")
                #expect(j["action"] as? String == "reject")
                #expect(j["label"] as? String == "spam")
            }
            // The request id a client sends comes back; one that is not plain is replaced.
            try await client.execute(uri: "/v1/classify", method: .post, headers: [.init("X-Request-Id")!: "abc-123"], body: ByteBuffer(string: Fixture.ham)) { r in
                #expect(r.headers[.init("X-Request-Id")!] == "abc-123")
            }
            try await client.execute(uri: "/v1/classify", method: .post, headers: [.init("X-Request-Id")!: "a b\"c"], body: ByteBuffer(string: Fixture.ham)) { r in
                #expect(r.headers[.init("X-Request-Id")!] != "a b\"c")
            }
        }
    }

    @Test func anAllowListedClientIsNotMarkedSpam() async throws {
        let rules = try RuleSet(compiling: [RuleSpec(name: "OUR_RELAY", line: 1, test: "client_ip", values: ["192.0.2.0/24"], pattern: nil, action: "inbox", score: nil, description: nil)])
        let model = try ServingModel(cascade: try ShippedModel.cascade(Fixture.model.cascade.bundle, rules: rules), path: nil)
        try await Fixture.server(model: model).application().test(.router) { client in
            try await client.execute(uri: "/v1/classify", method: .post, headers: [.init("X-Client-IP")!: "192.0.2.25"], body: ByteBuffer(string: Fixture.gtube)) { r in
                let j = Fixture.json(r.body)
                #expect(j["action"] as? String == "inbox")
                #expect(j["stage"] as? String == "rules")
            }
            try await client.execute(uri: "/checkv2", method: .post, headers: [.init("IP")!: "192.0.2.25"], body: ByteBuffer(string: Fixture.gtube)) { r in
                #expect(Fixture.json(r.body)["action"] as? String == "no action")
            }
        }
    }

    @Test func rspamdReply() async throws {
        try await Fixture.server().application().test(.router) { client in
            try await client.execute(uri: "/checkv2", method: .post, headers: [.init("Queue-Id")!: "4ABC12"], body: ByteBuffer(string: Fixture.gtube)) { r in
                #expect(r.status == .ok)
                let j = Fixture.json(r.body)
                #expect(j["action"] as? String == "reject")
                #expect(j["score"] as? Double == ScoreScale.rejectScore)
                #expect(j["required_score"] as? Double == ScoreScale.rejectScore)
                #expect(j["queue_id"] as? String == "4ABC12")
                let symbols = try #require(j["symbols"] as? [String: [String: Any]])
                #expect(symbols["GTUBE"] != nil)
                #expect(symbols["MAILSIFT_VERDICT"]?["score"] as? Double == ScoreScale.rejectScore)
            }
            try await client.execute(uri: "/checkv2", method: .post, body: ByteBuffer(string: Fixture.ham)) { r in
                let j = Fixture.json(r.body)
                #expect(j["action"] as? String == "no action")
                #expect((j["score"] as? Double ?? 99) < ScoreScale.tagScore)
            }
        }
    }

    @Test func batch() async throws {
        let body = """
            {"messages": [
              {"id": "a", "message": "\(Data(Fixture.ham.utf8).base64EncodedString())", "envelope": {"client_ip": "198.51.100.1", "recipients": ["bob@example.com"]}},
              {"id": "b", "message": "\(Data(Fixture.gtube.utf8).base64EncodedString())"},
              {"id": "c", "message": "***"}
            ]}
            """
        try await Fixture.server().application().test(.router) { client in
            try await client.execute(uri: "/v1/classify/batch?reasons=2", method: .post, body: ByteBuffer(string: body)) { r in
                #expect(r.status == .ok)
                let results = try #require(Fixture.json(r.body)["results"] as? [[String: Any]])
                #expect(results.map { $0["id"] as? String } == ["a", "b", "c"])
                #expect((results[0]["result"] as? [String: Any])?["label"] as? String == "ham")
                #expect((results[1]["result"] as? [String: Any])?["action"] as? String == "reject")
                #expect(results[2]["error"] as? String == "message is not base64")
            }
            try await client.execute(uri: "/v1/classify/batch", method: .post, body: ByteBuffer(string: "{\"mess")) { r in
                #expect(r.status == .badRequest)
            }
        }
    }

    @Test func limits() async throws {
        let server = Fixture.server { $0.maxMessageBytes = 1_000; $0.maxConcurrentRequests = 2; $0.maxBatchMessages = 1 }
        try await server.application().test(.router) { client in
            try await client.execute(uri: "/v1/classify", method: .post, body: ByteBuffer(string: Fixture.ham + String(repeating: "x", count: 1_000))) { r in
                #expect(r.status == .contentTooLarge)
            }
            let two = "{\"messages\": [{\"message\": \"\"}, {\"message\": \"\"}]}"
            try await client.execute(uri: "/v1/classify/batch", method: .post, body: ByteBuffer(string: two)) { r in
                #expect(r.status == .contentTooLarge)
            }
            // Every slot taken: the next request is refused at once with 503 and Retry-After.
            #expect(server.service.admit() && server.service.admit())
            try await client.execute(uri: "/v1/classify", method: .post, body: ByteBuffer(string: Fixture.ham)) { r in
                #expect(r.status == .serviceUnavailable)
                #expect(r.headers[.retryAfter] == "1")
            }
            server.service.release()
            try await client.execute(uri: "/v1/classify", method: .post, body: ByteBuffer(string: Fixture.ham)) { r in
                #expect(r.status == .ok)
            }
            server.service.release()
            #expect(server.service.requestsInFlight == 0)
            try await client.execute(uri: "/metrics", method: .get) { r in
                let text = String(buffer: r.body)
                #expect(text.contains("mailsift_rejected_requests_total{reason=\"overload\"} 1"))
                #expect(text.contains("mailsift_rejected_requests_total{reason=\"too_large\"} 2"))
            }
        }
    }

    @Test func adminNeedsTheToken() async throws {
        try await Fixture.server().application().test(.router) { client in
            try await client.execute(uri: "/admin/reload", method: .post) { #expect($0.status == .forbidden) }
        }
        let token = "0123456789abcdef-token"
        try await Fixture.server { $0.adminToken = token }.application().test(.router) { client in
            try await client.execute(uri: "/admin/reload", method: .post) { r in
                #expect(r.status == .unauthorized)
                #expect(r.headers[.wwwAuthenticate] == "Bearer")
            }
            try await client.execute(uri: "/admin/reload", method: .post, headers: [.authorization: "Bearer \(token)x"]) { #expect($0.status == .unauthorized) }
            try await client.execute(uri: "/admin/reload", method: .post, headers: [.authorization: "Bearer \(token)"]) { r in
                #expect(r.status == .ok)
                #expect(Fixture.json(r.body)["loaded"] as? Bool == true)
            }
        }
        #expect(HTTPAPI.constantTimeEquals(Array("abc".utf8), Array("abc".utf8)))
        #expect(!HTTPAPI.constantTimeEquals(Array("abc".utf8), Array("abd".utf8)))
        #expect(!HTTPAPI.constantTimeEquals(Array("abc".utf8), Array("abcd".utf8)))
    }

    @Test func metricsCountVerdictsAndModel() async throws {
        try await Fixture.server().application().test(.router) { client in
            try await client.execute(uri: "/v1/classify", method: .post, body: ByteBuffer(string: Fixture.gtube)) { _ in }
            try await client.execute(uri: "/metrics", method: .get) { r in
                #expect(r.headers[.contentType]?.hasPrefix("text/plain") == true)
                let text = String(buffer: r.body)
                #expect(text.contains("mailsift_verdicts_total{action=\"reject\",stage=\"rules\"} 1"))
                #expect(text.contains("mailsift_model_info{version=\"\(Fixture.model.version)\"} 1"))
                #expect(text.contains("mailsift_request_duration_seconds_count{endpoint=\"classify\"} 1"))
                #expect(text.contains("mailsift_stage_duration_seconds_count{stage=\"analyse\"} 1"))
            }
        }
    }
}

@Suite struct DegradationTests {
    @Test func theBreakerOpensOnModelFailuresAndTheRulesAnswer() async throws {
        let trees = FailingTrees(try #require(Fixture.model.cascade.trees))
        let model = try ServingModel(cascade: Cascade(bundle: Fixture.model.cascade.bundle, rules: Fixture.model.cascade.rules, trees: trees), path: nil)
        let server = Fixture.server({ $0.breakerFailures = 3; $0.breakerOpenSeconds = 3_600 }, model: model)
        let service = server.service
        #expect(try await !service.classify(Array(Fixture.ham.utf8)).degraded)
        trees.failing.store(true, ordering: .relaxed)
        for _ in 0..<3 {
            // The text model still decides without the trees, flagged.
            let r = try await service.classify(Array(Fixture.ham.utf8))
            #expect(r.degraded && r.fallback == "model_error" && r.stage != .rules)
        }
        #expect(service.breaker.state == .open)
        // Open, the fallback runs the cheapest stage that answers: the trees fail, so the text model alone.
        let r = try await service.classify(Array(Fixture.ham.utf8))
        #expect(r.degraded && r.fallback == "breaker_open" && r.stage == .text && r.action < .quarantine)
        let spam = try await service.classify(Array(Fixture.gtube.utf8))
        #expect(spam.stage == .rules && spam.action == .reject)
        let text = String(decoding: server.metrics.render(), as: UTF8.self)
        #expect(text.contains("mailsift_fallbacks_total{reason=\"breaker_open\"} 2"))
        #expect(text.contains("mailsift_fallbacks_total{reason=\"model_error\"} 3"))
        #expect(text.contains("mailsift_circuit_breaker_state 1"))
    }

    @Test func aRequestPastItsBudgetGetsTheFallbackAndTheBreakerStaysClosed() async throws {
        let server = Fixture.server { $0.latencyBudgetMilliseconds = 50; $0.breakerFailures = 2 }
        let phishing = try String(contentsOfFile: Self.example("phishing.eml"), encoding: .utf8)
        for _ in 0..<5 {
            let r = try await server.service.classify(Array(Fixture.ham.utf8), arrival: .now - .milliseconds(100))
            #expect(r.degraded && r.fallback == "over_budget" && r.stage == .trees && r.action == .inbox)
            // Phishing that arrives late is still flagged: the fallback runs the trees (the shipped model's trees put
            // this one at `tag`, just under `quarantine`: docs/serving.md), and never rejects alone.
            let p = try await server.service.classify(Array(phishing.utf8), arrival: .now - .milliseconds(100))
            #expect(p.degraded && p.fallback == "over_budget" && p.stage == .trees && p.action >= .tag && p.action < .reject)
        }
        // Slow requests are no model failures: the breaker never opened, and the next request is served whole.
        #expect(server.service.breaker.state == .closed)
        let p = try await server.service.classify(Array(phishing.utf8))
        #expect(!p.degraded && p.action == .reject)
        let text = String(decoding: server.metrics.render(), as: UTF8.self)
        #expect(text.contains("mailsift_fallbacks_total{reason=\"over_budget\"} 10"))
        #expect(text.contains("mailsift_circuit_breaker_state 0"))
    }

    /// A model that asks more agreement than its stages give quarantines what it would reject, says why, and
    /// counts it; the shipped model rejects the same message.
    @Test func aWithheldRejectIsQuarantinedExplainedAndCounted() async throws {
        let phishing = try String(contentsOfFile: Self.example("phishing.eml"), encoding: .utf8)
        var bundle = ShippedModel.bundle
        bundle.manifest.cascade?.rejectAgreement = 1 - 1e-12
        let strict = try ServingModel(cascade: try ShippedModel.cascade(bundle), path: nil)
        let server = Fixture.server(model: strict)
        let r = try await server.service.classify(Array(phishing.utf8), reasons: 3)
        #expect(r.action == .quarantine && !r.degraded)
        #expect(r.reasons.first?.feature == "reject_withheld")
        let text = String(decoding: server.metrics.render(), as: UTF8.self)
        #expect(text.contains("mailsift_rejects_withheld_total 1"))
        let shipped = Fixture.server()
        #expect(try await shipped.service.classify(Array(phishing.utf8)).action == .reject)
        #expect(String(decoding: shipped.metrics.render(), as: UTF8.self).contains("mailsift_rejects_withheld_total 0"))
    }

    /// A file of `examples/`.
    static func example(_ name: String) -> String {
        URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("../../examples/\(name)").standardized.path
    }

    @Test func aModelThatFailsItsChecksIsRefusedOnLoad() throws {
        let trees = FailingTrees(try #require(Fixture.model.cascade.trees))
        trees.failing.store(true, ordering: .relaxed)
        #expect(throws: ServingModel.LoadError.self) {
            try ServingModel(cascade: Cascade(bundle: Fixture.model.cascade.bundle, trees: trees), path: nil)
        }
    }
}
