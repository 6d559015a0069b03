import Foundation

/// A private `unbound` (Debian package `unbound`, installed by scripts/install-deps.sh) on 127.0.0.1 serving
/// `localData` (unbound `local-data:` lines) in static local zones, with zones forwarded to other servers
/// (`forwardZones`: zone name to `address@port`), for one test; stopped by ``stop()`` or on deinit.
public final class UnboundServer: @unchecked Sendable {
    public let port: Int
    private var process: Process?
    private let directory: URL

    public static var executable: String? {
        ["/usr/sbin/unbound", "/usr/local/sbin/unbound"].first { FileManager.default.isExecutableFile(atPath: $0) }
    }

    public init(localZones: [String], localData: [String], forwardZones: [String: String] = [:]) throws {
        guard let executable = Self.executable else { throw Unavailable(description: "unbound is not installed (scripts/install-deps.sh installs it)") }
        port = Int.random(in: 20_000...45_000)
        directory = FileManager.default.temporaryDirectory.appendingPathComponent("mailsift-unbound-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        var conf = """
            server:
              interface: 127.0.0.1
              port: \(port)
              do-daemonize: no
              chroot: ""
              username: ""
              directory: "\(directory.path)"
              pidfile: ""
              use-syslog: no
              logfile: ""
              verbosity: 0
              do-ip6: no
              access-control: 127.0.0.0/8 allow
              do-not-query-localhost: no
              module-config: "iterator"
              qname-minimisation: no

            """
        for zone in localZones { conf += "  local-zone: \"\(zone)\" static\n" }
        // In single quotes, so a TXT record's double-quoted strings stay strings.
        for line in localData { conf += "  local-data: '\(line)'\n" }
        conf += "remote-control:\n  control-enable: no\n"
        for (zone, address) in forwardZones.sorted(by: { $0.key < $1.key }) {
            conf += "forward-zone:\n  name: \"\(zone)\"\n  forward-addr: \(address)\n"
        }
        let path = directory.appendingPathComponent("unbound.conf").path
        try conf.write(toFile: path, atomically: true, encoding: .utf8)
        let p = Process()
        p.executableURL = URL(fileURLWithPath: executable)
        p.arguments = ["-d", "-c", path]
        p.standardOutput = FileHandle.nullDevice
        p.standardError = FileHandle.nullDevice
        try p.run()
        process = p
        for _ in 0..<400 {
            if RedisServer.canConnect(port) { return }
            if !p.isRunning { break }
            Thread.sleep(forTimeInterval: 0.025)
        }
        stop()
        throw Unavailable(description: "unbound did not start on port \(port) (config \(path))")
    }

    deinit { stop() }

    /// `127.0.0.1@port`, as a resolver address.
    public var address: String { "127.0.0.1@\(port)" }

    public func stop() {
        guard let p = process else { return }
        process = nil
        kill(p.processIdentifier, SIGKILL)
        for _ in 0..<500 where p.isRunning { Thread.sleep(forTimeInterval: 0.01) }
        try? FileManager.default.removeItem(at: directory)
    }
}

/// A UDP socket on 127.0.0.1 that reads nothing and answers nothing: a dead DNS server.
public final class SilentUDPServer: @unchecked Sendable {
    public let port: Int
    private let fd: Int32

    public init() throws {
        let fd = socket(AF_INET, Int32(SOCK_DGRAM.rawValue), 0)
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        address.sin_port = 0
        let bound = withUnsafePointer(to: &address) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) } }
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        let named = withUnsafeMutablePointer(to: &address) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(fd, $0, &length) } }
        guard bound == 0, named == 0 else { close(fd); throw Unavailable(description: "cannot bind a UDP socket") }
        port = Int(UInt16(bigEndian: address.sin_port))
        self.fd = fd
    }

    deinit { close(fd) }

    public var address: String { "127.0.0.1@\(port)" }
}
