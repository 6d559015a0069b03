import Foundation
import Testing

/// A private `redis-server` on 127.0.0.1 for one test (Debian package `redis-server`, installed by
/// scripts/install-deps.sh): no persistence, a port picked at random; stopped by ``stop()`` or on deinit.
final class RedisServer: @unchecked Sendable {
    let port: Int
    private var process: Process?

    static var executable: String? {
        ["/usr/bin/redis-server", "/usr/local/bin/redis-server", "/usr/sbin/redis-server"].first { FileManager.default.isExecutableFile(atPath: $0) }
    }

    init(port: Int? = nil) throws {
        self.port = port ?? Int.random(in: 20_000...45_000)
        try start()
    }

    deinit { stop() }

    var url: String { "redis://127.0.0.1:\(port)" }

    func start() throws {
        let executable = try #require(Self.executable, "redis-server is not installed (scripts/install-deps.sh installs it)")
        let p = Process()
        p.executableURL = URL(fileURLWithPath: executable)
        p.arguments = ["--port", String(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no", "--daemonize", "no", "--protected-mode", "yes"]
        p.standardOutput = FileHandle.nullDevice
        p.standardError = FileHandle.nullDevice
        try p.run()
        process = p
        // Ready when it accepts a connection.
        for _ in 0..<200 {
            if Self.canConnect(port) { return }
            Thread.sleep(forTimeInterval: 0.025)
        }
        throw StartFailed(port: port)
    }

    /// Kills the server (SIGKILL: a child spawned from a Dispatch thread may inherit a mask that blocks
    /// SIGTERM) and waits for it to go.
    func stop() {
        guard let p = process else { return }
        process = nil
        kill(p.processIdentifier, SIGKILL)
        for _ in 0..<500 where p.isRunning { Thread.sleep(forTimeInterval: 0.01) }
    }

    struct StartFailed: Error { var port: Int }

    static func canConnect(_ port: Int) -> Bool {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        guard fd >= 0 else { return false }
        defer { close(fd) }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = in_port_t(UInt16(port).bigEndian)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        return withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) == 0 }
        }
    }
}
