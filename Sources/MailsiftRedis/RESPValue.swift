import NIOCore

/// A RESP2 value (the Redis protocol): what a Redis server answers.
public enum RESPValue: Sendable, Hashable {
    case simple(String)
    case error(String)
    case integer(Int64)
    /// A bulk string; nil is RESP's null.
    case bulk([UInt8]?)
    /// An array; nil is RESP's null array.
    case array([RESPValue]?)

    /// The value as text (simple and bulk strings, integers), else nil.
    public var string: String? {
        switch self {
        case .simple(let s): s
        case .bulk(let b?): String(decoding: b, as: UTF8.self)
        case .integer(let n): String(n)
        default: nil
        }
    }

    /// Writes a command (an array of bulk strings) into `buffer`; arguments are text (`String.UTF8View`) or
    /// bytes (a raw message need not be UTF-8).
    static func encodeCommand<Argument: Collection<UInt8>>(_ arguments: [Argument], into buffer: inout ByteBuffer) {
        buffer.writeString("*\(arguments.count)\r\n")
        for a in arguments {
            buffer.writeString("$\(a.count)\r\n")
            buffer.writeBytes(a)
            buffer.writeString("\r\n")
        }
    }

    /// Reads one value from the front of `buffer`; nil (and `buffer` untouched) when it is not all there yet.
    static func parse(_ buffer: inout ByteBuffer) throws(RedisError) -> RESPValue? {
        var copy = buffer
        guard let value = try parseValue(&copy, depth: 0) else { return nil }
        buffer = copy
        return value
    }

    private static func parseValue(_ b: inout ByteBuffer, depth: Int) throws(RedisError) -> RESPValue? {
        guard depth < 16 else { throw .protocolError("arrays nested too deep") }
        guard let kind = b.readInteger(as: UInt8.self) else { return nil }
        guard let line = readLine(&b) else { return nil }
        switch kind {
        case UInt8(ascii: "+"): return .simple(line)
        case UInt8(ascii: "-"): return .error(line)
        case UInt8(ascii: ":"):
            guard let n = Int64(line) else { throw .protocolError("bad integer \(line)") }
            return .integer(n)
        case UInt8(ascii: "$"):
            guard let n = Int(line), n >= -1, n <= 512 << 20 else { throw .protocolError("bad bulk length \(line)") }
            if n == -1 { return .bulk(nil) }
            guard b.readableBytes >= n + 2, let bytes = b.readBytes(length: n) else { return nil }
            b.moveReaderIndex(forwardBy: 2)
            return .bulk(bytes)
        case UInt8(ascii: "*"):
            guard let n = Int(line), n >= -1, n <= 1 << 20 else { throw .protocolError("bad array length \(line)") }
            if n == -1 { return .array(nil) }
            var items: [RESPValue] = []
            items.reserveCapacity(n)
            for _ in 0..<n {
                guard let item = try parseValue(&b, depth: depth + 1) else { return nil }
                items.append(item)
            }
            return .array(items)
        default:
            throw .protocolError("unknown RESP type byte \(kind)")
        }
    }

    private static func readLine(_ b: inout ByteBuffer) -> String? {
        let view = b.readableBytesView
        guard let cr = view.firstIndex(of: 0x0D), view.index(after: cr) < view.endIndex, view[view.index(after: cr)] == 0x0A else { return nil }
        let line = b.readString(length: cr - view.startIndex)
        b.moveReaderIndex(forwardBy: 2)
        return line
    }
}

/// Why a Redis command gave no answer.
public enum RedisError: Error, Sendable, Hashable, CustomStringConvertible {
    /// No connection (refused, closed, or waiting out the back-off after a failure).
    case unavailable(String)
    /// No reply within the command timeout.
    case timeout
    /// The server answered with an error.
    case server(String)
    /// The bytes were not RESP.
    case protocolError(String)

    /// Whether the connection should be dropped (a later command opens a new one).
    var meansConnectionLost: Bool {
        switch self {
        case .unavailable, .timeout: true
        case .server, .protocolError: false
        }
    }

    public var description: String {
        switch self {
        case .unavailable(let why): "Redis is unavailable: \(why)"
        case .timeout: "Redis did not answer in time"
        case .server(let message): "Redis error: \(message)"
        case .protocolError(let why): "Redis protocol error: \(why)"
        }
    }
}
