import Foundation

/// Blocking TCP connections to servers on this machine, for the tests that start them (Redis, PostgreSQL,
/// `mailsift serve`'s listeners). Call from Dispatch threads, not from Swift concurrency's.
public enum LoopbackSocket {
    /// A socket connected to 127.0.0.1:`port` from `source` (any loopback address: the whole of 127.0.0.0/8
    /// is this machine, so tests can tell clients apart by address); nil when the connection cannot be made.
    public static func connect(port: Int, from source: String? = nil) -> Int32? {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        guard fd >= 0 else { return nil }
        var remote = sockaddr_in()
        remote.sin_family = sa_family_t(AF_INET)
        remote.sin_port = in_port_t(UInt16(port).bigEndian)
        remote.sin_addr.s_addr = inet_addr("127.0.0.1")
        var bound = true
        if let source {
            var local = sockaddr_in()
            local.sin_family = sa_family_t(AF_INET)
            local.sin_addr.s_addr = inet_addr(source)
            bound = withUnsafePointer(to: &local) {
                $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) } == 0
            }
        }
        let connected = bound && withUnsafePointer(to: &remote) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { Foundation.connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) } == 0
        }
        guard connected else {
            close(fd)
            return nil
        }
        return fd
    }

    /// Sends `bytes` to 127.0.0.1:`port`, then reads until the server closes; nil when it did not within
    /// `seconds`. Blocks a Dispatch thread, not a Swift concurrency one.
    public static func exchange(port: Int, _ bytes: [UInt8], seconds: Int) async -> [UInt8]? {
        await withCheckedContinuation { continuation in
            DispatchQueue.global().async { continuation.resume(returning: blockingExchange(port: port, bytes, seconds: seconds)) }
        }
    }

    private static func blockingExchange(port: Int, _ bytes: [UInt8], seconds: Int) -> [UInt8]? {
        guard let fd = connect(port: port) else { return nil }
        defer { close(fd) }
        var timeout = timeval(tv_sec: seconds, tv_usec: 0)
        setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size))
        _ = bytes.withUnsafeBytes { send(fd, $0.baseAddress, $0.count, 0) }
        var reply: [UInt8] = []
        var chunk = [UInt8](repeating: 0, count: 4096)
        while true {
            let n = chunk.withUnsafeMutableBytes { recv(fd, $0.baseAddress, $0.count, 0) }
            if n == 0 { return reply }  // closed by the server
            if n < 0 { return nil }  // timed out
            reply += chunk[0..<n]
        }
    }
}
