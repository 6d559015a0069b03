import Foundation
import MailsiftTestKit
import Testing

#if canImport(Glibc)
import Glibc
#endif

/// `mailsift serve` stopped with SIGTERM (systemd's stop, Kubernetes' termination) while a request is in flight: the
/// request is answered, and the process exits by itself well within the grace period (30 s in deploy/).
@Suite struct GracefulShutdownTests {
    @Test func sigtermCompletesTheRequestsInFlightAndExits() async throws {
        let binary = TestPaths.mailsiftBinary
        guard FileManager.default.isExecutableFile(atPath: binary) else { throw MailsiftProcess.NotBuilt() }
        let port = 20_000 + Int.random(in: 0..<20_000)
        let process = Process()
        process.executableURL = URL(fileURLWithPath: binary)
        process.arguments = ["serve", "--port", String(port)]
        process.standardOutput = FileHandle.nullDevice
        process.standardError = FileHandle.nullDevice
        try process.run()
        defer { if process.isRunning { process.terminate() } }
        var ready = false
        for _ in 0..<300 where !ready {
            let reply = await LoopbackSocket.exchange(port: port, Array("GET /readyz HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n".utf8), seconds: 5) ?? []
            ready = String(decoding: reply, as: UTF8.self).hasPrefix("HTTP/1.1 200")
            if !ready { try await Task.sleep(for: .milliseconds(100)) }
        }
        try #require(ready, "the server did not become ready")

        let body = Array("From: a@example.org\r\nTo: b@example.org\r\nSubject: minutes\r\n\r\nThe minutes of Tuesday's meeting are attached.\r\n".utf8)
        let head = Array("POST /v1/classify HTTP/1.1\r\nHost: x\r\nConnection: close\r\nContent-Length: \(body.count)\r\n\r\n".utf8)
        let fd = try #require(LoopbackSocket.connect(port: port))
        defer { close(fd) }
        var timeout = timeval(tv_sec: 20, tv_usec: 0)
        setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size))
        // Half the request, then SIGTERM, then the rest: the request is in flight when the signal comes.
        let half = head + body.prefix(body.count / 2)
        _ = half.withUnsafeBytes { send(fd, $0.baseAddress, $0.count, 0) }
        try await Task.sleep(for: .milliseconds(300))
        let clock = ContinuousClock()
        let signalled = clock.now
        process.terminate()  // SIGTERM
        try await Task.sleep(for: .milliseconds(300))
        let rest = Array(body.dropFirst(body.count / 2))
        _ = rest.withUnsafeBytes { send(fd, $0.baseAddress, $0.count, 0) }
        var reply: [UInt8] = []
        var chunk = [UInt8](repeating: 0, count: 4096)
        while true {
            let n = chunk.withUnsafeMutableBytes { recv(fd, $0.baseAddress, $0.count, 0) }
            if n <= 0 { break }
            reply += chunk[0..<n]
        }
        let text = String(decoding: reply, as: UTF8.self)
        #expect(text.hasPrefix("HTTP/1.1 200"), "\(text.prefix(200))")
        #expect(text.contains("\"action\""))
        // It exits by itself, cleanly, within the grace period.
        while process.isRunning && clock.now - signalled < .seconds(30) { try await Task.sleep(for: .milliseconds(50)) }
        #expect(!process.isRunning)
        #expect(clock.now - signalled < .seconds(15), "took \(clock.now - signalled)")
        #expect(process.terminationReason == .exit && process.terminationStatus == 0)
    }
}
