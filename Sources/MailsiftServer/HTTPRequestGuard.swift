import HTTPTypes
import NIOCore
import NIOHTTPTypes

/// The HTTP listener's handler between the HTTP decoder and Hummingbird: answers `Expect: 100-continue` (so
/// clients send their body at once instead of waiting for a timeout), cuts a request whose body comes in
/// more pieces than its bytes justify (tiny chunks cost CPU per piece, whatever their size), and tells the
/// ``ConnectionGuard`` when a request's last byte is in.
final class HTTPRequestGuard: ChannelInboundHandler, RemovableChannelHandler {
    typealias InboundIn = HTTPRequestPart
    typealias InboundOut = HTTPRequestPart
    typealias OutboundOut = HTTPResponsePart

    struct Limits: Sendable {
        /// Body pieces (decoder reads or chunks) allowed before ``minBytesPerPart`` applies.
        var freeParts = 1_024
        /// Mean bytes per body piece a request must keep past ``freeParts``.
        var minBytesPerPart = 256
        /// A body announced as longer than this gets no `100 Continue` (the route refuses it with 413).
        var maxBodyBytes: Int
    }

    private let limits: Limits
    private let onCut: @Sendable () -> Void
    private var parts = 0
    private var bytes = 0
    private var cut = false

    init(limits: Limits, onCut: @escaping @Sendable () -> Void) {
        self.limits = limits
        self.onCut = onCut
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        guard !cut else { return }
        switch unwrapInboundIn(data) {
        case .head(let head):
            parts = 0
            bytes = 0
            if let expect = head.headerFields[.expect], expect.lowercased() == "100-continue" {
                let length = head.headerFields[.contentLength].flatMap { Int($0) } ?? 0
                if length <= limits.maxBodyBytes {
                    context.writeAndFlush(wrapOutboundOut(.head(HTTPResponse(status: .continue))), promise: nil)
                }
            }
        case .body(let buffer):
            parts += 1
            bytes += buffer.readableBytes
            if parts > limits.freeParts, bytes < parts * limits.minBytesPerPart {
                cut = true
                onCut()
                context.close(promise: nil)
                return
            }
        case .end:
            context.triggerUserOutboundEvent(RequestReceived(), promise: nil)
        }
        context.fireChannelRead(data)
    }
}
