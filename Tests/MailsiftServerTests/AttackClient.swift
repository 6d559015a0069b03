import Foundation
import MailsiftCore
import MailsiftTestKit

@testable import MailsiftServer

/// A blocking TCP client for the adversarial tests: it connects from a chosen loopback address (the whole of
/// 127.0.0.0/8 is this machine, so attackers and probes can be told apart by address), sends what it is told
/// and reads what comes back. Used on Dispatch threads, never on Swift concurrency's, which the server needs.
final class AttackClient: @unchecked Sendable {
    let fd: Int32

    /// Nil when the connection cannot be made.
    init?(port: Int, from source: String = "127.0.0.1") {
        guard let fd = LoopbackSocket.connect(port: port, from: source) else { return nil }
        self.fd = fd
        var one: Int32 = 1
        setsockopt(fd, Int32(IPPROTO_TCP), TCP_NODELAY, &one, socklen_t(MemoryLayout<Int32>.size))
    }

    deinit { close(fd) }

    /// False once the server has closed the connection (or reset it).
    @discardableResult
    func send(_ bytes: [UInt8]) -> Bool {
        var sent = 0
        while sent < bytes.count {
            let n = bytes.withUnsafeBytes { Foundation.send(fd, $0.baseAddress! + sent, $0.count - sent, Int32(MSG_NOSIGNAL)) }
            if n <= 0 { return false }
            sent += n
        }
        return true
    }

    @discardableResult
    func send(_ text: String) -> Bool { send(Array(text.utf8)) }

    /// Reads until the server closes the connection or `seconds` pass with nothing new: what came, and
    /// whether the server closed.
    func receive(seconds: Double) -> (bytes: [UInt8], closed: Bool) {
        var timeout = timeval(tv_sec: Int(seconds), tv_usec: Int((seconds - seconds.rounded(.down)) * 1e6))
        setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size))
        var out: [UInt8] = []
        var chunk = [UInt8](repeating: 0, count: 65_536)
        while true {
            let n = chunk.withUnsafeMutableBytes { recv(fd, $0.baseAddress, $0.count, 0) }
            if n == 0 { return (out, true) }
            if n < 0 { return (out, errno == ECONNRESET) }
            out += chunk[0..<n]
        }
    }

    /// Reads until `done` says the bytes so far are a whole reply, the server closes, or `seconds` pass.
    func receive(until done: ([UInt8]) -> Bool, seconds: Double) -> [UInt8] {
        let deadline = Date().addingTimeInterval(seconds)
        var timeout = timeval(tv_sec: 0, tv_usec: 100_000)
        setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size))
        var out: [UInt8] = []
        var chunk = [UInt8](repeating: 0, count: 65_536)
        while Date() < deadline, !done(out) {
            let n = chunk.withUnsafeMutableBytes { recv(fd, $0.baseAddress, $0.count, 0) }
            if n == 0 { break }
            if n > 0 { out += chunk[0..<n] }
        }
        return out
    }

    /// Runs `body` on a Dispatch thread and waits for it without holding a Swift concurrency thread.
    static func onThread<T: Sendable>(_ body: @escaping @Sendable () -> T) async -> T {
        await withCheckedContinuation { continuation in
            Thread.detachNewThread { continuation.resume(returning: body()) }
        }
    }
}

/// The three protocols' verdicts on one message, each over a new connection, as an MTA would ask.
enum Probe {
    /// `/v1/classify`: the action, or nil when no verdict came.
    static func http(port: Int, _ message: String) -> String? {
        guard let c = AttackClient(port: port) else { return nil }
        let body = Array(message.utf8)
        guard c.send("POST /v1/classify?reasons=0 HTTP/1.1\r\nHost: probe\r\nContent-Length: \(body.count)\r\nConnection: close\r\n\r\n"),
              c.send(body) else { return nil }
        let reply = c.receive(seconds: 5).bytes
        guard let split = reply.firstRange(of: Array("\r\n\r\n".utf8)) else { return nil }
        let json = (try? JSONSerialization.jsonObject(with: Data(reply[split.upperBound...]))) as? [String: Any]
        return json?["action"] as? String
    }

    /// spamd `CHECK`: "spam" or "ham", or nil.
    static func spamd(port: Int, _ message: String) -> String? {
        guard let c = AttackClient(port: port) else { return nil }
        let body = Array(message.utf8)
        guard c.send("CHECK SPAMC/1.5\r\nContent-length: \(body.count)\r\n\r\n"), c.send(body) else { return nil }
        let reply = String(decoding: c.receive(seconds: 5).bytes, as: UTF8.self)
        if reply.contains("Spam: True") { return "spam" }
        if reply.contains("Spam: False") { return "ham" }
        return nil
    }

    /// A milter conversation as Postfix holds it: `accept`, `quarantine`, `reject`, `tempfail`, or nil. With
    /// `authenticated`, the MAIL command's macros say the client logged in with SMTP AUTH as that user.
    static func milter(port: Int, _ message: String, authenticated: String? = nil) -> String? {
        guard let c = AttackClient(port: port) else { return nil }
        func packet(_ command: Character, _ data: [UInt8] = []) -> [UInt8] {
            MilterSession.be32(UInt32(data.count + 1)) + [UInt8(ascii: command.unicodeScalars.first!)] + data
        }
        func z(_ s: String) -> [UInt8] { Array(s.utf8) + [0] }
        var out = packet("O", MilterSession.be32(6) + MilterSession.be32(0x1FF) + MilterSession.be32(0))
        out += packet("C", z("client.example.org") + [UInt8(ascii: "4"), 0x1F, 0x90] + z("198.51.100.7"))
        if let authenticated { out += packet("D", [UInt8(ascii: "M")] + z("{auth_type}") + z("PLAIN") + z("{auth_authen}") + z(authenticated)) }
        out += packet("M", z("<sender@example.org>"))
        out += packet("R", z("<customer@example.org>"))
        let text = message.replacingOccurrences(of: "\r\n", with: "\n")
        let parts = text.components(separatedBy: "\n\n")
        var fields: [(String, String)] = []
        for line in parts[0].split(separator: "\n", omittingEmptySubsequences: false) {
            if line.first == " " || line.first == "\t", !fields.isEmpty {
                fields[fields.count - 1].1 += "\r\n" + line
            } else if let colon = line.firstIndex(of: ":") {
                fields.append((String(line[..<colon]), String(line[line.index(after: colon)...].drop { $0 == " " })))
            }
        }
        for (name, value) in fields { out += packet("L", z(name) + z(value)) }
        out += packet("N")
        out += packet("B", Array(parts.dropFirst().joined(separator: "\n\n").replacingOccurrences(of: "\n", with: "\r\n").utf8))
        out += packet("E")
        guard c.send(out) else { return nil }
        // Replies: negotiation, then one per command, then the decision at the end of the message.
        let reply = c.receive(until: { Self.milterDecision($0) != nil }, seconds: 5)
        return Self.milterDecision(reply)
    }

    static func milterDecision(_ bytes: [UInt8]) -> String? {
        var i = 0
        var quarantined = false
        while bytes.count - i >= 5 {
            let length = bytes[i..<(i + 4)].reduce(0) { $0 << 8 | Int($1) }
            guard bytes.count - i >= 4 + length else { return nil }
            let command = bytes[i + 4]
            let data = bytes[(i + 5)..<(i + 4 + length)]
            switch command {
            case UInt8(ascii: "q"): quarantined = true
            case UInt8(ascii: "a"): return quarantined ? "quarantine" : "accept"
            case UInt8(ascii: "y"): return data.starts(with: Array("550".utf8)) ? "reject" : "tempfail"
            default: break
            }
            i += 4 + length
        }
        return nil
    }
}
