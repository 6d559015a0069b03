import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import MailsiftCore
import MailsiftFiles
import MailsiftTestKit
import NIOCore
import Synchronization
import Testing

@testable import MailsiftServer

/// The real clients against live listeners on 127.0.0.1: SpamAssassin's `spamc` and Rspamd's `rspamc`
/// (Debian packages `spamc` and `rspamd`, installed by scripts/install-deps.sh), and HTTP under load
/// while the model is reloaded.
@Suite(.serialized) struct LiveProtocolTests {
    /// Runs a tool with `input` on standard input; its exit status and standard output. It waits on a
    /// Dispatch thread, not a Swift concurrency one: the server it talks to needs those.
    static func run(_ tool: String, _ arguments: [String], input: String) async throws -> (status: Int32, output: String) {
        let path = ["/usr/bin/", "/usr/local/bin/", "/usr/sbin/"].map { $0 + tool }.first { FileManager.default.isExecutableFile(atPath: $0) }
        let executable = try #require(path, "\(tool) is not installed (scripts/install-deps.sh installs it)")
        let process = Process()
        process.executableURL = URL(fileURLWithPath: executable)
        process.arguments = arguments
        let stdin = Pipe(), stdout = Pipe()
        process.standardInput = stdin
        process.standardOutput = stdout
        process.standardError = FileHandle.nullDevice
        try process.run()
        let reader = stdout.fileHandleForReading
        return await withCheckedContinuation { continuation in
            DispatchQueue.global().async {
                stdin.fileHandleForWriting.write(Data(input.utf8))
                try? stdin.fileHandleForWriting.close()
                let output = reader.readDataToEndOfFile()
                process.waitUntilExit()
                continuation.resume(returning: (process.terminationStatus, String(decoding: output, as: UTF8.self)))
            }
        }
    }

    /// Runs `body` with a spamd listener of `server` on a free loopback port; stops it after.
    static func withSpamd(_ server: Server, _ body: @Sendable (Int) async throws -> Void) async throws {
        let (ports, continuation) = AsyncStream.makeStream(of: Int.self)
        let listener = Task {
            try await SpamdServer(service: server.service, host: "127.0.0.1", port: 0) { continuation.yield($0) }.run()
        }
        var iterator = ports.makeAsyncIterator()
        let port = try #require(await iterator.next())
        do {
            try await body(port)
        } catch {
            listener.cancel()
            throw error
        }
        listener.cancel()
        _ = await listener.result
    }

    @Test func spamcSpeaksToTheSpamdListener() async throws {
        try await Self.withSpamd(Fixture.server()) { port in
            let args = ["-d", "127.0.0.1", "-p", "\(port)", "-x"]
            let check = try await Self.run("spamc", args + ["-c"], input: Fixture.gtube)
            #expect(check.status == 1)  // spamc -c: 1 means spam
            #expect(check.output.trimmingCharacters(in: .whitespacesAndNewlines) == "15.0/8.0")
            let ham = try await Self.run("spamc", args + ["-c"], input: Fixture.ham)
            #expect(ham.status == 0)
            let score = Double(ham.output.split(separator: "/").first ?? "") ?? 99
            #expect(score < ScoreScale.spamScore)
            let symbols = try await Self.run("spamc", args + ["-y"], input: Fixture.gtube)
            #expect(symbols.output.split(separator: ",").contains("GTUBE"))
            let report = try await Self.run("spamc", args + ["-R"], input: Fixture.gtube)
            #expect(report.output.contains("Content analysis details:   (15.0 points, 8.0 required)"))
            #expect(report.output.contains("GTUBE"))
            let processed = try await Self.run("spamc", args, input: "X-Spam-Flag: NO\r\n" + Fixture.gtube)
            #expect(processed.status == 0)
            #expect(processed.output.hasPrefix("X-Spam-Flag: YES\r\nX-Spam-Status: Yes, score=15.0 required=8.0"))
            #expect(!processed.output.contains("X-Spam-Flag: NO"))
            #expect(processed.output.contains(RuleSet.gtube))
            let ping = try await Self.run("spamc", ["-d", "127.0.0.1", "-p", "\(port)", "-K"], input: "")
            #expect(ping.status == 0)
        }
    }

    @Test func aStalledSpamdClientIsCutOff() async throws {
        try await Self.withSpamd(Fixture.server { $0.requestTimeoutSeconds = 1 }) { port in
            let start = ContinuousClock.now
            let reply = try #require(await LoopbackSocket.exchange(port: port, Array("CHECK SPAMC/1.5\r\nContent-length: 100\r\n\r\nonly part".utf8), seconds: 10))
            #expect(String(decoding: reply, as: UTF8.self).hasPrefix("SPAMD/1.5 74 EX_IOERR"))
            #expect(ContinuousClock.now - start < .seconds(5))
        }
    }

    @Test func anIdleConnectionIsClosed() async throws {
        let (ports, continuation) = AsyncStream.makeStream(of: Int.self)
        let listener = Task {
            let limits = ConnectionGuard.Limits(requestTimeout: .seconds(30), minBytesPerSecond: 0, maxPerClient: 8)
            try await TCPListener(host: "127.0.0.1", port: 0, name: "test", idleTimeout: .milliseconds(300), limits: limits, metrics: ServerMetrics(), logger: Fixture.logger)
                .run(onBound: { continuation.yield($0) }) { connection in for try await _ in connection.inbound {} }
        }
        defer { listener.cancel() }
        var iterator = ports.makeAsyncIterator()
        let port = try #require(await iterator.next())
        let start = ContinuousClock.now
        #expect(await LoopbackSocket.exchange(port: port, Array("hello".utf8), seconds: 5) == [])  // closed by the server, not timed out here
        #expect(ContinuousClock.now - start < .seconds(3))
    }

    @Test func rspamcSpeaksToCheckv2() async throws {
        try await Fixture.server().application().test(.live) { client in
            let port = try #require(client.port)
            let spam = try await Self.run("rspamc", ["-t", "120", "-h", "127.0.0.1:\(port)", "symbols"], input: Fixture.gtube)
            #expect(spam.status == 0)
            #expect(spam.output.contains("Action: reject"))
            #expect(spam.output.contains("Spam: true"))
            #expect(spam.output.contains("Symbol: GTUBE"))
            let ham = try await Self.run("rspamc", ["-t", "120", "-h", "127.0.0.1:\(port)", "-i", "198.51.100.7", "--helo", "mail.example.org", "symbols"], input: Fixture.ham)
            #expect(ham.output.contains("Action: no action"))
            #expect(ham.output.contains("Spam: false"))
        }
    }

    @Test func reloadsUnderLoadFailNoRequestAndACorruptBundleIsRefused() async throws {
        let (directory, path, good) = try Self.copyOfTheDefaultModel()
        defer { try? FileManager.default.removeItem(at: directory) }
        let token = "reload-test-token-0123456789"
        let server = Fixture.server({ $0.model = path; $0.adminToken = token; $0.maxConcurrentRequests = 64 }, model: Fixture.model)
        try await server.application().test(.live) { client in
            let tally = Tally()
            try await withThrowingTaskGroup(of: Void.self) { group in
                for _ in 0..<4 {
                    group.addTask {
                        for _ in 0..<60 {
                            try await client.execute(uri: "/v1/classify?reasons=0", method: .post, body: ByteBuffer(string: Fixture.ham)) { r in
                                if r.status == .ok { tally.served.add(1, ordering: .relaxed) } else { tally.failed.add(1, ordering: .relaxed) }
                            }
                        }
                    }
                }
                group.addTask {
                    for i in 0..<6 {
                        if i == 3 {
                            // A damaged bundle: refused, and the model in service goes on serving.
                            try Data(good.prefix(good.count / 2)).write(to: URL(fileURLWithPath: path))
                        }
                        try await client.execute(uri: "/admin/reload", method: .post, headers: [.authorization: "Bearer \(token)"]) { r in
                            #expect(r.status == (i == 3 ? .unprocessableContent : .ok))
                            if i == 3 { #expect((Fixture.json(r.body)["error"] as? String)?.isEmpty == false) }
                        }
                        if i == 3 { try good.write(to: URL(fileURLWithPath: path)) }
                    }
                }
                try await group.waitForAll()
            }
            #expect(tally.failed.load(ordering: .relaxed) == 0)
            #expect(tally.served.load(ordering: .relaxed) == 240)
            try await client.execute(uri: "/metrics", method: .get) { r in
                let text = String(buffer: r.body)
                #expect(text.contains("mailsift_model_reloads_total{result=\"loaded\"} 5"))
                #expect(text.contains("mailsift_model_reloads_total{result=\"refused\"} 1"))
            }
        }
        #expect(server.service.models.model?.path == path)
    }

    @Test func sighupAndFileChangesReload() async throws {
        let (directory, path, good) = try Self.copyOfTheDefaultModel()
        defer { try? FileManager.default.removeItem(at: directory) }
        let server = Fixture.server({ $0.model = path; $0.watchSeconds = 0.1 }, model: Fixture.model)
        let triggers = Task { try await ReloadTriggers(reloader: server.reloader, configuration: server.configuration).run() }
        func count(_ result: String) -> Int {
            let text = String(decoding: server.metrics.render(), as: UTF8.self)
            let line = text.split(separator: "\n").first { $0.hasPrefix("mailsift_model_reloads_total{result=\"\(result)\"}") }
            return line.flatMap { Int($0.split(separator: " ").last ?? "") } ?? -1
        }
        func waitFor(_ result: String, _ n: Int) async -> Bool {
            for _ in 0..<600 {  // up to 30 s: a loaded test run can hold the executor that long
                if count(result) >= n { return true }
                try? await Task.sleep(for: .milliseconds(50))
            }
            return false
        }
        try await Task.sleep(for: .milliseconds(300))
        kill(getpid(), SIGHUP)
        #expect(await waitFor("loaded", 1))
        try Data("not a model".utf8).write(to: URL(fileURLWithPath: path))
        #expect(await waitFor("refused", 1))
        #expect(server.service.models.model != nil)
        try good.write(to: URL(fileURLWithPath: path))
        #expect(await waitFor("loaded", 2))
        triggers.cancel()
        _ = await triggers.result
    }
}

final class Tally: Sendable {
    let served = Atomic<Int>(0)
    let failed = Atomic<Int>(0)
}

extension LiveProtocolTests {
    /// A temporary folder holding a copy of the shipped model: the folder, the copy's path, the model's bytes.
    static func copyOfTheDefaultModel() throws -> (directory: URL, path: String, bytes: Data) {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("mailsift-model-\(UUID())")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        let path = directory.appendingPathComponent("model.msmodel").path
        let source = try #require(ModelFile.defaultModelPath, "no shipped model")
        let bytes = try #require(FileManager.default.contents(atPath: source))
        try bytes.write(to: URL(fileURLWithPath: path))
        return (directory, path, bytes)
    }
}
