/// A Universal Binary JSON value (ubjson.org, draft 12), as XGBoost writes its models: big-endian numbers,
/// object keys without a type marker, and typed, counted arrays (`[$d#L…`) for its float and integer lists.
/// Reading is bounded: counts are checked against the bytes left and nesting is limited, so corrupt input
/// gives ``UBJSONError`` rather than a crash or a huge allocation.
public indirect enum UBJSON: Sendable, Equatable {
    case null
    case bool(Bool)
    case integer(Int64)
    case float32(Float)
    case float64(Double)
    case string(String)
    case array([UBJSON])
    case object([String: UBJSON])

    public init(parsing bytes: [UInt8], maxDepth: Int = 64) throws(UBJSONError) {
        var reader = Reader(bytes: bytes, maxDepth: maxDepth)
        self = try reader.value(depth: 0)
        guard reader.offset == bytes.count else { throw UBJSONError(offset: reader.offset, reason: "bytes after the value") }
    }

    public subscript(key: String) -> UBJSON? {
        if case .object(let o) = self { return o[key] }
        return nil
    }

    public var arrayValue: [UBJSON]? {
        if case .array(let a) = self { return a }
        return nil
    }

    public var stringValue: String? {
        if case .string(let s) = self { return s }
        return nil
    }

    /// An integer (or an integral float).
    public var intValue: Int? {
        switch self {
        case .integer(let i): return Int(exactly: i)
        case .float32(let f): return Int(exactly: f)
        case .float64(let d): return Int(exactly: d)
        default: return nil
        }
    }

    /// A number as `Float`: exact for `float32` values.
    public var floatValue: Float? {
        switch self {
        case .integer(let i): return Float(i)
        case .float32(let f): return f
        case .float64(let d): return Float(d)
        default: return nil
        }
    }

    private struct Reader {
        let bytes: [UInt8]
        let maxDepth: Int
        var offset = 0

        init(bytes: [UInt8], maxDepth: Int) {
            self.bytes = bytes
            self.maxDepth = maxDepth
        }

        func fail(_ reason: String) -> UBJSONError { UBJSONError(offset: offset, reason: reason) }

        mutating func byte() throws(UBJSONError) -> UInt8 {
            guard offset < bytes.count else { throw fail("truncated") }
            defer { offset += 1 }
            return bytes[offset]
        }

        /// A big-endian unsigned value of `n` bytes.
        mutating func bigEndian(_ n: Int) throws(UBJSONError) -> UInt64 {
            guard n <= bytes.count - offset else { throw fail("truncated") }
            var v: UInt64 = 0
            for k in 0..<n { v = v << 8 | UInt64(bytes[offset + k]) }
            offset += n
            return v
        }

        mutating func integer(marker: UInt8) throws(UBJSONError) -> Int64 {
            switch marker {
            case UInt8(ascii: "i"): return Int64(Int8(truncatingIfNeeded: try bigEndian(1)))
            case UInt8(ascii: "U"): return Int64(try bigEndian(1))
            case UInt8(ascii: "I"): return Int64(Int16(truncatingIfNeeded: try bigEndian(2)))
            case UInt8(ascii: "l"): return Int64(Int32(truncatingIfNeeded: try bigEndian(4)))
            case UInt8(ascii: "L"): return Int64(bitPattern: try bigEndian(8))
            default: throw fail("expected an integer marker, found \(marker)")
            }
        }

        /// A length or count: an integer with its marker, not negative.
        mutating func length() throws(UBJSONError) -> Int {
            let n = try integer(marker: try byte())
            guard n >= 0, n <= Int64(bytes.count) else { throw fail("bad length \(n)") }
            return Int(n)
        }

        mutating func string() throws(UBJSONError) -> String {
            let n = try length()
            guard n <= bytes.count - offset else { throw fail("truncated string") }
            defer { offset += n }
            return String(decoding: bytes[offset..<(offset + n)], as: UTF8.self)
        }

        /// The fewest bytes one element with this marker takes (to bound counts before allocating).
        static func minimumSize(_ marker: UInt8?) -> Int {
            switch marker {
            case UInt8(ascii: "I"): return 2
            case UInt8(ascii: "l"), UInt8(ascii: "d"): return 4
            case UInt8(ascii: "L"), UInt8(ascii: "D"): return 8
            case UInt8(ascii: "Z"), UInt8(ascii: "T"), UInt8(ascii: "F"), UInt8(ascii: "N"): return 0
            default: return 1
            }
        }

        mutating func value(depth: Int) throws(UBJSONError) -> UBJSON {
            try value(marker: try byte(), depth: depth)
        }

        mutating func value(marker: UInt8, depth: Int) throws(UBJSONError) -> UBJSON {
            switch marker {
            case UInt8(ascii: "Z"): return .null
            case UInt8(ascii: "T"): return .bool(true)
            case UInt8(ascii: "F"): return .bool(false)
            case UInt8(ascii: "i"), UInt8(ascii: "U"), UInt8(ascii: "I"), UInt8(ascii: "l"), UInt8(ascii: "L"):
                return .integer(try integer(marker: marker))
            case UInt8(ascii: "d"): return .float32(Float(bitPattern: UInt32(try bigEndian(4))))
            case UInt8(ascii: "D"): return .float64(Double(bitPattern: try bigEndian(8)))
            case UInt8(ascii: "C"): return .string(String(decoding: [try byte()], as: UTF8.self))
            case UInt8(ascii: "S"), UInt8(ascii: "H"): return .string(try string())
            case UInt8(ascii: "["), UInt8(ascii: "{"):
                guard depth < maxDepth else { throw fail("nested deeper than \(maxDepth)") }
                return try container(object: marker == UInt8(ascii: "{"), depth: depth + 1)
            default:
                throw fail("unknown marker \(marker)")
            }
        }

        /// An array or object: typed and counted (`$t#n`), counted (`#n`), or closed by `]` / `}`.
        mutating func container(object: Bool, depth: Int) throws(UBJSONError) -> UBJSON {
            var type: UInt8? = nil
            var count: Int? = nil
            if offset < bytes.count, bytes[offset] == UInt8(ascii: "$") {
                offset += 1
                type = try byte()
                guard offset < bytes.count, bytes[offset] == UInt8(ascii: "#") else { throw fail("a typed container needs a count") }
            }
            if offset < bytes.count, bytes[offset] == UInt8(ascii: "#") {
                offset += 1
                let n = try length()
                // Each element takes at least this many bytes (object keys one more): refuse counts the input cannot hold.
                let least = max(Reader.minimumSize(type), type == nil ? 1 : 0) + (object ? 1 : 0)
                guard least == 0 || n <= (bytes.count - offset) / least else { throw fail("count \(n) exceeds the input") }
                count = n
            }
            let close = object ? UInt8(ascii: "}") : UInt8(ascii: "]")
            var items: [UBJSON] = []
            var members: [String: UBJSON] = [:]
            if let count { if object { members.reserveCapacity(count) } else { items.reserveCapacity(count) } }
            var i = 0
            while true {
                if let count {
                    if i == count { break }
                } else {
                    guard offset < bytes.count else { throw fail("unterminated container") }
                    if bytes[offset] == close { offset += 1; break }
                    if bytes[offset] == UInt8(ascii: "N") { offset += 1; continue }
                }
                let key = object ? try string() : ""
                let v: UBJSON
                if let type { v = try value(marker: type, depth: depth) } else { v = try value(depth: depth) }
                if object { members[key] = v } else { items.append(v) }
                i += 1
            }
            return object ? .object(members) : .array(items)
        }
    }
}

/// Why a UBJSON buffer could not be read, and where.
public struct UBJSONError: Error, Sendable, Equatable, CustomStringConvertible {
    public var offset: Int
    public var reason: String
    public var description: String { "UBJSON at byte \(offset): \(reason)" }
}
