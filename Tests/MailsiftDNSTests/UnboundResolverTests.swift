import Foundation
import MailsiftCore
import MailsiftDNS
import MailsiftTestKit
import Testing

/// libunbound against a real DNS server: a private `unbound` on 127.0.0.1 serving fixture zones (SPF records, MX,
/// PTR, a TXT record too big for UDP, a CNAME loop) and forwarding one zone to a server that never answers. (Not
/// under `test.` or the documentation networks' reverse zones: libunbound answers those itself, as RFC 6761 asks.)
@Suite(.serialized) struct UnboundResolverTests {
    static let bigText = (0..<60).map { i in String(repeating: Character(UnicodeScalar(UInt8(97 + i % 26))), count: 250) }
    /// 62,500 bytes of TXT: near the most one DNS message can carry (65,535 bytes).
    static let hugeText = (0..<250).map { i in String(repeating: Character(UnicodeScalar(UInt8(97 + i % 26))), count: 250) }

    static func server(silent: SilentUDPServer) throws -> UnboundServer {
        try UnboundServer(
            localZones: ["mailsift.example.", "69.2.81.in-addr.arpa."],
            localData: [
                "spf.mailsift.example. 300 IN TXT \"v=spf1 ip4:192.0.2.0/24 a:mail.mailsift.example mx -all\"",
                "mailsift.example. 300 IN MX 10 mail.mailsift.example.",
                "mail.mailsift.example. 300 IN A 198.51.100.5",
                "mail.mailsift.example. 300 IN AAAA 2001:db8::5",
                "multi.mailsift.example. 300 IN TXT \"part one \" \"part two\"",
                "big.mailsift.example. 300 IN TXT " + bigText.map { "\"\($0)\"" }.joined(separator: " "),
                "huge.mailsift.example. 300 IN TXT " + hugeText.map { "\"\($0)\"" }.joined(separator: " "),
                "5.69.2.81.in-addr.arpa. 300 IN PTR mail.mailsift.example.",
                "loop.mailsift.example. 300 IN TXT \"v=spf1 include:loop.mailsift.example -all\"",
                "slowspf.mailsift.example. 300 IN TXT \"v=spf1 include:x.slow.example -all\"",
                "cname1.mailsift.example. 300 IN CNAME cname2.mailsift.example.",
                "cname2.mailsift.example. 300 IN CNAME cname1.mailsift.example.",
            ],
            forwardZones: ["slow.example.": silent.address])
    }

    static func deadline(_ ms: Int = 3_000) -> ContinuousClock.Instant { .now + .milliseconds(ms) }

    @Test func answersEveryTypeTheChecksNeed() async throws {
        let silent = try SilentUDPServer()
        let server = try Self.server(silent: silent)
        defer { server.stop() }
        let dns = try UnboundResolver(forwarders: [server.address])
        #expect(await dns.query("spf.mailsift.example", .txt, deadline: Self.deadline()).records == [.text([Array("v=spf1 ip4:192.0.2.0/24 a:mail.mailsift.example mx -all".utf8)])])
        #expect(await dns.query("mail.mailsift.example", .a, deadline: Self.deadline()).records == [.address("198.51.100.5")])
        #expect(await dns.query("mail.mailsift.example", .aaaa, deadline: Self.deadline()).records == [.address("2001:db8::5")])
        #expect(await dns.query("mailsift.example", .mx, deadline: Self.deadline()).records == [.mx(preference: 10, exchange: "mail.mailsift.example")])
        #expect(await dns.query("5.69.2.81.in-addr.arpa", .ptr, deadline: Self.deadline()).records == [.ptr("mail.mailsift.example")])
        #expect(await dns.query("multi.mailsift.example", .txt, deadline: Self.deadline()).records.first?.text == Array("part one part two".utf8))
        // Absent names and types, told apart.
        #expect(await dns.query("nothing.mailsift.example", .a, deadline: Self.deadline()) == .nameError)
        #expect(await dns.query("mail.mailsift.example", .txt, deadline: Self.deadline()) == .noData)
        // 15,000 bytes of TXT: truncated over UDP, fetched again over TCP.
        let big = await dns.query("big.mailsift.example", .txt, deadline: Self.deadline())
        #expect(big.records.first?.text?.count == 15_000)
        if case .records(_, let ttl) = big { #expect(ttl > 0 && ttl <= 300) } else { Issue.record("no records: \(big)") }
        // 62,500 bytes: read up to the cap (16 KB), in bounded time.
        let huge = await dns.query("huge.mailsift.example", .txt, deadline: Self.deadline())
        #expect((huge.records.first?.text?.count ?? 0) > 0 && (huge.records.first?.text?.count ?? .max) <= UnboundResolver.maximumTextBytes)
        // A CNAME loop is a failure, quickly.
        let clock = ContinuousClock()
        let start = clock.now
        #expect(await dns.query("cname1.mailsift.example", .a, deadline: Self.deadline()).records.isEmpty)
        #expect(clock.now - start < .seconds(3))
        // A name DNS cannot carry.
        #expect(await dns.query(String(repeating: "a", count: 64) + ".mailsift.example", .txt, deadline: Self.deadline()) == .nameError)
    }

    /// A server that never answers costs a query its deadline, no more, and holds up no other query.
    @Test func aDeadServerCostsTheDeadlineAndNothingElse() async throws {
        let silent = try SilentUDPServer()
        let server = try Self.server(silent: silent)
        defer { server.stop() }
        let dns = try UnboundResolver(forwarders: [server.address])
        let clock = ContinuousClock()
        let start = clock.now
        async let slow = dns.query("x.slow.example", .txt, deadline: .now + .milliseconds(300))
        let fast = await dns.query("mail.mailsift.example", .a, deadline: Self.deadline())
        let fastDone = clock.now - start
        #expect(await slow == .timeout)
        let slowDone = clock.now - start
        #expect(fast.records == [.address("198.51.100.5")])
        #expect(fastDone < .milliseconds(300) && slowDone >= .milliseconds(300) && slowDone < .milliseconds(1_500))
        // Straight to a dead resolver: the same.
        let dead = try UnboundResolver(forwarders: [silent.address])
        let t = clock.now
        #expect(await dead.query("mailsift.example", .mx, deadline: .now + .milliseconds(200)) == .timeout)
        #expect(clock.now - t < .seconds(1))
        #expect(await dead.query("mailsift.example", .mx, deadline: .now - .seconds(1)) == .timeout)
    }

    /// Answers are cached for their TTL: with the server gone, a name asked before is still answered.
    @Test func answersAreCached() async throws {
        let silent = try SilentUDPServer()
        let server = try Self.server(silent: silent)
        let dns = try UnboundResolver(forwarders: [server.address])
        #expect(await dns.query("mail.mailsift.example", .a, deadline: Self.deadline()).records == [.address("198.51.100.5")])
        server.stop()
        #expect(await dns.query("mail.mailsift.example", .a, deadline: Self.deadline(500)).records == [.address("198.51.100.5")])
        #expect(await dns.query("spf.mailsift.example", .txt, deadline: Self.deadline(500)).isTemporaryFailure)
    }

    /// SPF end to end over real DNS: ip4, a, mx; the lookup limit on an include loop; a slow include is `temperror`
    /// within the deadline.
    @Test func spfOverRealDNS() async throws {
        let silent = try SilentUDPServer()
        let server = try Self.server(silent: silent)
        defer { server.stop() }
        let spf = SPFCheck(resolver: try UnboundResolver(forwarders: [server.address]))
        func check(_ ip: String, _ from: String, ms: Int = 3_000) async -> SPFCheck.Outcome {
            await spf.check(ip: ip, mailFrom: from, helo: "client.example", deadline: .now + .milliseconds(ms))
        }
        #expect(await check("192.0.2.77", "a@spf.mailsift.example").result == .pass)
        let viaA = await check("198.51.100.5", "<a@spf.mailsift.example>")
        #expect(viaA.result == .pass && viaA.detail == "a:mail.mailsift.example")
        #expect(await check("2001:db8::5", "a@spf.mailsift.example").result == .pass)
        #expect(await check("203.0.113.9", "a@spf.mailsift.example").result == .fail)
        #expect(await check("203.0.113.9", "a@mail.mailsift.example").result == .none)
        #expect(await check("203.0.113.9", "a@nothing.mailsift.example").result == .none)
        let loop = await check("203.0.113.9", "a@loop.mailsift.example")
        #expect(loop.result == .permerror && loop.lookups == 11)
        let clock = ContinuousClock()
        let start = clock.now
        #expect(await check("203.0.113.9", "a@slowspf.mailsift.example", ms: 300).result == .temperror)
        #expect(clock.now - start < .milliseconds(1_500))
    }
}
