import Logging
import MailsiftCore
import NIOCore
import ServiceLifecycle

/// The spamd listener: SpamAssassin's spamc/spamd protocol (CHECK, SYMBOLS, REPORT, REPORT_IFSPAM, PROCESS,
/// HEADERS, PING), one request per connection, so `spamc` and the MTA integrations built on it work
/// unchanged. Requests share the HTTP API's concurrency limit, size limit and latency budget.
public struct SpamdServer: TCPProtocolServer {
    let service: ClassificationService
    let binding: TCPListener.Binding

    public func run() async throws {
        let timeout = Duration.seconds(service.configuration.requestTimeoutSeconds)
        // The guard's deadline a second after the request timeout: a request that runs out of time gets
        // spamd's own reply (74, timed out) before its connection is closed.
        var limits = service.configuration.connectionLimits
        limits.requestTimeout = limits.requestTimeout + .seconds(1)
        let listener = TCPListener("spamd", at: binding, for: service, idleTimeout: timeout * 2, limits: limits)
        try await listener.run(onBound: binding.onBound) { connection in
            // One request per connection, answered within the request timeout.
            let reply = try await withThrowingTaskGroup(of: [UInt8]?.self) { group in
                group.addTask { try await answer(connection) }
                group.addTask {
                    try await Task.sleep(for: timeout)
                    return nil
                }
                let first = try await group.next() ?? nil
                group.cancelAll()
                return first
            }
            if let reply {
                try await connection.outbound.write(ByteBuffer(bytes: reply))
            } else {
                service.metrics.rejected(.timeout)
                try await connection.outbound.write(ByteBuffer(bytes: SpamdReply.error(74, "timed out reading the request")))
            }
        }
    }

    /// Reads one request and works out the reply.
    private func answer(_ connection: TCPListener.Connection) async throws -> [UInt8] {
        var reader = SpamdRequestReader(maxBodyBytes: service.configuration.maxMessageBytes)
        var request: SpamdRequest?
        do {
            for try await chunk in connection.inbound {
                if let r = try reader.feed(chunk.readableBytesView) {
                    request = r
                    break
                }
            }
            if request == nil { request = try reader.finish() }
            connection.received()
        } catch let error as SpamdRequest.ProtocolError {
            service.metrics.rejected(error == .tooBig ? .tooLarge : .badRequest)
            return SpamdReply.error(error.code, error.reason)
        }
        guard let request else { return SpamdReply.error(76, "no request") }
        let arrival = ContinuousClock.now
        defer { service.metrics.request(.spamd, .now - arrival) }
        switch request.command {
        case .ping:
            return SpamdReply.pong(version: "1.5")
        case .skip:
            return []
        case .tell:
            return SpamdReply.error(69, "TELL is not supported: send feedback to POST /v1/feedback")
        default:
            break
        }
        guard service.admit() else { return SpamdReply.error(69, "server busy") }
        defer { service.release() }
        do {
            // The budget counts from the whole request read (a slow client sets that pace).
            let result = try await service.classify(request.body, envelope: Envelope(user: request.user))
            let scale = ScoreScale(service.models.model?.cascade.operatingPoints)
            return SpamdReply.reply(to: request, result: result, scale: scale)
        } catch .notReady {
            return SpamdReply.error(69, "no model is loaded yet")
        } catch .unparsable(let e) {
            return SpamdReply.error(65, "the message cannot be parsed: \(e)")
        }
    }
}
