import Logging
import NIOCore
import NIOPosix
import ServiceLifecycle

/// A TCP listener for the line protocols (spamd, milter): binds, reports the port, and runs `handle` for
/// each connection in its own task until graceful shutdown or cancellation; a connection taking longer than
/// `timeout` to be answered is closed.
struct TCPListener {
    let host: String
    let port: Int
    let name: String
    let logger: Logger

    func run(
        onBound: @Sendable (Int) -> Void,
        handle: @escaping @Sendable (NIOAsyncChannelInboundStream<ByteBuffer>, NIOAsyncChannelOutboundWriter<ByteBuffer>) async throws -> Void
    ) async throws {
        let server = try await ServerBootstrap(group: MultiThreadedEventLoopGroup.singleton)
            .serverChannelOption(.backlog, value: 256)
            .serverChannelOption(.socketOption(.so_reuseaddr), value: 1)
            .childChannelOption(.allowRemoteHalfClosure, value: true)
            .bind(host: host, port: port) { channel in
                channel.eventLoop.makeCompletedFuture {
                    try NIOAsyncChannel<ByteBuffer, ByteBuffer>(wrappingChannelSynchronously: channel)
                }
            }
        let bound = server.channel.localAddress?.port ?? port
        onBound(bound)
        logger.notice("\(name) listener started", metadata: ["host": "\(host)", "port": "\(bound)"])
        try await withThrowingDiscardingTaskGroup { group in
            try await server.executeThenClose { connections in
                for try await connection in connections.cancelOnGracefulShutdown() {
                    group.addTask {
                        do {
                            try await connection.executeThenClose { inbound, outbound in try await handle(inbound, outbound) }
                        } catch {
                            logger.debug("\(name) connection ended", metadata: ["error": "\(error)"])
                        }
                    }
                }
            }
        }
    }
}
