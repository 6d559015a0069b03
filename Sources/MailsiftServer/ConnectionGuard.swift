import NIOCore
import Synchronization

/// The first handler of every connection (HTTP, spamd, milter), on raw bytes, before any protocol decoding:
/// it holds each client address to ``ConnectionGuard/Limits/maxPerClient`` connections, and each request to a
/// deadline and a minimum transfer rate, so that clients who send slowly (slowloris, slow bodies) lose their
/// connection instead of holding it. A request starts with its first byte and ends when the protocol layer
/// says it is in (a ``RequestReceived`` outbound user event): from then on the server is working, not
/// waiting. The wait between requests on a kept-alive connection is the listener's idle timeout.
final class ConnectionGuard: ChannelDuplexHandler, RemovableChannelHandler {
    typealias InboundIn = ByteBuffer
    typealias InboundOut = ByteBuffer
    typealias OutboundIn = Any
    typealias OutboundOut = Any

    struct Limits: Sendable {
        /// Longest time from a request's first byte to its last.
        var requestTimeout: TimeAmount
        /// Bytes per second a request must average once ``grace`` has passed.
        var minBytesPerSecond: Int
        var grace: TimeAmount = .seconds(5)
        /// How often a request in progress is checked against the two.
        var checkEvery: TimeAmount = .seconds(1)
        /// Connections one client address may hold at once.
        var maxPerClient: Int
    }

    /// Why a connection was cut.
    enum Cut: String, Sendable, CaseIterable {
        case tooSlow = "too_slow", timedOut = "timed_out", tooManyConnections = "too_many_connections"
        /// An HTTP body in too many small pieces (``HTTPRequestGuard``).
        case tooManyPieces = "too_many_pieces"
    }

    private let limits: Limits
    private let clients: ClientConnections
    private let onCut: @Sendable (Cut) -> Void
    private var client: String?
    private var requestStart: NIODeadline?
    private var requestBytes = 0
    private var check: Scheduled<Void>?

    init(limits: Limits, clients: ClientConnections, onCut: @escaping @Sendable (Cut) -> Void) {
        self.limits = limits
        self.clients = clients
        self.onCut = onCut
    }

    func handlerAdded(context: ChannelHandlerContext) {
        if context.channel.isActive { _ = admit(context: context) }
    }

    func channelActive(context: ChannelHandlerContext) {
        if client == nil, admit(context: context) { context.fireChannelActive() }
    }

    /// Counts the connection against its client's limit; closes it when the client is over.
    private func admit(context: ChannelHandlerContext) -> Bool {
        guard client == nil else { return true }
        let address = context.channel.remoteAddress?.ipAddress ?? "unknown"
        guard clients.open(address, limit: limits.maxPerClient) else {
            onCut(.tooManyConnections)
            context.close(promise: nil)
            return false
        }
        client = address
        return true
    }

    func channelInactive(context: ChannelHandlerContext) {
        if let client { clients.close(client) }
        client = nil
        check?.cancel()
        check = nil
        context.fireChannelInactive()
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        let bytes = unwrapInboundIn(data).readableBytes
        if requestStart == nil {
            requestStart = .now()
            requestBytes = 0
            // One check a second at most per connection: a check still pending from the last request serves
            // (kept-alive connections do not schedule and cancel a timer for every request).
            if check == nil { scheduleCheck(context: context) }
        }
        requestBytes += bytes
        context.fireChannelRead(data)
    }

    func triggerUserOutboundEvent(context: ChannelHandlerContext, event: Any, promise: EventLoopPromise<Void>?) {
        guard event is RequestReceived else {
            context.triggerUserOutboundEvent(event, promise: promise)
            return
        }
        requestStart = nil
        promise?.succeed()
    }

    private func scheduleCheck(context: ChannelHandlerContext) {
        let loopBound = NIOLoopBound((self, context), eventLoop: context.eventLoop)
        check = context.eventLoop.scheduleTask(in: limits.checkEvery) {
            let (handler, context) = loopBound.value
            handler.checkRequest(context: context)
        }
    }

    private func checkRequest(context: ChannelHandlerContext) {
        guard let start = requestStart else {
            check = nil
            return
        }
        let elapsed = NIODeadline.now() - start
        var cut: Cut?
        if elapsed >= limits.requestTimeout {
            cut = .timedOut
        } else if elapsed >= limits.grace, Int64(requestBytes) * 1_000_000_000 < Int64(limits.minBytesPerSecond) * elapsed.nanoseconds {
            cut = .tooSlow
        }
        if let cut {
            onCut(cut)
            requestStart = nil
            context.close(promise: nil)
        } else {
            scheduleCheck(context: context)
        }
    }
}

/// Told to the ``ConnectionGuard`` of a channel (`channel.triggerUserOutboundEvent`) when the request being
/// read is complete.
struct RequestReceived: Sendable {}

/// How many connections each client address holds, across all listeners.
final class ClientConnections: Sendable {
    private let counts = Mutex<[String: Int]>([:])

    /// Counts one more connection from `client`; false (nothing counted) when it already holds `limit`.
    func open(_ client: String, limit: Int) -> Bool {
        counts.withLock { counts in
            let n = counts[client, default: 0]
            guard n < limit else { return false }
            counts[client] = n + 1
            return true
        }
    }

    func close(_ client: String) {
        counts.withLock { counts in
            let n = (counts[client] ?? 1) - 1
            counts[client] = n > 0 ? n : nil
        }
    }

    func count(_ client: String) -> Int { counts.withLock { $0[client] ?? 0 } }
}

extension ServerConfiguration {
    /// What each listener's ``ConnectionGuard`` enforces.
    var connectionLimits: ConnectionGuard.Limits {
        ConnectionGuard.Limits(
            requestTimeout: .seconds(Int64(requestTimeoutSeconds)), minBytesPerSecond: minRequestBytesPerSecond, maxPerClient: maxConnectionsPerClient)
    }
}
