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

/// Sender state, the feature log and feedback through the server, on a real SQLite store in a temporary
/// data directory.
@Suite struct LearningTests {
    static let token = "feedback-token-0123456789"

    static func dataDirectory() -> String {
        (NSTemporaryDirectory() as NSString).appendingPathComponent("mailsift-learning-\(UUID().uuidString)")
    }

    /// A server on the shipped model with `directory` as its data directory.
    static func server(
        _ directory: String?, redis: String? = nil, streamContext: Bool = true, streamMinEvidence: Double? = nil, verifyReplies: Bool = true,
        verifyLists: Bool = false, campaigns: Bool = true
    ) async throws -> Server {
        var c = ServerConfiguration()
        c.campaigns = campaigns
        c.verifyReplies = verifyReplies
        c.verifyLists = verifyLists
        c.streamContext = streamContext
        if let streamMinEvidence { c.streamMinEvidence = streamMinEvidence }
        c.redisURL = redis
        c.port = 0
        c.watchSeconds = 0
        c.latencyBudgetMilliseconds = 10_000
        c.dataDirectory = directory
        c.feedbackToken = token
        let metrics = ServerMetrics()
        let learning = try await OnlineLearning.open(configuration: c, metrics: LearningMetrics(registry: metrics.registry), logger: Fixture.logger)
        return Server(configuration: c, model: Fixture.model, learning: learning, logger: Fixture.logger, metrics: metrics)
    }

    /// One campaign sent to five recipients from five senders: the fifth verdict names the campaign (five
    /// near-identical messages in the hour) and its log entry's tree row counts it; with `campaigns: false`, neither.
    @Test(arguments: [true, false]) func aCampaignIsCountedAndNamed(campaigns: Bool) async throws {
        let server = try await Self.server(nil, campaigns: campaigns)
        let path = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("../../examples/phishing.eml").standardized.path
        let phishing = try String(contentsOfFile: path, encoding: .utf8)
        @Sendable func message(_ n: Int) -> String {
            phishing.replacingOccurrences(of: "<20051114031221.4411.qmail@mailer-secure-login.example>", with: "<c-\(n)@mailer-secure-login.example>")
                .replacingOccurrences(of: "mailer-secure-login.example", with: "sender-\(n).example")
        }
        try await server.application().test(.router) { client in
            for n in 1...5 {
                try await client.execute(uri: "/v1/classify", method: .post, body: ByteBuffer(string: message(n))) { r in
                    let features = (Fixture.json(r.body)["reasons"] as? [[String: Any]])?.compactMap { $0["feature"] as? String } ?? []
                    #expect(features.contains("campaign") == (campaigns && n == 5), "message \(n): \(features)")
                    if campaigns && n == 5 {
                        let text = (Fixture.json(r.body)["reasons"] as? [[String: Any]])?.first { $0["feature"] as? String == "campaign" }?["text"] as? String
                        #expect(text?.contains("from 5 senders to 1 recipient") == true, "\(text ?? "")")
                    }
                }
            }
        }
        var state = SenderState()
        await server.service.learning.observeContent(campaigns: CampaignFingerprint(try MessageAnalyzer().analyze(Array(message(6).utf8))).counterKeys, languageProfile: nil, into: &state, at: Int64(Date().timeIntervalSince1970))
        #expect(state.count(.campaign, .hour) == (campaigns ? 6 : 1))
    }

    static func feedback(_ json: String, token: String? = LearningTests.token) -> (HTTPFields, ByteBuffer) {
        var h: HTTPFields = [.contentType: "application/json"]
        if let token { h[.authorization] = "Bearer \(token)" }
        return (h, ByteBuffer(string: json))
    }

    @Test func classificationsFeedVelocityIntoTheTreeColumnsAndAreLogged() async throws {
        let dir = Self.dataDirectory()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let server = try await Self.server(dir)
        try await server.application().test(.router) { client in
            for _ in 0..<3 {
                try await client.execute(uri: "/v1/classify", method: .post, headers: [.init("X-Client-IP")!: "203.0.113.50"], body: ByteBuffer(string: Fixture.ham)) {
                    #expect($0.status == .ok)
                }
            }
        }
        await server.service.learning.flush()
        let store = try #require(server.service.learning.store)
        let entries = try await store.entries(from: 0, through: .max)
        #expect(entries.count == 3)
        #expect(entries.map { $0.treeRow[MetadataFeature.clientIPRateMinute.rawValue] } == [1, 2, 3])
        #expect(entries.map { $0.treeRow[MetadataFeature.fromDomainRateHour.rawValue] } == [1, 2, 3])
        let first = try #require(entries.first)
        #expect(first.messageID == "<m-1@example.org>")
        #expect(first.keys.clientIP == "203.0.113.50" && first.keys.fromDomain == "example.org")
        #expect(!first.textRows.isEmpty)  // logged although the trees decided alone
        #expect(first.modelVersion == Fixture.model.version)
    }

    @Test func feedbackIsAuthenticatedIdempotentAndTeachesReputation() async throws {
        let dir = Self.dataDirectory()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let server = try await Self.server(dir)
        let domain = ReputationKey(.domain, "example.org")
        try await server.application().test(.router) { client in
            try await client.execute(uri: "/v1/classify", method: .post, body: ByteBuffer(string: Fixture.ham)) { #expect($0.status == .ok) }
            let before = server.service.learning.local.reputation(domain, at: .max)?.spam ?? 0
            let now = Int64(Date().timeIntervalSince1970)
            let report = #"{"message_id": "<m-1@example.org>", "user": "bob@example.com", "label": "spam", "time": \#(now)}"#
            var (h, body) = Self.feedback(report, token: nil)
            try await client.execute(uri: "/v1/feedback", method: .post, headers: h, body: body) { #expect($0.status == .unauthorized) }
            (h, body) = Self.feedback(report, token: "wrong-token-0123456789")
            try await client.execute(uri: "/v1/feedback", method: .post, headers: h, body: body) { #expect($0.status == .unauthorized) }
            (h, body) = Self.feedback(report)
            try await client.execute(uri: "/v1/feedback", method: .post, headers: h, body: body) { r in
                #expect(r.status == .ok)
                #expect(Fixture.json(r.body)["stored"] as? Int == 1)
            }
            // A retry stores nothing and teaches nothing more.
            let after = try #require(server.service.learning.local.reputation(domain, at: now + 1)).spam
            #expect(after - before > 1.9)
            try await client.execute(uri: "/v1/feedback", method: .post, headers: h, body: body) { r in
                #expect(Fixture.json(r.body)["duplicates"] as? Int == 1)
            }
            #expect(try #require(server.service.learning.local.reputation(domain, at: now + 1)).spam == after)
            (h, body) = Self.feedback(#"[{"message_id": "x", "user": "", "label": "ham"}]"#)
            try await client.execute(uri: "/v1/feedback", method: .post, headers: h, body: body) { #expect($0.status == .badRequest) }
            (h, body) = Self.feedback(#"{"message_id": "x", "user": "u", "label": "maybe"}"#)
            try await client.execute(uri: "/v1/feedback", method: .post, headers: h, body: body) { #expect($0.status == .badRequest) }
            // Times outside a live report's window (a year back, a day ahead) are refused.
            for time in [Int64.min, 0, now - 400 * 86_400, now + 2 * 86_400] {
                (h, body) = Self.feedback(#"{"message_id": "<m-1@example.org>", "user": "bob", "label": "ham", "time": \#(time)}"#)
                try await client.execute(uri: "/v1/feedback", method: .post, headers: h, body: body) { #expect($0.status == .badRequest) }
            }
        }
        #expect(try await server.service.learning.store?.feedback(from: .min, through: .max).count == 1)
    }

    /// A sender's mail the users marked not spam (two reports) is a stream they read: the model's next verdict
    /// on it is capped at `tag` and says why; the model's own verdicts taught the stream nothing. With
    /// `stream_context: false`, or with `stream_min_evidence` above two reports' worth, the stream is learned and
    /// not used.
    @Test(arguments: [(true, nil), (false, nil), (true, 5.0)]) func hamFeedbackMakesAStreamTheUsersReadAndVerdictsDoNot(
        streamContext: Bool, minEvidence: Double?
    ) async throws {
        let dir = Self.dataDirectory()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let server = try await Self.server(dir, streamContext: streamContext, streamMinEvidence: minEvidence)
        let capped = streamContext && minEvidence == nil
        let path = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("../../examples/phishing.eml").standardized.path
        let phishing = try String(contentsOfFile: path, encoding: .utf8)
        @Sendable func message(_ n: Int) -> String {
            phishing.replacingOccurrences(of: "<20051114031221.4411.qmail@mailer-secure-login.example>", with: "<s-\(n)@mailer-secure-login.example>")
        }
        let stream = ReputationKey(.stream, "sender:bounce@mailer-secure-login.example")
        try await server.application().test(.router) { client in
            for n in 1...2 {
                try await client.execute(uri: "/v1/classify", method: .post, body: ByteBuffer(string: message(n))) { r in
                    #expect(Fixture.json(r.body)["action"] as? String != "tag")
                }
            }
            #expect(server.service.learning.local.reputation(stream, at: .max) == nil)
            let now = Int64(Date().timeIntervalSince1970)
            for n in 1...2 {
                let (h, body) = Self.feedback(#"{"message_id": "<s-\#(n)@mailer-secure-login.example>", "user": "bob", "label": "ham", "time": \#(now)}"#)
                try await client.execute(uri: "/v1/feedback", method: .post, headers: h, body: body) { #expect($0.status == .ok) }
            }
            #expect(server.service.learning.local.reputation(stream, at: now)?.ham == 4)
            try await client.execute(uri: "/v1/classify", method: .post, body: ByteBuffer(string: message(3))) { r in
                let j = Fixture.json(r.body)
                #expect((j["action"] as? String == "tag") == capped)
                #expect(((j["reasons"] as? [[String: Any]])?.first?["feature"] as? String == "stream_read") == capped)
            }
        }
        #expect(String(decoding: server.metrics.render(), as: UTF8.self).contains("mailsift_stream_capped_total \(capped ? 1 : 0)"))
    }

    /// A reply counts only when it names mail a user sent (`POST /v1/sent`): the same reply naming a Message-ID
    /// nobody here sent is classified without its reply headers (the logged tree row has no In-Reply-To and no
    /// References), and says so. The sent Message-IDs survive a restart; with `verify_replies` off, replies are
    /// read as written.
    @Test(arguments: [true, false]) func repliesCountOnlyWhenTheyNameMailAUserSent(verify: Bool) async throws {
        let dir = Self.dataDirectory()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let sent = "From: Alice <alice@corp.example>\r\nTo: Bob <bob@partner.example>\r\nMessage-ID: <q3-figures@corp.example>\r\nSubject: Q3 figures\r\n\r\nHere they are.\r\n"
        @Sendable func reply(_ n: Int, naming id: String) -> String {
            "Message-ID: <reply-\(n)@partner.example>\r\nIn-Reply-To: <\(id)>\r\nReferences: <\(id)>\r\n"
                + Fixture.ham.replacingOccurrences(of: "Subject: ", with: "Subject: Re: ").replacingOccurrences(of: "Message-ID:", with: "X-Old-Message-ID:")
        }
        @Sendable func reasons(_ client: some TestClientProtocol, _ text: String) async throws -> [String] {
            try await client.execute(uri: "/v1/classify", method: .post, body: ByteBuffer(string: text)) { r in
                ((Fixture.json(r.body)["reasons"] as? [[String: Any]]) ?? []).compactMap { $0["feature"] as? String }
            }
        }
        let columns = [MetadataFeature.inReplyTo, .referencesCount].map(\.rawValue)
        do {
            let server = try await Self.server(dir, verifyReplies: verify)
            try await server.application().test(.router) { client in
                let (h, _) = Self.feedback("")
                try await client.execute(uri: "/v1/sent", method: .post, headers: h, body: ByteBuffer(string: sent)) { #expect($0.status == .ok) }
                let real = try await reasons(client, reply(1, naming: "q3-figures@corp.example"))
                #expect(!real.contains("reply_unverified"))
                let forged = try await reasons(client, reply(2, naming: "made-up@corp.example"))
                #expect((forged.first == "reply_unverified") == verify)
            }
            await server.service.learning.flush()
            let store = try #require(server.service.learning.store)
            let real = try #require(try await store.entry(messageID: "<reply-1@partner.example>")).treeRow
            let forged = try #require(try await store.entry(messageID: "<reply-2@partner.example>")).treeRow
            #expect(real[columns[0]] == 1 && real[columns[1]] == 1)
            #expect(forged[columns[0]] == (verify ? 0 : 1) && forged[columns[1]] == (verify ? 0 : 1))
            let metrics = String(decoding: server.metrics.render(), as: UTF8.self)
            #expect(metrics.contains(#"mailsift_reply_claims_total{result="discounted"} \#(verify ? 1 : 0)"#))
            #expect(metrics.contains(#"mailsift_reply_claims_total{result="verified"} \#(verify ? 1 : 0)"#))
            #expect(metrics.contains("mailsift_sent_ledger_ids 1"))
        }
        guard verify else { return }
        let restarted = try await Self.server(dir)
        #expect(restarted.service.learning.ledger.count == 1)
        try await restarted.application().test(.router) { client in
            let real = try await reasons(client, reply(3, naming: "q3-figures@corp.example"))
            #expect(!real.contains("reply_unverified"))
            let forged = try await reasons(client, reply(4, naming: "other@corp.example"))
            #expect(forged.first == "reply_unverified")
        }
    }

    /// Mail a user submits through the milter with SMTP AUTH is recorded as sent: a reply to it counts. The same
    /// message from a client that did not log in records nothing.
    @Test func submissionsThroughTheMilterAreSentMail() async throws {
        let server = try await Self.server(nil)
        let out = "From: Alice <alice@corp.example>\r\nTo: Bob <bob@partner.example>\r\nMessage-ID: <out-1@corp.example>\r\nSubject: the plan\r\n\r\nHere is the plan for Tuesday.\r\n"
        let other = out.replacingOccurrences(of: "out-1@", with: "out-2@")
        try await AttackTests.withListeners(server) { _, _, milter in
            #expect(Probe.milter(port: milter, out, authenticated: "alice") == "accept")
            #expect(Probe.milter(port: milter, other) == "accept")
        }
        let learning = server.service.learning
        func claim(_ id: String) throws -> ReplyClaim { ReplyClaim(try MessageParser().parse(Array("In-Reply-To: <\(id)>\r\n\r\nok\r\n".utf8))) }
        #expect(await learning.verifies(try claim("out-1@corp.example"), at: Int64(Date().timeIntervalSince1970)))
        #expect(await !learning.verifies(try claim("out-2@corp.example"), at: Int64(Date().timeIntervalSince1970)))
        #expect(learning.trustScores.localUsers <= 1 && learning.ledger.count == 1)
    }

    /// With `verify_lists`, a list's fields count only once the users read the list: before their feedback the
    /// message is classified without them (its logged tree row has no list fields) and says so; after two ham
    /// reports on the list's mail they count. Without `verify_lists` they count when the envelope sender is the
    /// list's; with another envelope sender, in neither mode.
    @Test(arguments: [true, false]) func listFieldsCountForAListTheUsersRead(verify: Bool) async throws {
        let dir = Self.dataDirectory()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let server = try await Self.server(dir, verifyLists: verify)
        @Sendable func post(_ n: Int) -> String {
            "Return-Path: <radio-users-bounces@lists.example.org>\r\nList-Id: Radio users <radio-users.lists.example.org>\r\nList-Unsubscribe: <mailto:leave@lists.example.org>\r\nPrecedence: list\r\n"
                + Fixture.ham.replacingOccurrences(of: "<m-1@example.org>", with: "<post-\(n)@example.org>")
        }
        @Sendable func reasons(_ client: some TestClientProtocol, _ n: Int) async throws -> [String] {
            try await client.execute(uri: "/v1/classify", method: .post, body: ByteBuffer(string: post(n))) { r in
                ((Fixture.json(r.body)["reasons"] as? [[String: Any]]) ?? []).compactMap { $0["feature"] as? String }
            }
        }
        try await server.application().test(.router) { client in
            for n in 1...2 {
                let why = try await reasons(client, n)
                #expect(why.contains("list_unverified") == verify)
            }
            let now = Int64(Date().timeIntervalSince1970)
            for n in 1...2 {
                let (h, body) = Self.feedback(#"{"message_id": "<post-\#(n)@example.org>", "user": "bob", "label": "ham", "time": \#(now)}"#)
                try await client.execute(uri: "/v1/feedback", method: .post, headers: h, body: body) { #expect($0.status == .ok) }
            }
            let read = try await reasons(client, 3)
            #expect(!read.contains("list_unverified"))
            // The same list fields on mail whose envelope sender is not the list's: not corroborated, not read.
            let forged = try await client.execute(uri: "/v1/classify", method: .post, body: ByteBuffer(string: post(4).replacingOccurrences(of: "radio-users-bounces@lists.example.org", with: "promo@shop.example"))) { r in
                ((Fixture.json(r.body)["reasons"] as? [[String: Any]]) ?? []).compactMap { $0["feature"] as? String }
            }
            #expect(forged.contains("list_unverified"))
        }
        await server.service.learning.flush()
        let store = try #require(server.service.learning.store)
        let column = MetadataFeature.listHeaders.rawValue
        for (n, expected) in [(1, verify ? 0 : 2), (3, 2)] as [(Int, Float)] {
            #expect(try #require(try await store.entry(messageID: "<post-\(n)@example.org>")).treeRow[column] == expected)
        }
        let metrics = String(decoding: server.metrics.render(), as: UTF8.self)
        #expect(metrics.contains(#"mailsift_list_claims_total{result="discounted"} \#(verify ? 3 : 1)"#))
    }

    /// A forged `Authentication-Results` pass changes nothing served: the verdict is the one without it, the reasons
    /// name the claim, and the counter counts it. A field of the configured authserv-id on top counts. (Each message
    /// goes to a server of its own: the sender's velocity would tell them apart.)
    @Test func forgedAuthenticationResultsChangeNoVerdict() async throws {
        let spam = try String(contentsOfFile: DegradationTests.example("phishing.eml"), encoding: .utf8)
        let forged = "Authentication-Results: mx.google.com; spf=pass smtp.mailfrom=a@example.org; dkim=pass header.d=example.org\n" + spam
        let ours = "Authentication-Results: mx.site.example; spf=pass smtp.mailfrom=a@example.org\n" + spam
        func verdict(_ message: String) async throws -> (probability: Double, reasons: [String], metrics: String) {
            let server = Fixture.server { $0.trustedAuthservIDs = ["mx.site.example"] }
            let (p, why) = try await server.application().test(.router) { client in
                try await client.execute(uri: "/v1/classify", method: .post, body: ByteBuffer(string: message)) { r in
                    let json = Fixture.json(r.body)
                    return ((json["probability"] as? Double) ?? -1, ((json["reasons"] as? [[String: Any]]) ?? []).compactMap { $0["feature"] as? String })
                }
            }
            return (p, why, String(decoding: server.metrics.render(), as: UTF8.self))
        }
        let plain = try await verdict(spam), claimed = try await verdict(forged), trusted = try await verdict(ours)
        #expect(plain.probability == claimed.probability && plain.probability > 0.5)
        #expect(!plain.reasons.contains("authentication_untrusted") && claimed.reasons.first == "authentication_untrusted")
        #expect(!trusted.reasons.contains("authentication_untrusted"))
        #expect(claimed.metrics.contains(#"mailsift_authentication_claims_total{result="discounted"} 1"#))
        #expect(trusted.metrics.contains(#"mailsift_authentication_claims_total{result="verified"} 1"#))
        #expect(plain.metrics.contains(#"mailsift_authentication_claims_total{result="verified"} 0"#))
    }

    @Test func withoutADataDirectoryFeedbackIsRefusedAndWithoutATokenDisabled() async throws {
        let server = try await Self.server(nil)
        try await server.application().test(.router) { client in
            let (h, body) = Self.feedback(#"{"message_id": "x", "user": "u", "label": "ham"}"#)
            try await client.execute(uri: "/v1/feedback", method: .post, headers: h, body: body) { r in
                #expect(r.status == .serviceUnavailable)
                #expect((Fixture.json(r.body)["error"] as? String)?.contains("data_dir") == true)
            }
        }
        try await Fixture.server().application().test(.router) { client in
            let (h, body) = Self.feedback(#"{"message_id": "x", "user": "u", "label": "ham"}"#)
            try await client.execute(uri: "/v1/feedback", method: .post, headers: h, body: body) { #expect($0.status == .forbidden) }
        }
    }

    /// Feedback and reputations survive a restart: a second server on the same data directory has them.
    @Test func stateSurvivesARestart() async throws {
        let dir = Self.dataDirectory()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let domain = ReputationKey(.domain, "example.org")
        let now = Int64(Date().timeIntervalSince1970)
        do {
            let server = try await Self.server(dir)
            try await server.application().test(.router) { client in
                try await client.execute(uri: "/v1/classify", method: .post, body: ByteBuffer(string: Fixture.ham)) { #expect($0.status == .ok) }
                let (h, body) = Self.feedback(#"{"message_id": "<m-1@example.org>", "user": "bob", "label": "spam", "time": \#(now)}"#)
                try await client.execute(uri: "/v1/feedback", method: .post, headers: h, body: body) { #expect($0.status == .ok) }
            }
            await server.service.learning.flush()  // what the service does every second and at shutdown
        }
        let restarted = try await Self.server(dir)
        let r = try #require(restarted.service.learning.local.reputation(domain, at: now))
        #expect(r.spam >= 2)
        #expect(try await restarted.service.learning.store?.feedback(from: .min, through: .max).count == 1)
        #expect(try await restarted.service.learning.store?.entry(messageID: "<m-1@example.org>") != nil)
    }

    /// Sent mail (`POST /v1/sent`) makes contacts and trust: a message from a user's correspondent gets the
    /// contact and trust columns, a stranger's gets zeros; the graph survives a restart.
    @Test func sentMailMakesContactsAndTrust() async throws {
        let dir = Self.dataDirectory()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let sent = "From: Alice <alice@corp.example>\r\nTo: Bob <bob@partner.example>\r\nSubject: hi\r\n\r\nhello\r\n"
        @Sendable func inbound(_ from: String, _ id: String) -> String {
            "From: \(from)\r\nTo: alice@corp.example\r\nMessage-ID: <\(id)@x>\r\nSubject: re: hi\r\n\r\nhello back\r\n"
        }
        let columns = [MetadataFeature.senderIsContact, .senderTrust, .fromDomainTrust].map(\.rawValue)
        do {
            let server = try await Self.server(dir)
            try await server.application().test(.router) { client in
                try await client.execute(uri: "/v1/sent", method: .post, body: ByteBuffer(string: sent)) { #expect($0.status == .unauthorized) }
                let (h, _) = Self.feedback("")
                try await client.execute(uri: "/v1/sent", method: .post, headers: h, body: ByteBuffer(string: sent)) { r in
                    #expect(r.status == .ok && Fixture.json(r.body)["recorded"] as? Int == 1)
                }
                try await client.execute(uri: "/v1/sent", method: .post, headers: h, body: ByteBuffer(string: "Subject: x\r\n\r\nx\r\n")) { #expect($0.status == .badRequest) }
                server.service.learning.recomputeTrust()  // what the service does every trust_seconds
                for (from, id) in [("bob@partner.example", "b1"), ("mallory@stranger.example", "m1")] {
                    try await client.execute(uri: "/v1/classify", method: .post, body: ByteBuffer(string: inbound(from, id))) { #expect($0.status == .ok) }
                }
            }
            await server.service.learning.flush()
            let store = try #require(server.service.learning.store)
            let bob = try #require(try await store.entry(messageID: "<b1@x>")).treeRow
            let mallory = try #require(try await store.entry(messageID: "<m1@x>")).treeRow
            #expect(bob[columns[0]] == 1 && bob[columns[1]] > 0.3 && bob[columns[2]] == bob[columns[1]])
            #expect(mallory[columns[0]] == 0 && mallory[columns[1]] == 0 && mallory[columns[2]] == 0)
        }
        let restarted = try await Self.server(dir)
        let scores = restarted.service.learning.trustScores
        #expect(scores.localUsers == 1 && scores.contacts["alice@corp.example"] == ["bob@partner.example"])
        #expect((scores.addresses["bob@partner.example"] ?? 0) > 0.3)
    }

    /// Redis unreachable: every message is still classified, on local sender state, and counted degraded.
    @Test func anUnreachableRedisLeavesClassificationOnLocalState() async throws {
        let server = try await Self.server(nil, redis: "redis://127.0.0.1:1")
        try await server.application().test(.router) { client in
            for _ in 0..<3 {
                try await client.execute(uri: "/v1/classify", method: .post, headers: [.init("X-Client-IP")!: "203.0.113.50"], body: ByteBuffer(string: Fixture.ham)) {
                    #expect($0.status == .ok)
                    #expect(Fixture.json($0.body)["label"] as? String == "ham")
                }
            }
        }
        let shared = try #require(server.service.learning.shared)
        #expect(shared.degraded == 3)
        #expect(shared.waiting >= 3)
        #expect(shared.local.observe(SenderKeys(clientIP: "203.0.113.50"), at: Int64(Date().timeIntervalSince1970)).count(.clientIP, .minute) == 4)
        await server.service.learning.flush()
        #expect(String(decoding: server.metrics.render(), as: UTF8.self).contains("mailsift_shared_state_degraded_messages 3"))
    }

    /// A message the text stage scored logs the text rows that stage computed for it, not another
    /// request's, with requests classified concurrently (scratch buffers are pooled between requests).
    @Test func theLoggedTextFeaturesAreTheMessagesOwn() async throws {
        let dir = Self.dataDirectory()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let server = try await Self.server(dir)
        let phishing = [UInt8](try Data(contentsOf: TestPaths.repositoryRoot.appendingPathComponent("examples/phishing.eml")))
        let messages = [Array(Fixture.ham.utf8), phishing]
        let service = server.service
        try await withThrowingTaskGroup(of: Void.self) { group in
            for i in 0..<60 {
                group.addTask { _ = try await service.classify(messages[i % 2]) }
            }
            try await group.waitForAll()
        }
        await service.learning.flush()
        let entries = try await #require(service.learning.store).entries(from: 0, through: .max)
        #expect(entries.count == 60)
        let cascade = Fixture.model.cascade
        var expected: [String: SparseFeatures] = [:]
        for body in messages {
            // As the server reads it: the example ham's In-Reply-To names no message a user sent here.
            let message = try MessageParser().parse(body)
            let a = cascade.extractor.analyze(message, discountingReply: ReplyClaim(message).claims)
            var features = SparseFeatures()
            var extraction = cascade.extractor.makeScratch()
            cascade.extractor.features(of: a, scratch: &extraction, into: &features)
            expected[MessageKey.of(a.message)] = features
        }
        for entry in entries {
            let features = try #require(expected[entry.messageID])
            #expect(entry.textRows == features.rows && entry.textViewEnds == features.viewEnds)
        }
        #expect(entries.contains { $0.probability > 0.99 })  // the phishing message, which reaches the text stage
    }
}

/// The repository's folders, for tests that read its files.
enum TestSupportPaths {
    static var repositoryRoot: URL {
        URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
    }
}
