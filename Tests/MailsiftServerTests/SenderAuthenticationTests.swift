import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import MailsiftCore
import MailsiftServer
import MailsiftTestKit
import NIOCore
import Testing

/// `serve` with `spf` on, against a real DNS server (a private unbound on 127.0.0.1 with fixture zones).
@Suite(.serialized) struct SenderAuthenticationTests {
    static func dns() throws -> UnboundServer {
        try UnboundServer(
            localZones: ["bank.example.", "example.org."],
            localData: [
                "bank.example. 300 IN TXT \"v=spf1 ip4:192.0.2.0/24 -all\"",
                "example.org. 300 IN TXT \"v=spf1 ip4:127.0.0.1 -all\"",
            ])
    }

    static let message = "From: Bank <alerts@bank.example>\r\nTo: bob@example.com\r\nSubject: your statement\r\nMessage-ID: <s-1@bank.example>\r\n\r\nYour statement is ready.\r\n"

    /// The result is Mailsift's own field in the reply and a reason named as Rspamd names it; a field the sender
    /// wrote under Mailsift's authserv-id is taken out; with no client known there is no check.
    @Test func theReplyCarriesMailsiftsOwnResult() async throws {
        let dns = try Self.dns()
        defer { dns.stop() }
        let server = Fixture.server {
            $0.spf = true
            $0.dnsResolvers = [dns.address]
            $0.authservID = "mx.site.example"
        }
        try await server.application().test(.router) { client in
            func classify(_ ip: String?, _ text: String = Self.message, from: String = "alerts@bank.example") async throws -> [String: Any] {
                var h: HTTPFields = [HTTPField.Name("X-Envelope-From")!: from, HTTPField.Name("X-Helo")!: "mta.bank.example"]
                if let ip { h[HTTPField.Name("X-Client-IP")!] = ip }
                return try await client.execute(uri: "/v1/classify", method: .post, headers: h, body: ByteBuffer(string: text)) { Fixture.json($0.body) }
            }
            func features(_ json: [String: Any]) -> [String] { ((json["reasons"] as? [[String: Any]]) ?? []).compactMap { $0["feature"] as? String } }
            let pass = try await classify("192.0.2.10")
            #expect((pass["authentication_results"] as? String)?.hasPrefix("mx.site.example; spf=pass (bank.example: client-ip 192.0.2.10; ip4:192.0.2.0/24) smtp.mailfrom=alerts@bank.example") == true)
            #expect(features(pass).first == "R_SPF_ALLOW")
            let fail = try await classify("203.0.113.5")
            #expect((fail["authentication_results"] as? String)?.contains("spf=fail") == true && features(fail).first == "R_SPF_FAIL")
            // A pass the sender wrote in Mailsift's name is not read: the verdict equals the one without it.
            let forged = try await classify("203.0.113.5", "Authentication-Results: mx.site.example; spf=pass smtp.mailfrom=alerts@bank.example\r\n" + Self.message)
            #expect(forged["probability"] as? Double == fail["probability"] as? Double)
            #expect(!features(forged).contains("authentication_untrusted"))
            let none = try await classify(nil)
            #expect(none["authentication_results"] == nil && !features(none).contains { $0.hasPrefix("R_SPF") })
        }
        let metrics = String(decoding: server.metrics.render(), as: UTF8.self)
        #expect(metrics.contains(#"mailsift_spf_results_total{result="pass"} 1"#))
        #expect(metrics.contains(#"mailsift_spf_results_total{result="fail"} 2"#))
    }

    /// A resolver that does not answer costs each message spf_budget_ms and gives temperror, nothing worse.
    @Test func aDeadResolverCostsTheBudgetOnly() async throws {
        let silent = try SilentUDPServer()
        let server = Fixture.server {
            $0.spf = true
            $0.dnsResolvers = [silent.address]
            $0.spfBudgetMilliseconds = 150
        }
        try await server.application().test(.router) { client in
            let clock = ContinuousClock()
            let start = clock.now
            let h: HTTPFields = [HTTPField.Name("X-Client-IP")!: "192.0.2.10", HTTPField.Name("X-Envelope-From")!: "alerts@bank.example"]
            let json = try await client.execute(uri: "/v1/classify", method: .post, headers: h, body: ByteBuffer(string: Self.message)) { Fixture.json($0.body) }
            #expect((json["authentication_results"] as? String)?.hasPrefix("mailsift; spf=temperror") == true)
            #expect(json["degraded"] as? Bool == false)
            #expect(clock.now - start < .seconds(2))
        }
    }

    /// With `dkim` on, the signatures' results join SPF's in Mailsift's field and reasons (dkimpy-signed fixtures of
    /// the DNS tests, their keys on a private unbound).
    @Test func dkimResultsAreWrittenBesideSPF() async throws {
        let fixtures = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("../MailsiftDNSTests/Fixtures/dkim").standardized
        let zone = try String(contentsOf: fixtures.appendingPathComponent("keys.zone"), encoding: .utf8).split(separator: "\n").map(String.init)
        let dns = try UnboundServer(localZones: ["dkim.mailsift.example."], localData: zone)
        defer { dns.stop() }
        let rows = try String(contentsOf: fixtures.appendingPathComponent("expected.tsv"), encoding: .utf8).split(separator: "\n").map { $0.split(separator: "\t").map(String.init) }
        let signed = try #require(rows.first { $0[2] == "signed" && $0[1] == "pass" && $0[0].contains("r2048-rsa-sha256") })[0]
        let broken = try #require(rows.first { $0[2] == "body changed" && $0[1] == "fail" && $0[0].contains("r2048-rsa-sha256") })[0]
        let server = Fixture.server {
            $0.dkim = true
            $0.dnsResolvers = [dns.address]
        }
        try await server.application().test(.router) { client in
            func classify(_ file: String) async throws -> [String: Any] {
                let body = ByteBuffer(bytes: try Data(contentsOf: fixtures.appendingPathComponent(file)))
                return try await client.execute(uri: "/v1/classify", method: .post, body: body) { Fixture.json($0.body) }
            }
            func features(_ json: [String: Any]) -> [String] { ((json["reasons"] as? [[String: Any]]) ?? []).compactMap { $0["feature"] as? String } }
            let good = try await classify(signed)
            #expect((good["authentication_results"] as? String)?.hasPrefix("mailsift; dkim=pass header.d=dkim.mailsift.example header.s=r2048 header.a=rsa-sha256") == true)
            #expect(features(good).first == "R_DKIM_ALLOW")
            let bad = try await classify(broken)
            #expect((bad["authentication_results"] as? String)?.hasPrefix("mailsift; dkim=fail (body hash mismatch) header.d=dkim.mailsift.example") == true)
            #expect(features(bad).first == "R_DKIM_REJECT")
        }
        let metrics = String(decoding: server.metrics.render(), as: UTF8.self)
        #expect(metrics.contains(#"mailsift_dkim_results_total{result="pass"} 1"#) && metrics.contains(#"mailsift_dkim_results_total{result="fail"} 1"#))
    }

    /// DMARC on Mailsift's own SPF: aligned pass, failure under p=reject (evidence only, or a reject with
    /// `dmarc_reject`), a subdomain under the organisational domain's `sp=`, a domain without a record.
    @Test func dmarcOnMailsiftsOwnResults() async throws {
        let dns = try UnboundServer(
            localZones: ["bank.example.", "shop.example."],
            localData: [
                "bank.example. 300 IN TXT \"v=spf1 ip4:192.0.2.0/24 -all\"",
                "_dmarc.bank.example. 300 IN TXT \"v=DMARC1; p=reject; sp=quarantine\"",
                "mail.bank.example. 300 IN TXT \"v=spf1 ip4:192.0.2.0/24 -all\"",
                "shop.example. 300 IN TXT \"v=spf1 ip4:192.0.2.0/24 -all\"",
            ])
        defer { dns.stop() }
        func classify(_ ip: String, from: String, reject: Bool) async throws -> [String: Any] {
            let server = Fixture.server {
                $0.dmarc = true
                $0.dmarcReject = reject
                $0.dnsResolvers = [dns.address]
            }
            let text = Self.message.replacingOccurrences(of: "alerts@bank.example", with: "alerts@" + from)
            let h: HTTPFields = [HTTPField.Name("X-Client-IP")!: ip, HTTPField.Name("X-Envelope-From")!: "alerts@" + from]
            return try await server.application().test(.router) { client in
                try await client.execute(uri: "/v1/classify", method: .post, headers: h, body: ByteBuffer(string: text)) { Fixture.json($0.body) }
            }
        }
        func field(_ json: [String: Any]) -> String { (json["authentication_results"] as? String) ?? "" }
        func features(_ json: [String: Any]) -> [String] { ((json["reasons"] as? [[String: Any]]) ?? []).compactMap { $0["feature"] as? String } }
        let pass = try await classify("192.0.2.10", from: "bank.example", reject: false)
        #expect(field(pass).contains("dmarc=pass (policy reject) header.from=bank.example") && features(pass).contains("DMARC_POLICY_ALLOW"))
        let fail = try await classify("203.0.113.5", from: "bank.example", reject: false)
        #expect(field(fail).contains("dmarc=fail (policy reject) header.from=bank.example") && features(fail).contains("DMARC_POLICY_REJECT"))
        #expect(!features(fail).contains("DMARC_REJECT"))
        let rejected = try await classify("203.0.113.5", from: "bank.example", reject: true)
        #expect(field(rejected).contains("dmarc=fail (p=reject)") && rejected["action"] as? String == "reject" && features(rejected).contains("DMARC_REJECT"))
        let subdomain = try await classify("203.0.113.5", from: "mail.bank.example", reject: true)
        #expect(field(subdomain).contains("dmarc=fail (p=quarantine) header.from=mail.bank.example") && !features(subdomain).contains("DMARC_REJECT"))
        let none = try await classify("192.0.2.10", from: "shop.example", reject: true)
        #expect(field(none).contains("dmarc=none header.from=shop.example") && features(none).contains("DMARC_NA"))
    }

    /// A list-forwarded message fails DMARC here (the list's server is not in the sender's SPF, and no signature
    /// survives), but its ARC chain is intact and its sealer recorded DMARC passing upstream: with the sealer trusted
    /// (`trusted_arc_sealers`) DMARC reads as a pass; without, it fails.
    @Test func aTrustedSealersChainOverridesADMARCFailure() async throws {
        let fixtures = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("../MailsiftDNSTests/Fixtures/dkim").standardized
        let zone = try String(contentsOf: fixtures.appendingPathComponent("keys.zone"), encoding: .utf8).split(separator: "\n").map(String.init)
            + ["_dmarc.dkim.mailsift.example. 300 IN TXT \"v=DMARC1; p=reject\"", "dkim.mailsift.example. 300 IN TXT \"v=spf1 -all\""]
        let dns = try UnboundServer(localZones: ["dkim.mailsift.example."], localData: zone)
        defer { dns.stop() }
        let body = ByteBuffer(bytes: try Data(contentsOf: fixtures.appendingPathComponent("arc1-b0-h0.eml")))
        func classify(trusting sealers: [String]) async throws -> [String: Any] {
            let server = Fixture.server {
                $0.dmarc = true
                $0.arc = true
                $0.trustedARCSealers = sealers
                $0.dnsResolvers = [dns.address]
            }
            let h: HTTPFields = [HTTPField.Name("X-Client-IP")!: "203.0.113.5", HTTPField.Name("X-Envelope-From")!: "alice@dkim.mailsift.example"]
            return try await server.application().test(.router) { client in
                try await client.execute(uri: "/v1/classify", method: .post, headers: h, body: body) { Fixture.json($0.body) }
            }
        }
        func features(_ json: [String: Any]) -> [String] { ((json["reasons"] as? [[String: Any]]) ?? []).compactMap { $0["feature"] as? String } }
        let untrusted = try await classify(trusting: [])
        let field = (untrusted["authentication_results"] as? String) ?? ""
        #expect(field.contains("spf=fail") && field.contains("arc=pass (1 sets, newest sealer dkim.mailsift.example") && field.contains("dmarc=fail (policy reject)"))
        #expect(features(untrusted).contains("ARC_ALLOW") && features(untrusted).contains("DMARC_POLICY_REJECT"))
        let trusted = try await classify(trusting: ["DKIM.mailsift.example"])
        #expect(((trusted["authentication_results"] as? String) ?? "").contains("dmarc=pass (policy reject)") && features(trusted).contains("DMARC_POLICY_ALLOW"))
    }
}
