import Foundation
import Logging
import MailsiftCore
import NIOCore
import ServiceLifecycle

/// The milter listener (Sendmail/Postfix milter protocol 6; the protocol itself is ``MilterSession``):
/// Postfix's `smtpd_milters = inet:127.0.0.1:PORT` sends every message through it. Each message gets the
/// `X-Spam-*` and `X-Mailsift-Verdict` headers; `quarantine` puts it on hold, `reject` refuses it with 550,
/// and when no verdict can be had (no model yet, overload) it is deferred with 451. Shares the HTTP API's
/// limits, budget and metrics.
public struct MilterServer: TCPProtocolServer {
    let service: ClassificationService
    let binding: TCPListener.Binding

    public func run() async throws {
        // Postfix keeps a milter connection for the whole SMTP session and waits on its client between
        // commands (smtpd_timeout, 300 s by default): the idle limit allows for that.
        let idle = Duration.seconds(max(300, service.configuration.requestTimeoutSeconds))
        let listener = TCPListener("milter", at: binding, for: service, idleTimeout: idle, limits: service.configuration.connectionLimits)
        try await listener.run(onBound: binding.onBound) { connection in
            let outbound = connection.outbound
            var session = MilterSession(maxMessageBytes: service.configuration.maxMessageBytes)
            var reader = MilterPacketReader()
            for try await chunk in connection.inbound {
                reader.feed(chunk.readableBytesView)
                // Each packet is a request to the guard: the MTA sends it whole, then waits for the reply
                // (or, between SMTP commands, for its own client, which the idle timeout allows for).
                if reader.endsOnPacketBoundary { connection.received() }
                while let (command, data) = try reader.next() {
                    switch try session.handle(command: command, data: data) {
                    case .reply(let packets):
                        if !packets.isEmpty { try await outbound.write(ByteBuffer(bytes: packets.joined())) }
                    case .close:
                        return
                    case .classify(let message, let envelope):
                        let start = ContinuousClock.now
                        let packets = await classify(message, envelope, session: &session)
                        try await outbound.write(ByteBuffer(bytes: packets.joined()))
                        service.metrics.request(.milter, .now - start)
                    }
                }
            }
        }
    }

    private func classify(_ message: [UInt8], _ envelope: Envelope, session: inout MilterSession) async -> [[UInt8]] {
        guard service.admit() else { return session.finish(.unavailable) }
        defer { service.release() }
        let result: ClassificationService.Result
        do {
            // The budget counts from the end of the message, not from MAIL FROM (the client sets that pace).
            result = try await service.classify(message, envelope: envelope)
        } catch {
            switch error {
            case .notReady: return session.finish(.unavailable)
            case .unparsable: return session.finish(.unparsable)
            }
        }
        // Mail a local user submits (SMTP AUTH): recorded as sent, so replies to it count (ReplyClaim). Not when
        // it was judged spam: a stolen account's spam must not vouch for replies.
        if envelope.authenticatedSender != nil, result.action < .quarantine, let parsed = try? MessageParser().parse(message) {
            _ = await service.learning.recordSent(parsed, envelope: envelope, at: Int64(Date().timeIntervalSince1970))
        }
        let scale = ScoreScale(service.models.model?.cascade.operatingPoints)
        let score = scale.score(probability: result.probability, action: result.action, stage: result.stage)
        let headers = SpamdReply.headers(result, score: score, symbols: SpamdReply.symbols(result))
        return session.finish(.verdict(
            action: result.action, probability: result.probability, headers: headers,
            authservID: result.authenticationResults == nil ? nil : service.configuration.authservID))
    }
}
