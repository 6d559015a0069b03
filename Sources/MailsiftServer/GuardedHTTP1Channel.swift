import HummingbirdCore
import Logging
import NIOCore
import NIOHTTPTypes

/// Hummingbird's HTTP/1 child channel with Mailsift's guards around it: a ``ConnectionGuard`` ahead of the
/// HTTP decoder (per-client connection limit, request deadline, minimum transfer rate) and an
/// ``HTTPRequestGuard`` after it (`100 Continue`, body piece limit).
struct GuardedHTTP1Channel: ServerChildChannel {
    typealias Value = HTTP1Channel.Value

    /// Hummingbird's channel, with the ``HTTPRequestGuard`` among its additional handlers.
    let inner: HTTP1Channel
    let connection: ConnectionGuard.Limits
    let clients: ClientConnections
    let metrics: ServerMetrics

    func setup(channel: any Channel, logger: Logger) -> EventLoopFuture<Value> {
        let metrics = metrics
        do {
            try channel.pipeline.syncOperations.addHandler(
                ConnectionGuard(limits: connection, clients: clients) { metrics.connectionCut($0) }, position: .first)
        } catch {
            return channel.eventLoop.makeFailedFuture(error)
        }
        return inner.setup(channel: channel, logger: logger)
    }

    func handle(value: Value, logger: Logger) async {
        await inner.handle(value: value, logger: logger)
    }

    /// The server builder for ``Hummingbird/Application``.
    static func builder(
        idleTimeout: TimeAmount, connection: ConnectionGuard.Limits, request: HTTPRequestGuard.Limits, clients: ClientConnections,
        metrics: ServerMetrics
    ) -> HTTPServerBuilder {
        HTTPServerBuilder { responder in
            let configuration = HTTP1Channel.Configuration(
                additionalChannelHandlers: [HTTPRequestGuard(limits: request) { metrics.connectionCut(.tooManyPieces) }],
                idleTimeout: idleTimeout)
            return GuardedHTTP1Channel(
                inner: HTTP1Channel(responder: responder, configuration: configuration), connection: connection, clients: clients,
                metrics: metrics)
        }
    }
}
