import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import MailsiftCore
import NIOCore
import MailsiftTestKit
import Testing

@testable import MailsiftServer

/// Two `mailsift serve` processes on one Redis: a campaign the operator blocks on one is blocked by the other (by its
/// text, or by its picture), an allowed one is let through, and both count the campaign's messages together.
@Suite(.serialized) struct FuzzyListTests {
    static let token = "admin-token-0123456789"

    /// A `mailsift serve` child process on a loopback port.
    final class ServeProcess: @unchecked Sendable {
        let process = Process()
        let port: Int

        init(redis: String) throws {
            let binary = TestPaths.mailsiftBinary
            guard FileManager.default.isExecutableFile(atPath: binary) else { throw MailsiftProcess.NotBuilt() }
            port = 20_000 + Int.random(in: 0..<20_000)
            process.executableURL = URL(fileURLWithPath: binary)
            process.arguments = ["serve", "--port", String(port)]
            process.environment = ProcessInfo.processInfo.environment.merging([
                "MAILSIFT_REDIS_URL": redis, "MAILSIFT_ADMIN_TOKEN": FuzzyListTests.token, "MAILSIFT_FUZZY_REFRESH_SECONDS": "0.2",
            ]) { $1 }
            process.standardOutput = FileHandle.nullDevice
            process.standardError = FileHandle.nullDevice
            try process.run()
        }

        deinit {
            if process.isRunning { process.terminate() }
            process.waitUntilExit()
        }

        /// One HTTP request (the connection closed after it); the status and the JSON body.
        func request(_ method: String, _ path: String, body: String = "", token: String? = nil) async -> (status: Int, json: [String: Any]) {
            var head = "\(method) \(path) HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\nContent-Length: \(body.utf8.count)\r\n"
            if let token { head += "Authorization: Bearer \(token)\r\n" }
            let reply = await LoopbackSocket.exchange(port: port, Array((head + "\r\n" + body).utf8), seconds: 10) ?? []
            let text = String(decoding: reply, as: UTF8.self)
            let status = Int(text.split(separator: " ").dropFirst().first ?? "") ?? 0
            let json = text.range(of: "\r\n\r\n").flatMap {
                try? JSONSerialization.jsonObject(with: Data(text[$0.upperBound...].utf8)) as? [String: Any]
            } ?? [:]
            return (status, json)
        }

        func ready() async -> Bool {
            for _ in 0..<200 {
                if await request("GET", "/readyz").status == 200 { return true }
                try? await Task.sleep(for: .milliseconds(100))
            }
            return false
        }
    }

    static func example(_ name: String) throws -> String {
        try String(contentsOf: TestPaths.repositoryRoot.appendingPathComponent("examples/\(name)"), encoding: .utf8)
    }

    static func features(_ json: [String: Any]) -> [String] {
        (json["reasons"] as? [[String: Any]])?.compactMap { $0["feature"] as? String } ?? []
    }

    /// Classifies `message` on `server` until the first reason is `first` (the server reads Redis every 0.2 s), at
    /// most 5 s; the last reply.
    static func classify(_ message: String, on server: ServeProcess, until first: String) async throws -> [String: Any] {
        var json: [String: Any] = [:]
        for _ in 0..<50 {
            json = await server.request("POST", "/v1/classify", body: message).json
            if features(json).first == first { break }
            try await Task.sleep(for: .milliseconds(100))
        }
        return json
    }

    @Test func twoServerProcessesShareTheFuzzyListAndTheCampaignCounts() async throws {
        let redis = try RedisServer()
        let a = try ServeProcess(redis: redis.url), b = try ServeProcess(redis: redis.url)
        #expect(await a.ready())
        #expect(await b.ready())
        let ham = try Self.example("ham.eml"), phishing = try Self.example("phishing.eml")
        // The model lets this list post through; nobody but the admin may change that.
        let before = await b.request("POST", "/v1/classify", body: ham)
        #expect(before.json["action"] as? String == "inbox")
        #expect(await a.request("POST", "/admin/fuzzy?action=block", body: ham).status == 401)
        #expect(await a.request("POST", "/admin/fuzzy?action=block", body: ham, token: "wrong-token-0123456789").status == 401)
        #expect(await a.request("POST", "/admin/fuzzy?action=maybe", body: ham, token: Self.token).status == 400)
        #expect(await a.request("POST", "/admin/fuzzy?action=block", body: "Subject: hi\r\n\r\nhello\r\n", token: Self.token).status == 422)
        // Blocked on server A, with a note.
        let added = await a.request("POST", "/admin/fuzzy?action=block&note=test-campaign", body: ham, token: Self.token)
        #expect(added.status == 200 && added.json["added"] as? Bool == true && added.json["shared"] as? Bool == true)
        // Server B reads it from Redis within its refresh: a copy sent to someone else is quarantined there.
        let copy = ham.replacingOccurrences(of: "To: rpm-zzzlist@freshrpms.net", with: "To: someone@example.org")
            .replacingOccurrences(of: "Message-ID: <20020919112745", with: "Message-ID: <copy-20020919112745")
        let blocked = try await Self.classify(copy, on: b, until: "fuzzy_block")
        #expect(Self.features(blocked).first == "fuzzy_block")
        #expect(blocked["action"] as? String == "quarantine")
        #expect(blocked["label"] as? String == "spam")
        let listed = await b.request("GET", "/admin/fuzzy", token: Self.token)
        #expect(listed.json["count"] as? Int == 1)
        // An allowed campaign on B is let through on A.
        let allowed = await b.request("POST", "/admin/fuzzy?action=allow&note=our-own-notice", body: phishing, token: Self.token)
        #expect(allowed.status == 200 && allowed.json["shared"] as? Bool == true)
        let through = try await Self.classify(phishing, on: a, until: "fuzzy_allow")
        #expect(Self.features(through).first == "fuzzy_allow")
        #expect(through["action"] as? String == "inbox")
        // An image spam blocked on A by its picture (a PNG) is caught on B as a resized JPEG.
        let png = try ImageTests.fixture("base.png"), jpeg = try ImageTests.fixture("small.jpg")
        let image = await a.request("POST", "/admin/fuzzy?action=block&note=image-spam", body: ImageTests.imageMessage(png, type: "image/png", to: "alice"), token: Self.token)
        #expect(image.status == 200 && image.json["images"] as? Int == 1 && image.json["shared"] as? Bool == true)
        let pictured = try await Self.classify(ImageTests.imageMessage(jpeg, type: "image/jpeg", to: "bob"), on: b, until: "fuzzy_block")
        #expect(Self.features(pictured).first == "fuzzy_block")
        // The campaign counters are shared too: the phishing campaign's copies on both servers add up.
        var last: [String: Any] = [:]
        for n in 1...6 {
            let variant = phishing.replacingOccurrences(of: "<20051114031221.4411.qmail@mailer-secure-login.example>", with: "<v-\(n)@mailer-secure-login.example>")
            last = await (n % 2 == 0 ? a : b).request("POST", "/v1/classify", body: variant).json
        }
        #expect(Self.features(last).contains("campaign"))
    }

    /// Entries added through the service go to its file, and a server started on the file has them.
    @Test func theFileKeepsTheListAcrossRestarts() async throws {
        let file = (NSTemporaryDirectory() as NSString).appendingPathComponent("fuzzy-\(UUID().uuidString).jsonl")
        defer { try? FileManager.default.removeItem(atPath: file) }
        var c = ServerConfiguration()
        c.fuzzyFile = file
        let first = FuzzyListService(configuration: c, logger: Fixture.logger)
        let ham = try MessageAnalyzer().analyze(Array(try Self.example("ham.eml").utf8))
        let added = await first.add(.init(action: .block, fingerprint: CampaignFingerprint(ham), note: "restart", added: 5))
        #expect(added.refusal == nil && added.saved == true && added.shared == nil)
        #expect(await first.add(added.entry).refusal == .duplicate)
        let text = try String(contentsOfFile: file, encoding: .utf8)
        #expect(text.split(separator: "\n").count == 1 && !text.contains("alsa"))  // fingerprints and the note, no content
        let second = FuzzyListService(configuration: c, logger: Fixture.logger)
        #expect(second.count == 1)
        #expect(second.match(CampaignFingerprint(ham))?.entry.note == "restart")
        // Removed: the removal is appended, a server started on the file has no entry, and the entry can come back.
        #expect(await second.remove(id: added.entry.id)?.saved == true)
        #expect(await second.remove(id: added.entry.id) == nil)
        #expect(second.match(CampaignFingerprint(ham)) == nil)
        let third = FuzzyListService(configuration: c, logger: Fixture.logger)
        #expect(third.count == 0 && third.match(CampaignFingerprint(ham)) == nil)
        #expect(await third.add(added.entry).refusal == nil)
        #expect(FuzzyListService(configuration: c, logger: Fixture.logger).count == 1)
    }

    /// Through the HTTP API: users report a campaign with `POST /v1/report`; the third user's report of a variant adds it
    /// (one user reporting three times does not), later variants get `fuzzy_block`, and `DELETE /admin/fuzzy/ID`
    /// takes it out again. Without a token, neither endpoint answers.
    @Test func usersReportsAddACampaignAndTheOperatorRemovesIt() async throws {
        var c = ServerConfiguration()
        c.port = 0
        c.watchSeconds = 0
        c.latencyBudgetMilliseconds = 10_000
        c.adminToken = "admin-token-0123456789"
        c.feedbackToken = "feedback-token-0123456789"
        let server = Server(configuration: c, model: Fixture.model, logger: Fixture.logger)
        let phishing = try Self.example("phishing.eml")
        @Sendable func variant(_ n: Int) -> String { phishing.replacingOccurrences(of: "mailer-secure-login.example", with: "sender-\(n).example") }
        @Sendable func report(_ user: String, _ n: Int, token: String = "feedback-token-0123456789") -> (HTTPFields, ByteBuffer) {
            ([.authorization: "Bearer \(token)", .init("X-User")!: user], ByteBuffer(string: variant(n)))
        }
        try await server.application().test(.router) { client in
            for n in 1...3 {
                let (h, b) = report("same-user@example.org", n)
                try await client.execute(uri: "/v1/report?label=spam", method: .post, headers: h, body: b) { r in
                    #expect(r.status == .ok)
                    #expect(Fixture.json(r.body)["fuzzy_added"] == nil)
                }
            }
            var id = ""
            for (n, user) in ["bob@example.org", "carol@example.org"].enumerated() {
                let (h, b) = report(user, 10 + n)
                try await client.execute(uri: "/v1/report?label=spam", method: .post, headers: h, body: b) { r in
                    let json = Fixture.json(r.body)
                    #expect((json["fuzzy_added"] != nil) == (n == 1), "\(json)")
                    id = json["fuzzy_added"] as? String ?? id
                }
            }
            #expect(id.hasPrefix("block-"))
            try await client.execute(uri: "/v1/classify", method: .post, body: ByteBuffer(string: variant(99))) { r in
                #expect(Self.features(Fixture.json(r.body)).first == "fuzzy_block")
            }
            let (bad, body) = report("dave@example.org", 7, token: "wrong-token-0123456789")
            try await client.execute(uri: "/v1/report?label=spam", method: .post, headers: bad, body: body) { #expect($0.status == .unauthorized) }
            try await client.execute(uri: "/admin/fuzzy/\(id)", method: .delete) { #expect($0.status == .unauthorized) }
            let admin: HTTPFields = [.authorization: "Bearer admin-token-0123456789"]
            try await client.execute(uri: "/admin/fuzzy/\(id)", method: .delete, headers: admin) { r in
                #expect(r.status == .ok)
                #expect(Fixture.json(r.body)["entries"] as? Int == 0)
            }
            try await client.execute(uri: "/admin/fuzzy/\(id)", method: .delete, headers: admin) { #expect($0.status == .notFound) }
            try await client.execute(uri: "/v1/classify", method: .post, body: ByteBuffer(string: variant(100))) { r in
                #expect(!Self.features(Fixture.json(r.body)).contains("fuzzy_block"))
            }
        }
    }
}
