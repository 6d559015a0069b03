import Foundation

/// A private `redis-server` on 127.0.0.1 for one test (Debian package `redis-server`, installed by
/// scripts/install-deps.sh): no persistence, a port picked at random; stopped by ``stop()`` or on deinit.
public final class RedisServer: @unchecked Sendable {
    public let port: Int
    private var process: Process?

    public static var executable: String? {
        ["/usr/bin/redis-server", "/usr/local/bin/redis-server", "/usr/sbin/redis-server"].first { FileManager.default.isExecutableFile(atPath: $0) }
    }

    public init(port: Int? = nil) throws {
        self.port = port ?? Int.random(in: 20_000...45_000)
        try start()
    }

    deinit { stop() }

    public var url: String { "redis://127.0.0.1:\(port)" }

    public func start() throws {
        guard let executable = Self.executable else { throw Unavailable(description: "redis-server is not installed (scripts/install-deps.sh installs it)") }
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
    public func stop() {
        guard let p = process else { return }
        process = nil
        kill(p.processIdentifier, SIGKILL)
        for _ in 0..<500 where p.isRunning { Thread.sleep(forTimeInterval: 0.01) }
    }

    public struct StartFailed: Error { public var port: Int }

    public static func canConnect(_ port: Int) -> Bool {
        guard let fd = LoopbackSocket.connect(port: port) else { return false }
        close(fd)
        return true
    }
}
