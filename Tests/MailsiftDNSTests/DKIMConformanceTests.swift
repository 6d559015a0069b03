import Foundation
import MailsiftCore
import MailsiftCrypto
import MailsiftDNS
import MailsiftTestKit
import Testing

/// DKIM against an independent implementation: messages signed by dkimpy with RSA 1024 and 2048 and Ed25519 keys,
/// every canonicalisation, with and without l=, and broken copies of them (scripts/dkim-fixtures.py). The keys are
/// served by a private unbound; Mailsift's verdict on each message's signature must be dkimpy's.
@Suite(.serialized) struct DKIMConformanceTests {
    static var fixtures: URL { Bundle.module.url(forResource: "Fixtures/dkim", withExtension: nil)! }

    /// A private unbound serving the fixtures' key records (keys.zone).
    static func keyServer() throws -> UnboundServer {
        let zone = try String(contentsOf: fixtures.appendingPathComponent("keys.zone"), encoding: .utf8).split(separator: "\n").map(String.init)
        return try UnboundServer(localZones: ["dkim.mailsift.example."], localData: zone)
    }

    @Test func agreesWithDkimpyOnEveryMessage() async throws {
        let dns = try Self.keyServer()
        defer { dns.stop() }
        var check = DKIMCheck(resolver: try UnboundResolver(forwarders: [dns.address]), crypto: SwiftCryptoDKIM())
        check.now = Int64(Date().timeIntervalSince1970)
        let rows = try String(contentsOf: Self.fixtures.appendingPathComponent("expected.tsv"), encoding: .utf8)
            .split(separator: "\n").dropFirst().map { $0.split(separator: "\t").map(String.init) }
        #expect(rows.count >= 200)
        var disagreements: [String] = []
        var results: [String: Int] = [:]
        for row in rows {
            let bytes = [UInt8](try Data(contentsOf: Self.fixtures.appendingPathComponent(row[0])))
            let message = try MessageParser().parse(bytes)
            let outcome = await check.check(message, deadline: .now + .seconds(5)).first
            let ours = outcome?.result == .pass ? "pass" : "fail"
            results["\(row[2]): \(outcome?.result.rawValue ?? "none")", default: 0] += 1
            if ours != row[1] { disagreements.append("\(row[0]) (\(row[2])): dkimpy \(row[1]), Mailsift \(outcome.map { "\($0.result.rawValue) \($0.detail)" } ?? "no signature")") }
        }
        print("DKIM: \(rows.count - disagreements.count) of \(rows.count) verdicts agree with dkimpy")
        for (k, v) in results.sorted(by: { $0.key < $1.key }) { print("  \(k): \(v)") }
        for d in disagreements { print("  disagrees: \(d)") }
        #expect(disagreements.isEmpty)
    }

    /// dkimpy cannot sign with `x=`: an expired signature is made by writing one into a signed message (which also
    /// breaks the signature, so the expiry must be what is reported), and checked before any DNS or cryptography.
    @Test func anExpiredSignatureFails() async throws {
        let bytes = [UInt8](try Data(contentsOf: Self.fixtures.appendingPathComponent("000-r1024-rsa-sha256-simple-simple-b0.eml")))
        let text = String(decoding: bytes, as: UTF8.self).replacingOccurrences(of: "DKIM-Signature: v=1;", with: "DKIM-Signature: v=1; x=1000000000;")
        let dead = try SilentUDPServer()
        var check = DKIMCheck(resolver: try UnboundResolver(forwarders: [dead.address]), crypto: SwiftCryptoDKIM())
        check.now = Int64(Date().timeIntervalSince1970)
        let outcome = try #require(await check.check(try MessageParser().parse(Array(text.utf8)), deadline: .now + .milliseconds(300)).first)
        #expect(outcome.result == .fail && outcome.detail == "signature expired")
        // Unparseable signatures are permanent errors, each named.
        let broken = String(decoding: bytes, as: UTF8.self).replacingOccurrences(of: "DKIM-Signature: v=1;", with: "DKIM-Signature: v=2;")
        let permanent = try #require(await check.check(try MessageParser().parse(Array(broken.utf8)), deadline: .now + .milliseconds(300)).first)
        #expect(permanent.result == .permerror && permanent.detail == "version is not 1")
    }

    /// ARC chains of one and two sets sealed by dkimpy, and copies broken after sealing: Mailsift's chain validation
    /// must give dkimpy's `cv` on every one, and read the first forwarder's results from an intact chain.
    @Test func arcAgreesWithDkimpyOnEveryChain() async throws {
        let dns = try Self.keyServer()
        defer { dns.stop() }
        let check = ARCCheck(resolver: try UnboundResolver(forwarders: [dns.address]), crypto: SwiftCryptoDKIM())
        let rows = try String(contentsOf: Self.fixtures.appendingPathComponent("expected-arc.tsv"), encoding: .utf8)
            .split(separator: "\n").dropFirst().map { $0.split(separator: "\t").map(String.init) }
        #expect(rows.count >= 30)
        var disagreements: [String] = []
        for row in rows {
            let bytes = [UInt8](try Data(contentsOf: Self.fixtures.appendingPathComponent(row[0])))
            let outcome = await check.check(try MessageParser().parse(bytes), deadline: .now + .seconds(5))
            if outcome.result.rawValue != row[1] { disagreements.append("\(row[0]) (\(row[2])): dkimpy \(row[1]), Mailsift \(outcome.result.rawValue) \(outcome.detail)") }
            if outcome.result == .pass {
                #expect(outcome.sealer == "dkim.mailsift.example")
                #expect(outcome.upstream?.result(for: row[0].hasPrefix("arc2") ? "arc" : "spf") == "pass")
            }
        }
        print("ARC: \(rows.count - disagreements.count) of \(rows.count) chains agree with dkimpy")
        for d in disagreements { print("  disagrees: \(d)") }
        #expect(disagreements.isEmpty)
    }
}
