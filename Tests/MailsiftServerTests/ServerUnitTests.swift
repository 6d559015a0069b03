import Foundation
import MailsiftCore
import Testing

@testable import MailsiftServer

@Suite struct SpamdProtocolTests {
    @Test func readsARequestFedInPieces() throws {
        let message = "Subject: hi\r\n\r\nhello\r\n"
        let bytes = Array("SYMBOLS SPAMC/1.5\r\nContent-length: \(message.utf8.count)\r\nUser: alice\r\n\r\n\(message)".utf8)
        var reader = SpamdRequestReader(maxBodyBytes: 1 << 20)
        var request: SpamdRequest?
        for chunk in stride(from: 0, to: bytes.count, by: 7).map({ Array(bytes[$0..<min($0 + 7, bytes.count)]) }) {
            #expect(request == nil)
            request = try reader.feed(chunk)
        }
        let r = try #require(request)
        #expect(r.command == .symbols)
        #expect(r.version == "1.5")
        #expect(r.user == "alice")
        #expect(r.body == Array(message.utf8))
    }

    @Test func withoutALengthTheBodyRunsToTheEndOfTheStream() throws {
        var reader = SpamdRequestReader(maxBodyBytes: 1 << 20)
        #expect(try reader.feed(Array("CHECK SPAMC/1.2\n\nSubject: x\n\nbody\n".utf8)) == nil)
        let r = try reader.finish()
        #expect(r.command == .check)
        #expect(String(decoding: r.body, as: UTF8.self) == "Subject: x\n\nbody\n")
    }

    @Test func pingNeedsNoBody() throws {
        var reader = SpamdRequestReader(maxBodyBytes: 10)
        #expect(try reader.feed(Array("PING SPAMC/1.5\r\n\r\n".utf8))?.command == .ping)
        var bare = SpamdRequestReader(maxBodyBytes: 10)
        #expect(try bare.feed(Array("PING SPAMC/1.5\r\n".utf8)) == nil)
        #expect(try bare.finish().command == .ping)
    }

    @Test func badRequestsAreRefusedWithTheirExitCode() {
        func error(_ s: String, max: Int = 100) -> SpamdRequest.ProtocolError? {
            var reader = SpamdRequestReader(maxBodyBytes: max)
            do {
                _ = try reader.feed(Array(s.utf8))
                _ = try reader.finish()
                return nil
            } catch { return error }
        }
        #expect(error("FROB SPAMC/1.5\r\n\r\n")?.code == 76)
        #expect(error("CHECK HTTP/1.1\r\n\r\n")?.code == 76)
        #expect(error("CHECK SPAMC/1.5\r\nContent-length: many\r\n\r\n")?.code == 76)
        #expect(error("CHECK SPAMC/1.5\r\nno colon here\r\n\r\n")?.code == 76)
        #expect(error("CHECK SPAMC/1.5\r\nContent-length: 1000\r\n\r\n") == .tooBig)
        #expect(error("CHECK SPAMC/1.5\r\n\r\n" + String(repeating: "x", count: 200)) == .tooBig)
        #expect(error("CHECK SPAMC/1.5\r\nContent-length: 50\r\n\r\nshort")?.code == 76)
        #expect(error("CHECK SPAMC/1.5\r\nCompress: zlib\r\nContent-length: 5\r\n\r\nxxxxx")?.code == 76)
        #expect(error(String(repeating: "A", count: SpamdRequestReader.maxHeaderBytes + 10))?.code == 76)
    }

    @Test func stampingReplacesForgedVerdictHeaders() {
        let message = Array("From sender@example.org Mon Nov 23 2026\nX-Spam-Flag: NO\nSubject: hi\nX-Spam-Status: No,\n  score=-100\nx-mailsift-verdict: ham\nTo: b@example.com\n\nX-Spam-Flag: this is body text\n".utf8)
        let out = String(decoding: SpamdReply.stamp(message, headers: [("X-Spam-Flag", "YES"), ("X-Spam-Score", "9.0")]), as: UTF8.self)
        #expect(out == "From sender@example.org Mon Nov 23 2026\nX-Spam-Flag: YES\nX-Spam-Score: 9.0\nSubject: hi\nTo: b@example.com\n\nX-Spam-Flag: this is body text\n")
        let crlf = String(decoding: SpamdReply.stamp(Array("Subject: a\r\n\r\nb".utf8), headers: [("X-A", "1")]), as: UTF8.self)
        #expect(crlf == "X-A: 1\r\nSubject: a\r\n\r\nb")
    }
}

@Suite struct ScoreScaleTests {
    @Test func thresholdsLandOnTheClientsScale() {
        let scale = ScoreScale(OperatingPoints(targetFPR: 0.001, tag: 0.3, quarantine: 0.9, reject: 0.99))
        #expect(scale.score(probability: 0, action: .inbox, stage: .trees) == 0)
        #expect(scale.score(probability: 0.3, action: .tag, stage: .trees) == ScoreScale.tagScore)
        #expect(scale.score(probability: 0.9, action: .quarantine, stage: .trees) == ScoreScale.spamScore)
        #expect(scale.score(probability: 0.99, action: .reject, stage: .trees) == ScoreScale.rejectScore)
        #expect(scale.score(probability: 1, action: .reject, stage: .text) == ScoreScale.maxScore)
        #expect(scale.score(probability: 0.15, action: .inbox, stage: .text) == 3)
        // Monotone.
        var last = -1.0
        for i in 0...1000 {
            let s = scale.score(probability: Double(i) / 1000, action: .inbox, stage: .combined)
            #expect(s >= last)
            last = s
        }
        #expect(scale.score(probability: 1, action: .reject, stage: .rules) == ScoreScale.rejectScore)
    }

    @Test func symbolsAreRspamdStyle() {
        #expect(ScoreScale.symbol(Cascade.Reason(stage: .trees, feature: "replyToMismatch", weight: 1, text: "")) == "MS_TREES_REPLYTOMISMATCH")
        #expect(ScoreScale.symbol(Cascade.Reason(stage: .text, feature: "body:free  money!", weight: 1, text: "")) == "MS_TEXT_BODY_FREE_MONEY")
        #expect(ScoreScale.symbol(Cascade.Reason(stage: .rules, feature: "GTUBE", weight: 0, text: "")) == "GTUBE")
    }
}

@Suite struct CircuitBreakerTests {
    @Test func opensAfterConsecutiveFailuresAndProbesOnceWhenTimeIsUp() {
        let breaker = CircuitBreaker(failureThreshold: 3, openDuration: .seconds(10))
        let t0 = ContinuousClock.now
        for _ in 0..<2 { #expect(breaker.record(success: false, now: t0) == nil) }
        #expect(breaker.record(success: true, now: t0) == nil)  // a success resets the count
        for _ in 0..<2 { breaker.record(success: false, now: t0) }
        #expect(breaker.allows(now: t0))
        #expect(breaker.record(success: false, now: t0) == .open)
        #expect(!breaker.allows(now: t0 + .seconds(9)))
        #expect(breaker.allows(now: t0 + .seconds(10)))  // the probe
        #expect(breaker.state == .halfOpen)
        #expect(!breaker.allows(now: t0 + .seconds(10)))  // only one at a time
        #expect(breaker.record(success: false, now: t0 + .seconds(11)) == .open)
        #expect(!breaker.allows(now: t0 + .seconds(20)))
        #expect(breaker.allows(now: t0 + .seconds(21)))
        #expect(breaker.record(success: true, now: t0 + .seconds(21)) == .closed)
        #expect(breaker.allows(now: t0 + .seconds(21)))
    }
}

@Suite struct ServerConfigurationTests {
    @Test func fileThenEnvironmentThenValidation() throws {
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("mailsift-config-\(UUID()).yaml").path
        defer { try? FileManager.default.removeItem(atPath: path) }
        try "port: 9000\nspamd_port: 9001\nlatency_budget_ms: 50\nadmin_token: abcdefghijklmnopqrstuvwxyz\n".write(toFile: path, atomically: true, encoding: .utf8)
        var c = try ServerConfiguration.load(file: path)
        #expect(c.port == 9000 && c.spamdPort == 9001 && c.latencyBudgetMilliseconds == 50 && c.host == "127.0.0.1")
        #expect(c.nioExecutor)
        try c.apply(environment: ["MAILSIFT_PORT": "9100", "MAILSIFT_MAX_CONCURRENT_REQUESTS": "8", "MAILSIFT_NIO_EXECUTOR": "false", "OTHER": "x"])
        #expect(c.port == 9100 && c.maxConcurrentRequests == 8 && !c.nioExecutor)
        try "nio_executor: false\n".write(toFile: path, atomically: true, encoding: .utf8)
        #expect(try !ServerConfiguration.load(file: path).nioExecutor)
        try "port: 9000\nspamd_port: 9001\nlatency_budget_ms: 50\nadmin_token: abcdefghijklmnopqrstuvwxyz\n".write(toFile: path, atomically: true, encoding: .utf8)
        try c.validate()
        #expect(throws: ServerConfiguration.ConfigurationError.self) { try c.apply(environment: ["MAILSIFT_PORT": "eighty"]) }

        try "port: 9000\nprot: 1\n".write(toFile: path, atomically: true, encoding: .utf8)
        #expect { try ServerConfiguration.load(file: path) } throws: { "\($0)".contains("unknown key \"prot\"") }
        var short = ServerConfiguration()
        short.adminToken = "secret"
        #expect(throws: ServerConfiguration.ConfigurationError.self) { try short.validate() }
        var badPort = ServerConfiguration()
        badPort.port = 70_000
        #expect(throws: ServerConfiguration.ConfigurationError.self) { try badPort.validate() }
        // The stream context: on with the core's thresholds, from the file and the environment, checked.
        #expect(ServerConfiguration().streamContextSettings == StreamContext())
        try "stream_min_evidence: 6\nstream_max_spam_rate: 0.1\n".write(toFile: path, atomically: true, encoding: .utf8)
        var streams = try ServerConfiguration.load(file: path)
        #expect(streams.streamContextSettings?.minimumEvidence == 6 && streams.streamContextSettings?.maximumSpamRate == 0.1)
        try streams.apply(environment: ["MAILSIFT_STREAM_CONTEXT": "false"])
        #expect(streams.streamContextSettings == nil)
        streams.streamMaxSpamRate = 2
        #expect(throws: ServerConfiguration.ConfigurationError.self) { try streams.validate() }
        // Forgeable evidence: replies checked and lists read as written by default; the ledger's policy.
        let defaults = ServerConfiguration()
        #expect(defaults.verifyReplies && !defaults.verifyLists && defaults.ledgerPolicy == MessageLedgerPolicy())
        try "verify_replies: false\nverify_lists: true\nreply_retention_days: 30\n".write(toFile: path, atomically: true, encoding: .utf8)
        var claims = try ServerConfiguration.load(file: path)
        #expect(!claims.verifyReplies && claims.verifyLists && claims.ledgerPolicy.retentionSeconds == 30 * 86_400)
        try claims.apply(environment: ["MAILSIFT_VERIFY_REPLIES": "true", "MAILSIFT_SENT_MESSAGE_IDS": "500"])
        #expect(claims.verifyReplies && claims.ledgerPolicy.capacity == 500)
        claims.replyRetentionDays = 0
        #expect(throws: ServerConfiguration.ConfigurationError.self) { try claims.validate() }
        // Authentication results: none trusted by default; ids and relays from the file and the environment, checked.
        #expect(defaults.authenticationTrust == AuthenticationTrust.none)
        try "trusted_authserv_ids: [mx.site.example]\ntrusted_networks: [10.0.0.0/8]\n".write(toFile: path, atomically: true, encoding: .utf8)
        var trust = try ServerConfiguration.load(file: path)
        #expect(trust.trustedAuthservIDs == ["mx.site.example"] && trust.authenticationTrust?.authservIDs == ["mx.site.example"])
        try trust.apply(environment: ["MAILSIFT_TRUSTED_AUTHSERV_IDS": "mx1.site.example, MX2.site.example", "MAILSIFT_TRUSTED_NETWORKS": "192.0.2.0/24"])
        #expect(trust.authenticationTrust?.authservIDs == ["mx1.site.example", "mx2.site.example"] && trust.trustedNetworks == ["192.0.2.0/24"])
        try trust.validate()
        trust.trustedNetworks = ["mx.site.example"]
        #expect { try trust.validate() } throws: { "\($0)".contains("trusted_networks") }
    }
}

@Suite struct JSONOutputTests {
    static let tricky = "quote \" backslash \\ newline \n tab \t bell \u{7} nul \u{0} é 日本 🙂"

    @Test func theReplyWriterEscapesWhatJSONNeeds() throws {
        var w = JSONWriter()
        w.beginObject()
        w.field("s", Self.tricky)
        w.field("n", 42)
        w.field("x", 0.1)
        w.field("nan", Double.nan)
        w.field("none", nil as String?)
        w.key("list")
        w.beginArray()
        w.value(true)
        w.beginObject()
        w.endObject()
        w.value("z")
        w.endArray()
        w.endObject()
        let object = try #require(try JSONSerialization.jsonObject(with: Data(w.bytes)) as? [String: Any])
        #expect(object["s"] as? String == Self.tricky)
        #expect(object["n"] as? Int == 42)
        #expect(object["x"] as? Double == 0.1)
        #expect(object["nan"] is NSNull && object["none"] is NSNull)
        #expect((object["list"] as? [Any])?.count == 3)
    }

    @Test func logLinesAreJSON() throws {
        let line = "{" + JSONLogHandler.quoted("k") + ":" + JSONLogHandler.quoted(Self.tricky) + ",\"t\":\"" + JSONLogHandler.timestamp() + "\"}"
        let object = try #require(try JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: String])
        #expect(object["k"] == Self.tricky)
        #expect(object["t"]?.count == 24)  // 2026-11-23T03:00:41.790Z
    }
}
