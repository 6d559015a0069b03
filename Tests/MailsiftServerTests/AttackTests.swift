import Foundation
import Hummingbird
import HummingbirdTesting
import MailsiftCore
import NIOCore
import Synchronization
import Testing

@testable import MailsiftServer

/// The standing adversarial suite, in a reduced form (seconds, not minutes; scripts/attack.py runs the full
/// one against a release build): attackers from 127.0.0.2 and up while probes from 127.0.0.1 classify the
/// example phishing and ham messages over HTTP, spamd and milter, which must keep getting their right
/// verdicts while the attack runs.
@Suite(.serialized) struct AttackTests {
    static let phishing = try! String(contentsOfFile: DegradationTests.example("phishing.eml"), encoding: .utf8)
    static let ham = try! String(contentsOfFile: DegradationTests.example("ham.eml"), encoding: .utf8)

    /// The three listeners of `server` on free loopback ports, for the time of `body`.
    static func withListeners(_ server: Server, _ body: @escaping @Sendable (_ http: Int, _ spamd: Int, _ milter: Int) async throws -> Void) async throws {
        let (ports, continuation) = AsyncStream.makeStream(of: (String, Int).self)
        let spamd = Task { try await SpamdServer(service: server.service, host: "127.0.0.1", port: 0) { continuation.yield(("spamd", $0)) }.run() }
        let milter = Task { try await MilterServer(service: server.service, host: "127.0.0.1", port: 0) { continuation.yield(("milter", $0)) }.run() }
        var bound: [String: Int] = [:]
        for await (name, port) in ports {
            bound[name] = port
            if bound.count == 2 { break }
        }
        let (spamdPort, milterPort) = (bound["spamd"]!, bound["milter"]!)
        defer {
            spamd.cancel()
            milter.cancel()
        }
        try await server.application().test(.live) { client in
            try await body(try #require(client.port), spamdPort, milterPort)
        }
    }

    /// What the probes saw: wrong or missing verdicts, and every probe's time.
    struct ProbeReport: Sendable {
        var wrong: [String] = []
        var seconds: [Double] = []
        var p99: Double { seconds.isEmpty ? 0 : seconds.sorted()[min(seconds.count - 1, Int(Double(seconds.count) * 0.99))] }
    }

    /// Probes every listener with phishing and ham, `rounds` times, `interval` apart.
    static func probe(http: Int, spamd: Int, milter: Int, rounds: Int, interval: Double = 0.25) async -> ProbeReport {
        await AttackClient.onThread {
            var report = ProbeReport()
            for round in 0..<rounds {
                let checks: [(String, () -> String?, String)] = [
                    ("http phishing", { Probe.http(port: http, phishing) }, "reject"),
                    ("http ham", { Probe.http(port: http, ham) }, "inbox"),
                    ("spamd phishing", { Probe.spamd(port: spamd, phishing) }, "spam"),
                    ("spamd ham", { Probe.spamd(port: spamd, ham) }, "ham"),
                    ("milter phishing", { Probe.milter(port: milter, phishing) }, "reject"),
                    ("milter ham", { Probe.milter(port: milter, ham) }, "accept"),
                ]
                for (name, ask, expected) in checks {
                    let start = Date()
                    let got = ask()
                    report.seconds.append(Date().timeIntervalSince(start))
                    if got != expected { report.wrong.append("round \(round) \(name): \(got ?? "no verdict")") }
                }
                Thread.sleep(forTimeInterval: interval)
            }
            return report
        }
    }

    /// A client that sends `head`, then one byte every `every` seconds until the server closes the connection
    /// or `limit` seconds pass; how long the server let it go on (nil: never closed).
    static func trickle(port: Int, from source: String, head: [UInt8], every: Double, limit: Double) async -> Double? {
        await AttackClient.onThread {
            guard let c = AttackClient(port: port, from: source) else { return 0 }
            let start = Date()
            guard c.send(head) else { return 0 }
            while Date().timeIntervalSince(start) < limit {
                Thread.sleep(forTimeInterval: every)
                if !c.send([UInt8(ascii: "x")]) { return Date().timeIntervalSince(start) }
                // A reply (spamd's timeout answer) and the close may come before a send fails.
                if c.receive(seconds: 0.001).closed { return Date().timeIntervalSince(start) }
            }
            return nil
        }
    }

    @Test func slowBodiesOnEveryListenerHoldNoSlotAndAreCut() async throws {
        let server = Fixture.server { $0.maxConcurrentRequests = 4; $0.requestTimeoutSeconds = 2 }
        try await Self.withListeners(server) { http, spamd, milter in
            let milterHead = MilterSession.be32(13) + [UInt8(ascii: "O")] + MilterSession.be32(6) + MilterSession.be32(0x1FF) + MilterSession.be32(0)
                + MilterSession.be32(60_001) + [UInt8(ascii: "B")]
            let attacks: [(Int, [UInt8])] = [
                (http, Array("POST /v1/classify HTTP/1.1\r\nHost: a\r\nContent-Length: 100000\r\n\r\n".utf8)),
                (spamd, Array("CHECK SPAMC/1.5\r\nContent-length: 100000\r\n\r\n".utf8)),
                (milter, milterHead),
            ]
            // Twice the concurrency limit on each listener, from four addresses.
            let cut = await withTaskGroup(of: Double?.self) { group in
                for (i, (port, head)) in (0..<8).flatMap({ _ in attacks }).enumerated() {
                    group.addTask { await Self.trickle(port: port, from: "127.0.0.\(2 + i % 4)", head: head, every: 0.2, limit: 10) }
                }
                group.addTask {
                    try? await Task.sleep(for: .milliseconds(300))  // the attack is under way
                    let report = await Self.probe(http: http, spamd: spamd, milter: milter, rounds: 4)
                    #expect(report.wrong.isEmpty, "\(report.wrong)")
                    #expect(report.p99 < 2, "p99 \(report.p99) s")
                    return -1
                }
                return await group.reduce(into: [Double?]()) { $0.append($1) }.filter { $0 != -1 }
            }
            // Every attacker lost its connection at the request timeout (spamd's a second later, after its own reply).
            #expect(cut.count == 24)
            #expect(cut.allSatisfy { $0 != nil && $0! < 5 }, "\(cut)")
            let metrics = String(decoding: server.metrics.render(), as: UTF8.self)
            #expect(metrics.contains("mailsift_connections_cut_total{reason=\"timed_out\"}"))
        }
    }

    @Test func aClientOverItsConnectionLimitIsRefusedAndOthersAreNot() async throws {
        let server = Fixture.server { $0.maxConnectionsPerClient = 3 }
        try await Self.withListeners(server) { http, spamd, milter in
            let (held, refused, probe) = await AttackClient.onThread { () -> (Int, Int, String?) in
                var clients: [AttackClient] = []
                for port in [http, spamd, milter] {
                    for _ in 0..<5 { if let c = AttackClient(port: port, from: "127.0.0.9") { clients.append(c) } }
                }
                // The connections over the limit are closed at once; the others stay open (idle, not yet timed out).
                let closed = clients.map { $0.receive(seconds: 0.3).closed }
                return (closed.count { !$0 }, closed.count { $0 }, Probe.http(port: http, Self.phishing))
            }
            #expect(held == 9 && refused == 6)
            #expect(probe == "reject")
            let metrics = String(decoding: server.metrics.render(), as: UTF8.self)
            #expect(metrics.contains("mailsift_connections_cut_total{reason=\"too_many_connections\"} 6"))
        }
    }

    @Test func tinyChunksAreCutAndHealthStaysFast() async throws {
        let server = Fixture.server()
        try await Self.withListeners(server) { http, _, _ in
            let (closed, health) = await AttackClient.onThread { () -> (Bool, Double) in
                guard let c = AttackClient(port: http, from: "127.0.0.2") else { return (false, 99) }
                var request = Array("POST /v1/classify HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n".utf8)
                for _ in 0..<20_000 { request += Array("1\r\nx\r\n".utf8) }
                c.send(request)
                let closed = c.receive(seconds: 5).closed
                let start = Date()
                guard let h = AttackClient(port: http), h.send("GET /healthz HTTP/1.1\r\nHost: a\r\nConnection: close\r\n\r\n") else { return (closed, 99) }
                _ = h.receive(seconds: 5)
                return (closed, Date().timeIntervalSince(start))
            }
            #expect(closed)
            #expect(health < 1)
            #expect(String(decoding: server.metrics.render(), as: UTF8.self).contains("mailsift_connections_cut_total{reason=\"too_many_pieces\"} 1"))
            // A body in a few large chunks is fine.
            let chunked = await AttackClient.onThread { () -> String in
                guard let c = AttackClient(port: http) else { return "" }
                let body = Array(Self.phishing.utf8)
                var request = Array("POST /v1/classify HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\nConnection: close\r\n\r\n".utf8)
                for piece in stride(from: 0, to: body.count, by: 512) {
                    let chunk = body[piece..<min(piece + 512, body.count)]
                    request += Array("\(String(chunk.count, radix: 16))\r\n".utf8) + chunk + Array("\r\n".utf8)
                }
                request += Array("0\r\n\r\n".utf8)
                c.send(request)
                return String(decoding: c.receive(seconds: 5).bytes, as: UTF8.self)
            }
            #expect(chunked.contains("\"action\":\"reject\""))
        }
    }

    @Test func expectContinueIsAnswered() async throws {
        try await Self.withListeners(Fixture.server()) { http, _, _ in
            let (interim, reply) = await AttackClient.onThread { () -> (String, String) in
                guard let c = AttackClient(port: http) else { return ("", "") }
                let body = Array(Self.phishing.utf8)
                c.send("POST /v1/classify HTTP/1.1\r\nHost: a\r\nContent-Length: \(body.count)\r\nExpect: 100-continue\r\nConnection: close\r\n\r\n")
                let interim = String(decoding: c.receive(until: { $0.count >= 25 }, seconds: 2), as: UTF8.self)
                c.send(body)
                return (interim, String(decoding: c.receive(seconds: 5).bytes, as: UTF8.self))
            }
            #expect(interim.hasPrefix("HTTP/1.1 100 Continue"))
            #expect(reply.contains("\"action\":\"reject\""))
        }
    }

    /// Milter recipients and header fields are capped: a flood of large RCPT packets keeps no more than the cap.
    @Test func milterCountsAreCapped() async throws {
        var session = MilterSession(maxMessageBytes: 1 << 20)
        let long = [UInt8](repeating: UInt8(ascii: "a"), count: 100_000) + [0]
        for i in 0..<3_000 {
            _ = try session.handle(command: UInt8(ascii: "R"), data: i % 2 == 0 ? ArraySlice(Array("<r\(i)@example.com>".utf8) + [0]) : ArraySlice(long))
        }
        _ = try session.handle(command: UInt8(ascii: "H"), data: ArraySlice(long))
        for i in 0..<(MilterSession.maxHeaderFields + 50) {
            _ = try session.handle(command: UInt8(ascii: "L"), data: ArraySlice(Array("X-\(i)".utf8) + [0, UInt8(ascii: "v"), 0]))
        }
        guard case .classify(let message, let envelope) = try session.handle(command: UInt8(ascii: "E"), data: []) else {
            Issue.record("no message")
            return
        }
        #expect(envelope.recipients.count == MilterSession.maxRecipients)
        #expect(envelope.recipients.allSatisfy { $0.utf8.count < 32 })  // the 100 kB ones were dropped
        #expect(envelope.helo == nil)
        #expect(message.count { $0 == 0x0A } == MilterSession.maxHeaderFields + 1)
    }

    /// The guard's minimum rate, with a short grace: a trickle is cut soon after it, a fast request is not.
    @Test func aTrickleBelowTheMinimumRateIsCut() async throws {
        let (ports, continuation) = AsyncStream.makeStream(of: Int.self)
        let limits = ConnectionGuard.Limits(
            requestTimeout: .seconds(30), minBytesPerSecond: 1_000, grace: .milliseconds(500), checkEvery: .milliseconds(100), maxPerClient: 8)
        let listener = Task {
            try await TCPListener(host: "127.0.0.1", port: 0, name: "test", idleTimeout: .seconds(30), limits: limits, metrics: ServerMetrics(), logger: Fixture.logger)
                .run(onBound: { continuation.yield($0) }) { connection in
                    // Requests of 100 kB: answered "ok" once whole.
                    var have = 0
                    for try await chunk in connection.inbound {
                        have += chunk.readableBytes
                        if have >= 100_000 {
                            connection.received()
                            try await connection.outbound.write(ByteBuffer(string: "ok"))
                            have -= 100_000
                        }
                    }
                }
        }
        defer { listener.cancel() }
        var iterator = ports.makeAsyncIterator()
        let port = try #require(await iterator.next())
        let slow = await Self.trickle(port: port, from: "127.0.0.2", head: [], every: 0.05, limit: 10)
        #expect(slow != nil && slow! < 2)
        let fast = await AttackClient.onThread { () -> String in
            guard let c = AttackClient(port: port) else { return "" }
            var replies = ""
            // Two requests a second apart on one connection: the wait between them is not a slow request.
            for _ in 0..<2 {
                c.send([UInt8](repeating: 1, count: 100_000))
                replies += String(decoding: c.receive(until: { $0.count >= 2 }, seconds: 2), as: UTF8.self)
                Thread.sleep(forTimeInterval: 1)
            }
            return replies
        }
        #expect(fast == "okok")
    }

    /// The spamd reader gives the same answer however the request is cut into reads (the request fuzzer's
    /// property): a header block over the limit is refused even when it arrives in one read, and bytes past
    /// Content-length do not make a request too big.
    @Test func theSpamdReaderDoesNotDependOnHowTheRequestIsCut() throws {
        func read(_ bytes: [UInt8], step: Int) -> String {
            var reader = SpamdRequestReader(maxBodyBytes: 100)
            do {
                for start in stride(from: 0, to: bytes.count, by: step) {
                    if let r = try reader.feed(bytes[start..<min(start + step, bytes.count)]) { return "request \(r.body.count)" }
                }
                return "request \(try reader.finish().body.count)"
            } catch {
                return "error \(error.code)"
            }
        }
        let longHead = Array("CHECK SPAMC/1.5\r\nX-Pad: \(String(repeating: "p", count: 9_000))\r\n\r\nbody".utf8)
        let trailing = Array("CHECK SPAMC/1.5\r\nContent-length: 4\r\n\r\nbody".utf8) + [UInt8](repeating: 0x41, count: 200)
        for bytes in [longHead, trailing] {
            let whole = read(bytes, step: bytes.count)
            #expect([1, 7, 64].allSatisfy { read(bytes, step: $0) == whole })
        }
        #expect(read(longHead, step: longHead.count) == "error 76")
        #expect(read(trailing, step: 1) == "request 4")
    }
}
