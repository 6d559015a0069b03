import Foundation

/// A private PostgreSQL server on 127.0.0.1 for one test (Debian package `postgresql`, installed by
/// scripts/install-deps.sh; its cluster is not used): `initdb` into a temporary directory, trust
/// authentication for the user `mailsift`, a port picked at random. Run as the `postgres` user when the
/// tests run as root (PostgreSQL refuses root). ``crash()`` stops it as a crash would (immediate shutdown:
/// no checkpoint, recovery from the WAL at the next start); ``start()`` starts it again on the same files.
public final class PostgresServer: @unchecked Sendable {
    public let port: Int
    public let directory: String
    private var process: Process?

    public static var binDirectory: String? {
        let root = "/usr/lib/postgresql"
        let versions = (try? FileManager.default.contentsOfDirectory(atPath: root)) ?? []
        return versions.sorted { (Int($0) ?? 0) > (Int($1) ?? 0) }.map { "\(root)/\($0)/bin" }
            .first { FileManager.default.isExecutableFile(atPath: "\($0)/postgres") }
    }

    public init() throws {
        port = Int.random(in: 20_000...45_000)
        directory = (NSTemporaryDirectory() as NSString).appendingPathComponent("mailsift-pg-\(UUID().uuidString)")
        guard let bin = Self.binDirectory else { throw Unavailable(description: "PostgreSQL is not installed (scripts/install-deps.sh installs it)") }
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        if getuid() == 0 { try FileManager.default.setAttributes([.ownerAccountName: "postgres", .groupOwnerAccountName: "postgres"], ofItemAtPath: directory) }
        let initdb = try Self.run("\(bin)/initdb", ["-D", "\(directory)/data", "-U", "mailsift", "-A", "trust", "-E", "UTF8", "--no-sync"])
        initdb.waitUntilExit()
        guard initdb.terminationStatus == 0 else { throw Unavailable(description: "initdb failed") }
        try start()
    }

    deinit {
        stop()
        try? FileManager.default.removeItem(atPath: directory)
    }

    public var url: String { "postgres://mailsift@127.0.0.1:\(port)/postgres" }

    /// Starts the program as the `postgres` user when running as root (setpriv execs it: the process is the
    /// program itself, so signals reach it).
    private static func run(_ program: String, _ arguments: [String]) throws -> Process {
        let p = Process()
        if getuid() == 0 {
            p.executableURL = URL(fileURLWithPath: "/usr/bin/setpriv")
            p.arguments = ["--reuid=postgres", "--regid=postgres", "--init-groups", program] + arguments
        } else {
            p.executableURL = URL(fileURLWithPath: program)
            p.arguments = arguments
        }
        p.standardOutput = FileHandle.nullDevice
        p.standardError = FileHandle.nullDevice
        try p.run()
        return p
    }

    public func start() throws {
        guard let bin = Self.binDirectory else { throw Unavailable(description: "PostgreSQL is not installed") }
        process = try Self.run("\(bin)/postgres", [
            "-D", "\(directory)/data", "-p", String(port), "-c", "listen_addresses=127.0.0.1", "-c", "unix_socket_directories=\(directory)",
        ])
        // Ready when pg_isready says it accepts connections (it answers while still starting up, too).
        for _ in 0..<400 {
            let check = try Self.run("\(bin)/pg_isready", ["-h", "127.0.0.1", "-p", String(port), "-q"])
            check.waitUntilExit()
            if check.terminationStatus == 0 { return }
            Thread.sleep(forTimeInterval: 0.05)
        }
        throw StartFailed(port: port)
    }

    /// Immediate shutdown (SIGQUIT): what a crash leaves, short of losing the machine.
    public func crash() { stop(signal: SIGQUIT) }

    public func stop(signal: Int32 = SIGINT) {
        guard let p = process else { return }
        process = nil
        kill(p.processIdentifier, signal)
        for _ in 0..<1_000 where p.isRunning { Thread.sleep(forTimeInterval: 0.01) }
        if p.isRunning { kill(p.processIdentifier, SIGKILL) }
    }

    public struct StartFailed: Error { public var port: Int }
}
