import NIOCore

/// Pipelined request/reply over one connection: each written command carries the promise of its reply;
/// replies arrive in order and complete the oldest promise. A closed or broken connection fails every
/// promise still waiting.
final class RESPHandler: ChannelDuplexHandler {
    typealias InboundIn = ByteBuffer
    typealias OutboundIn = (ByteBuffer, EventLoopPromise<RESPValue>)
    typealias OutboundOut = ByteBuffer

    private var waiting = CircularBuffer<EventLoopPromise<RESPValue>>()
    private var buffer = ByteBuffer()

    func write(context: ChannelHandlerContext, data: NIOAny, promise: EventLoopPromise<Void>?) {
        let (bytes, reply) = unwrapOutboundIn(data)
        waiting.append(reply)
        context.write(wrapOutboundOut(bytes), promise: promise)
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        var incoming = unwrapInboundIn(data)
        buffer.writeBuffer(&incoming)
        do {
            while let value = try RESPValue.parse(&buffer) {
                guard let reply = waiting.popFirst() else { throw RedisError.protocolError("a reply nobody asked for") }
                reply.succeed(value)
            }
            buffer.discardReadBytes()
        } catch {
            failAll(error)
            context.close(promise: nil)
        }
    }

    func channelInactive(context: ChannelHandlerContext) {
        failAll(RedisError.unavailable("connection closed"))
        context.fireChannelInactive()
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        failAll(RedisError.unavailable("\(error)"))
        context.close(promise: nil)
    }

    private func failAll(_ error: any Error) {
        while let p = waiting.popFirst() { p.fail(error) }
    }
}
