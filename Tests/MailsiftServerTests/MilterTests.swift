import Foundation
import MailsiftCore
import MailsiftFiles
import MailsiftTestKit
import MailsiftTrees
import Testing

@testable import MailsiftServer

@Suite struct MilterSessionTests {
    static func packet(_ command: Character, _ data: [UInt8] = []) -> [UInt8] {
        MilterSession.be32(UInt32(data.count + 1)) + [UInt8(ascii: command.unicodeScalars.first!)] + data
    }

    static func z(_ s: String) -> [UInt8] { Array(s.utf8) + [0] }

    /// A conversation as Postfix holds it, fed to the reader in 5-byte pieces.
    @Test func aConversationRebuildsTheMessageAndEnvelope() async throws {
        var stream: [UInt8] = []
        stream += Self.packet("O", MilterSession.be32(6) + MilterSession.be32(0x1FF) + MilterSession.be32(0x1FFFFF))
        stream += Self.packet("D", [UInt8(ascii: "C")] + Self.z("j") + Self.z("mx.example.com"))
        stream += Self.packet("C", Self.z("client.example.org") + [UInt8(ascii: "4"), 0x1F, 0x90] + Self.z("198.51.100.7"))
        stream += Self.packet("H", Self.z("client.example.org"))
        stream += Self.packet("M", Self.z("<alice@example.org>") + Self.z("SIZE=100"))
        stream += Self.packet("R", Self.z("<bob@example.com>"))
        stream += Self.packet("R", Self.z("<carol@example.com>"))
        stream += Self.packet("T")
        stream += Self.packet("L", Self.z("From") + Self.z("Alice <alice@example.org>"))
        stream += Self.packet("L", Self.z("X-Spam-Flag") + Self.z("NO"))
        stream += Self.packet("L", Self.z("Authentication-Results") + Self.z("relay.example; spf=pass"))
        stream += Self.packet("L", Self.z("Authentication-Results") + Self.z("Mailsift; spf=pass"))
        stream += Self.packet("L", Self.z("Subject") + Self.z("folded\r\n\tsubject"))
        stream += Self.packet("N")
        stream += Self.packet("B", Array("hello\r\n".utf8))
        stream += Self.packet("B", Array("world\r\n".utf8))
        stream += Self.packet("E")
        var reader = MilterPacketReader()
        var session = MilterSession(maxMessageBytes: 1 << 20)
        var replies: [[UInt8]] = []
        var classified: (message: [UInt8], envelope: Envelope)?
        for start in stride(from: 0, to: stream.count, by: 5) {
            reader.feed(stream[start..<min(start + 5, stream.count)])
            while let (command, data) = try reader.next() {
                switch try session.handle(command: command, data: data) {
                case .reply(let r): replies += r
                case .classify(let m, let e): classified = (m, e)
                case .close: Issue.record("closed")
                }
            }
        }
        // Negotiation answers version 6 and the actions asked for (add and change headers, quarantine), no skips.
        #expect(replies.first == Self.packet("O", MilterSession.be32(6) + MilterSession.be32(0x31) + MilterSession.be32(0)))
        #expect(replies.dropFirst().allSatisfy { $0 == Self.packet("c") })
        #expect(replies.count == 1 + 14)  // each of the 14 commands but the macro and the end of message got "continue"
        let c = try #require(classified)
        #expect(c.envelope == Envelope(clientIP: "198.51.100.7", helo: "client.example.org", mailFrom: "alice@example.org", recipients: ["bob@example.com", "carol@example.com"]))
        #expect(String(decoding: c.message, as: UTF8.self) == "From: Alice <alice@example.org>\r\nX-Spam-Flag: NO\r\nAuthentication-Results: relay.example; spf=pass\r\nAuthentication-Results: Mailsift; spf=pass\r\nSubject: folded\r\n\tsubject\r\n\r\nhello\r\nworld\r\n")

        // The end: the forged X-Spam-Flag (first of its name) and the results written under Mailsift's authserv-id
        // (second of theirs) are deleted, the verdict headers added, then the decision.
        let spam = try await Fixture.server().service.classify(Array(Fixture.gtube.utf8))
        let end = session.finish(.verdict(action: spam.action, probability: spam.probability, headers: [("X-Spam-Flag", "YES")], authservID: "mailsift"))
        #expect(end == [
            Self.packet("m", MilterSession.be32(1) + Self.z("X-Spam-Flag") + [0]),
            Self.packet("m", MilterSession.be32(2) + Self.z("Authentication-Results") + [0]),
            Self.packet("h", Self.z("X-Spam-Flag") + Self.z("YES")),
            Self.packet("y", Self.z("550 5.7.1 Message rejected as spam")),
        ])
        #expect(session.finish(.unavailable) == [Self.packet("y", Self.z("451 4.7.1 Message filter unavailable, try again later"))])
        #expect(try session.handle(command: UInt8(ascii: "Q"), data: []) == .close)
    }

    /// The `{auth_authen}` macro sent with MAIL marks that message's envelope as a local user's submission; the
    /// next message, without it, is not.
    @Test func smtpAuthMarksTheSubmission() throws {
        var session = MilterSession(maxMessageBytes: 1 << 20)
        func envelope(_ packets: [(Character, [UInt8])]) throws -> Envelope? {
            var out: Envelope?
            for (command, data) in packets {
                if case .classify(_, let e) = try session.handle(command: UInt8(ascii: command.unicodeScalars.first!), data: ArraySlice(data)) { out = e }
            }
            return out
        }
        let message: [(Character, [UInt8])] = [("L", Self.z("Subject") + Self.z("x")), ("N", []), ("B", Array("x\r\n".utf8)), ("E", [])]
        let first = try envelope([("D", [UInt8(ascii: "M")] + Self.z("{auth_type}") + Self.z("PLAIN") + Self.z("{auth_authen}") + Self.z("alice")),
                                  ("M", Self.z("<alice@corp.example>"))] + message)
        #expect(first?.authenticatedSender == "alice" && first?.mailFrom == "alice@corp.example")
        let second = try envelope([("D", [UInt8(ascii: "M")] + Self.z("{mail_addr}") + Self.z("bob@x.example")), ("M", Self.z("<bob@x.example>"))] + message)
        #expect(second?.authenticatedSender == nil)
        let third = try envelope([("M", Self.z("<carol@x.example>"))] + message)
        #expect(third?.authenticatedSender == nil)
    }

    @Test func badPacketsAreRefused() {
        var reader = MilterPacketReader()
        reader.feed(MilterSession.be32(0))
        #expect(throws: MilterSession.ProtocolError.self) { try reader.next() }
        var huge = MilterPacketReader()
        huge.feed(MilterSession.be32(UInt32(MilterSession.maxPacketBytes + 1)) + [0x42])
        #expect(throws: MilterSession.ProtocolError.self) { try huge.next() }
        var session = MilterSession(maxMessageBytes: 100)
        #expect(throws: MilterSession.ProtocolError.self) { try session.handle(command: UInt8(ascii: "O"), data: [0, 0, 0, 6]) }
        #expect(throws: MilterSession.ProtocolError.self) { try session.handle(command: UInt8(ascii: "L"), data: ArraySlice(Array("Subject".utf8))) }
    }

    @Test func aMessageOverTheLimitIsCutNotGrown() throws {
        var session = MilterSession(maxMessageBytes: 64)
        _ = try session.handle(command: UInt8(ascii: "L"), data: ArraySlice(Self.z("Subject") + Self.z("x")))
        for _ in 0..<100 { _ = try session.handle(command: UInt8(ascii: "B"), data: ArraySlice(repeating: 0x61, count: 40)) }
        guard case .classify(let message, _) = try session.handle(command: UInt8(ascii: "E"), data: []) else {
            Issue.record("no classification")
            return
        }
        #expect(message.count <= 64 + 16)
    }
}

/// Postfix on 127.0.0.1 with `smtpd_milters` pointing at a live milter listener, and swaks sending
/// messages through it (scripts/postfix-milter-test.sh; Debian's postfix and swaks, installed by
/// scripts/install-deps.sh; needs root, as CI and the development machines run).
@Suite(.serialized) struct PostfixMilterTests {
    @Test func postfixDeliversTagsHoldsAndRejects() async throws {
        guard getuid() == 0 else {
            Issue.record("running Postfix for this test needs root")
            return
        }
        // The shipped rules and one that quarantines, to see Postfix hold a message.
        let shipped = try String(contentsOfFile: try #require(RulesFile.defaultPath), encoding: .utf8)
        let rules = try RulesFile.parse(shipped + "\n  - name: HOLD_ME\n    header: Subject\n    pattern: QUARANTINE-ME\n    action: quarantine\n")
        let model = try ServingModel(cascade: try ShippedModel.cascade(Fixture.model.cascade.bundle, rules: rules), path: nil)
        // SPF on, against a private DNS server that publishes example.org's record (swaks sends as sender@example.org
        // from 127.0.0.1): the delivered mail carries Mailsift's own Authentication-Results.
        let dns = try SenderAuthenticationTests.dns()
        defer { dns.stop() }
        let server = Fixture.server({ $0.spf = true; $0.dnsResolvers = [dns.address] }, model: model)
        let work = FileManager.default.temporaryDirectory.appendingPathComponent("mailsift-postfix-\(UUID())")
        try FileManager.default.createDirectory(at: work, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: work) }
        var files: [String] = []
        for (name, text) in [("ham", Fixture.ham), ("gtube", Fixture.gtube), ("hold", "From: a@example.org\r\nTo: test@localhost\r\nSubject: QUARANTINE-ME\r\n\r\nhello\r\n")] {
            let path = work.appendingPathComponent("\(name).eml").path
            try text.write(toFile: path, atomically: true, encoding: .utf8)
            files.append(path)
        }
        let (ports, continuation) = AsyncStream.makeStream(of: Int.self)
        let listener = Task { try await MilterServer(service: server.service, host: "127.0.0.1", port: 0) { continuation.yield($0) }.run() }
        defer { listener.cancel() }
        var iterator = ports.makeAsyncIterator()
        let port = try #require(await iterator.next())
        let script = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("../../scripts/postfix-milter-test.sh").standardized.path
        let queue = work.appendingPathComponent("postfix").path
        let run = try await LiveProtocolTests.run("bash", [script, "\(port)", queue] + files, input: "")
        #expect(run.status == 0, "\(run.output)")
        let lines = run.output.split(separator: "\n").map(String.init)
        #expect(lines.contains("SENT \(files[0]) 0"))
        #expect(lines.contains { $0.hasPrefix("SENT \(files[1]) ") && !$0.hasSuffix(" 0") })  // refused
        #expect(run.output.contains("550 5.7.1 Message rejected as spam"))
        #expect(lines.contains("SENT \(files[2]) 0"))
        #expect(lines.filter { $0.hasPrefix("HELD ") }.count == 1)  // quarantined: Postfix's hold queue
        let mailbox = try String(contentsOfFile: queue + "/mailbox", encoding: .utf8)
        #expect(mailbox.components(separatedBy: "\nFrom sender@example.org").count == 1)  // only the ham was delivered
        #expect(mailbox.contains("X-Mailsift-Verdict: ham; probability="))
        #expect(mailbox.contains("Authentication-Results: mailsift; spf=pass (example.org: client-ip 127.0.0.1; ip4:127.0.0.1) smtp.mailfrom=sender@example.org"))
        #expect(mailbox.contains("X-Spam-Status: No, score="))
        #expect(mailbox.contains("Subject: minutes of Tuesday's meeting"))
    }
}

@Suite struct MilterNegotiationTests {
    /// An MTA that agrees to add headers only: no header deletion, no quarantine is asked of it.
    @Test func actionsTheMTARefusedAreLeftOut() async throws {
        var session = MilterSession(maxMessageBytes: 1 << 20)
        _ = try session.handle(command: UInt8(ascii: "O"), data: ArraySlice(MilterSession.be32(6) + MilterSession.be32(0x01) + MilterSession.be32(0)))
        _ = try session.handle(command: UInt8(ascii: "L"), data: ArraySlice(MilterSessionTests.z("X-Spam-Flag") + MilterSessionTests.z("NO")))
        var result = try await Fixture.server().service.classify(Array(Fixture.gtube.utf8))
        result.action = .quarantine
        let end = session.finish(.verdict(action: result.action, probability: result.probability, headers: [("X-Spam-Flag", "YES")]))
        #expect(end == [MilterSessionTests.packet("h", MilterSessionTests.z("X-Spam-Flag") + MilterSessionTests.z("YES")), MilterSessionTests.packet("a")])
    }
}
