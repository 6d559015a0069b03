import NIOCore
import NIOPosix
import Synchronization

/// A Redis client for one server: one pipelined connection, opened on first use and again after a failure,
/// with a command timeout. After a failed connection attempt it answers ``RedisError/unavailable`` at once
/// for ``retryAfter``, so a dead server costs callers nothing while they fall back.
public final class RedisClient: Sendable {
    public let host: String
    public let port: Int
    public let timeout: TimeAmount
    public let retryAfter: Duration
    private let group: any EventLoopGroup
    private let state = Mutex<State>(State())
    /// Lua scripts' SHAs, by script text.
    private let scripts = Mutex<[String: String]>([:])

    private struct State {
        var channel: (any Channel)?
        var connecting: EventLoopFuture<any Channel>?
        var failedAt: ContinuousClock.Instant?
    }

    public init(host: String, port: Int, timeout: TimeAmount = .milliseconds(250), retryAfter: Duration = .seconds(1),
                group: any EventLoopGroup = MultiThreadedEventLoopGroup.singleton) {
        self.host = host
        self.port = port
        self.timeout = timeout
        self.retryAfter = retryAfter
        self.group = group
    }

    /// `redis://host:port` (the default port is 6379).
    public convenience init(url: String, timeout: TimeAmount = .milliseconds(250)) throws(RedisError) {
        var rest = Substring(url)
        if rest.hasPrefix("redis://") { rest = rest.dropFirst(8) }
        if let slash = rest.firstIndex(of: "/") { rest = rest[..<slash] }
        let parts = rest.split(separator: ":", maxSplits: 1)
        guard let host = parts.first, !host.isEmpty else { throw .unavailable("no host in \(url)") }
        guard let port = parts.count == 2 ? Int(parts[1]) : 6379, (1...65_535).contains(port) else { throw .unavailable("bad port in \(url)") }
        self.init(host: String(host), port: port, timeout: timeout)
    }

    /// Sends one command and waits for its reply; a server error reply is thrown as ``RedisError/server(_:)``.
    /// `timeout` replaces the client's for this command (a blocking read waits longer than its block time).
    @discardableResult
    public func send(_ arguments: [String], timeout: TimeAmount? = nil) async throws(RedisError) -> RESPValue {
        try await send(capacity: 64 + arguments.reduce(0) { $0 + $1.utf8.count + 16 }, timeout: timeout) {
            RESPValue.encodeCommand(arguments.map(\.utf8), into: &$0)
        }
    }

    /// Sends one command whose arguments are bytes (a raw message need not be UTF-8).
    @discardableResult
    public func send(bytes arguments: [[UInt8]], timeout: TimeAmount? = nil) async throws(RedisError) -> RESPValue {
        try await send(capacity: 64 + arguments.reduce(0) { $0 + $1.count + 16 }, timeout: timeout) {
            RESPValue.encodeCommand(arguments, into: &$0)
        }
    }

    private func send(capacity: Int, timeout: TimeAmount?, encode: (inout ByteBuffer) -> Void) async throws(RedisError) -> RESPValue {
        let channel = try await connection()
        let reply = channel.eventLoop.makePromise(of: RESPValue.self)
        var bytes = channel.allocator.buffer(capacity: capacity)
        encode(&bytes)
        let deadline = channel.eventLoop.scheduleTask(in: timeout ?? self.timeout) { reply.fail(RedisError.timeout) }
        channel.writeAndFlush((bytes, reply), promise: nil)
        do {
            let value = try await reply.futureResult.get()
            deadline.cancel()
            if case .error(let message) = value { throw RedisError.server(message) }
            return value
        } catch let error as RedisError {
            if error.meansConnectionLost { drop(channel) }
            throw error
        } catch {
            drop(channel)
            throw .unavailable("\(error)")
        }
    }

    /// Runs a Lua script by its SHA (loading it first, and again after a server restart forgot it).
    @discardableResult
    public func evaluate(_ script: String, keys: [String], arguments: [String]) async throws(RedisError) -> RESPValue {
        for attempt in 0..<2 {
            let sha: String
            if let known = scripts.withLock({ $0[script] }) {
                sha = known
            } else {
                guard let loaded = try await send(["SCRIPT", "LOAD", script]).string else {
                    throw .protocolError("SCRIPT LOAD gave no SHA")
                }
                scripts.withLock { $0[script] = loaded }
                sha = loaded
            }
            do {
                return try await send(["EVALSHA", sha, String(keys.count)] + keys + arguments)
            } catch .server(let message) where message.hasPrefix("NOSCRIPT") && attempt == 0 {
                scripts.withLock { $0[script] = nil }
            }
        }
        throw .server("NOSCRIPT")
    }

    /// Closes the connection (a later command opens a new one).
    public func close() {
        let channel = state.withLock { s -> (any Channel)? in
            defer { s.channel = nil }
            return s.channel
        }
        channel?.close(promise: nil)
    }

    private func drop(_ channel: any Channel) {
        state.withLock { s in if s.channel === channel { s.channel = nil } }
        channel.close(promise: nil)
    }

    private func connection() async throws(RedisError) -> any Channel {
        let future: EventLoopFuture<any Channel> = try state.withLock { s throws(RedisError) in
            if let c = s.channel, c.isActive { return group.next().makeSucceededFuture(c) }
            if let f = s.connecting { return f }
            if let failed = s.failedAt, ContinuousClock.now - failed < retryAfter {
                throw .unavailable("reconnecting to \(host):\(port) after a failure")
            }
            let f = ClientBootstrap(group: group)
                .connectTimeout(timeout)
                .channelOption(.socketOption(.tcp_nodelay), value: 1)
                .channelInitializer { channel in
                    channel.eventLoop.makeCompletedFuture { try channel.pipeline.syncOperations.addHandler(RESPHandler()) }
                }
                .connect(host: host, port: port)
            s.connecting = f
            return f
        }
        do {
            let channel = try await future.get()
            state.withLock { s in
                s.connecting = nil
                s.channel = channel
                s.failedAt = nil
            }
            return channel
        } catch {
            state.withLock { s in
                s.connecting = nil
                s.failedAt = .now
            }
            throw .unavailable("cannot connect to \(host):\(port): \(error)")
        }
    }
}
