import Logging
import MailsiftCore
import NIOCore
import NIOPosix
import ServiceLifecycle

/// A TCP listener for the spamd and milter protocols: binds, reports the port, and runs `handle` for each
/// connection in its own task until graceful shutdown or cancellation. A connection that sends nothing for
/// `idleTimeout` is closed, so idle or stalled clients cannot hold connections open for ever; a
/// ``ConnectionGuard`` holds each client to `limits` (connections per address, a deadline and a minimum
/// rate for each request, which `handle` ends with ``Connection/received()``).
struct TCPListener {
    /// Where a protocol server listens, and whom it tells the bound port (port 0 binds any free port).
    struct Binding: Sendable {
        let host: String
        let port: Int
        let onBound: @Sendable (Int) -> Void
    }

    let host: String
    let port: Int
    let name: String
    let idleTimeout: Duration
    let limits: ConnectionGuard.Limits
    let metrics: ServerMetrics
    let logger: Logger

    /// What `handle` gets for one connection.
    struct Connection: Sendable {
        let inbound: NIOAsyncChannelInboundStream<ByteBuffer>
        let outbound: NIOAsyncChannelOutboundWriter<ByteBuffer>
        let channel: any Channel

        /// Tells the guard that the request being read is complete (its deadline and rate stop counting).
        func received() { channel.triggerUserOutboundEvent(RequestReceived(), promise: nil) }
    }

    func run(onBound: @Sendable (Int) -> Void, handle: @escaping @Sendable (Connection) async throws -> Void) async throws {
        let clients = ClientConnections()
        let (limits, metrics) = (limits, metrics)
        let server = try await ServerBootstrap(group: MultiThreadedEventLoopGroup.singleton)
            .serverChannelOption(.backlog, value: 256)
            .serverChannelOption(.socketOption(.so_reuseaddr), value: 1)
            .childChannelOption(.allowRemoteHalfClosure, value: true)
            .bind(host: host, port: port) { [idleTimeout] channel in
                channel.eventLoop.makeCompletedFuture {
                    try channel.pipeline.syncOperations.addHandler(ConnectionGuard(limits: limits, clients: clients) { metrics.connectionCut($0) })
                    try channel.pipeline.syncOperations.addHandler(IdleStateHandler(readTimeout: .microseconds(idleTimeout.microseconds)))
                    try channel.pipeline.syncOperations.addHandler(CloseWhenIdle())
                    return try NIOAsyncChannel<ByteBuffer, ByteBuffer>(wrappingChannelSynchronously: channel)
                }
            }
        let bound = server.channel.localAddress?.port ?? port
        onBound(bound)
        logger.notice("\(name) listener started", metadata: ["host": "\(host)", "port": "\(bound)"])
        // On shutdown or cancellation the listening socket is closed and the loop runs out; every connection
        // already accepted is still handed to `handle` (NIO requires each to be closed by its owner).
        try await withThrowingDiscardingTaskGroup { group in
            try await server.executeThenClose { connections in
                try await withTaskCancellationOrGracefulShutdownHandler {
                    for try await connection in connections {
                        group.addTask {
                            do {
                                let channel = connection.channel
                                try await connection.executeThenClose { inbound, outbound in
                                    try await handle(Connection(inbound: inbound, outbound: outbound, channel: channel))
                                }
                            } catch {
                                logger.debug("\(name) connection ended", metadata: ["error": "\(error)"])
                            }
                        }
                    }
                } onCancelOrGracefulShutdown: {
                    server.channel.close(promise: nil)
                }
            }
        }
    }
}

/// Closes the connection when ``IdleStateHandler`` reports that nothing was read for its timeout.
private final class CloseWhenIdle: ChannelInboundHandler, Sendable {
    typealias InboundIn = ByteBuffer
    typealias InboundOut = ByteBuffer

    func userInboundEventTriggered(context: ChannelHandlerContext, event: Any) {
        if event is IdleStateHandler.IdleStateEvent {
            context.close(promise: nil)
        } else {
            context.fireUserInboundEventTriggered(event)
        }
    }
}

extension TCPListener {
    /// A listener for `service`'s protocol server named `name` at `binding`, with the service's metrics and logger.
    init(_ name: String, at binding: Binding, for service: ClassificationService, idleTimeout: Duration, limits: ConnectionGuard.Limits) {
        self.init(
            host: binding.host, port: binding.port, name: name, idleTimeout: idleTimeout, limits: limits, metrics: service.metrics, logger: service.logger)
    }
}

/// A protocol server on a ``TCPListener`` (spamd, milter): it serves `service` at `binding`.
protocol TCPProtocolServer: Service {
    init(service: ClassificationService, binding: TCPListener.Binding)
}

extension TCPProtocolServer {
    /// Listens on `host`:`port` (port 0 binds any free port, which `onBound` is told).
    init(service: ClassificationService, host: String, port: Int, onBound: @escaping @Sendable (Int) -> Void = { _ in }) {
        self.init(service: service, binding: TCPListener.Binding(host: host, port: port, onBound: onBound))
    }
}
