import Foundation

extension FeatureLogEntry {
    /// Why stored bytes are not an entry.
    public enum DecodingError: Error, Sendable, Hashable, CustomStringConvertible {
        case badVersion(UInt8), truncated, malformed(String)

        public var description: String {
            switch self {
            case .badVersion(let v): "feature log entry format \(v) is not known to this build"
            case .truncated: "feature log entry is truncated"
            case .malformed(let why): "feature log entry is malformed: \(why)"
            }
        }
    }

    static let formatVersion: UInt8 = 1

    /// A compact binary form for stores (NaN kept, which JSON cannot): a format byte, then the fields,
    /// little-endian, strings and arrays prefixed with their length; the sender keys as JSON.
    public func encoded() -> [UInt8] {
        var out: [UInt8] = [Self.formatVersion]
        out.reserveCapacity(64 + treeRow.count * 4 + textRows.count * 4)
        func int(_ v: Int64) { withUnsafeBytes(of: v.littleEndian) { out.append(contentsOf: $0) } }
        func count(_ n: Int) { withUnsafeBytes(of: UInt32(n).littleEndian) { out.append(contentsOf: $0) } }
        func bytes(_ b: some Collection<UInt8>) { count(b.count); out.append(contentsOf: b) }
        bytes(messageID.utf8)
        int(time)
        bytes(modelVersion.utf8)
        bytes((try? JSONEncoder().encode(keys)).map(Array.init) ?? Array("{}".utf8))
        count(treeRow.count)
        for v in treeRow { withUnsafeBytes(of: v.bitPattern.littleEndian) { out.append(contentsOf: $0) } }
        count(textRows.count)
        for r in textRows { withUnsafeBytes(of: r.littleEndian) { out.append(contentsOf: $0) } }
        count(textViewEnds.count)
        for e in textViewEnds { count(e) }
        withUnsafeBytes(of: rulesScore.bitPattern.littleEndian) { out.append(contentsOf: $0) }
        withUnsafeBytes(of: probability.bitPattern.littleEndian) { out.append(contentsOf: $0) }
        bytes(action.rawValue.utf8)
        return out
    }

    /// Reads ``encoded()`` bytes; anything else is refused with a typed error.
    public init(encoded b: [UInt8]) throws(DecodingError) {
        var i = 0
        func take(_ n: Int) throws(DecodingError) -> ArraySlice<UInt8> {
            guard n >= 0, b.count - i >= n else { throw .truncated }
            defer { i += n }
            return b[i..<(i + n)]
        }
        func u32() throws(DecodingError) -> UInt32 {
            let s = try take(4)
            return s.reversed().reduce(0) { $0 << 8 | UInt32($1) }
        }
        func u64() throws(DecodingError) -> UInt64 {
            let s = try take(8)
            return s.reversed().reduce(0) { $0 << 8 | UInt64($1) }
        }
        func length(max: Int) throws(DecodingError) -> Int {
            let n = Int(try u32())
            guard n <= max else { throw .malformed("a length of \(n)") }
            return n
        }
        func string() throws(DecodingError) -> String {
            let s = try take(try length(max: b.count))
            guard let text = String(validating: s, as: UTF8.self) else { throw .malformed("text is not UTF-8") }
            return text
        }
        guard let version = b.first else { throw .truncated }
        guard version == Self.formatVersion else { throw .badVersion(version) }
        i = 1
        messageID = try string()
        time = Int64(bitPattern: try u64())
        modelVersion = try string()
        let keyBytes = try take(try length(max: b.count))
        guard let keys = try? JSONDecoder().decode(SenderKeys.self, from: Data(keyBytes)) else { throw .malformed("sender keys") }
        self.keys = keys
        var row: [Float] = []
        for _ in 0..<(try length(max: b.count / 4)) { row.append(Float(bitPattern: try u32())) }
        treeRow = row
        var rows: [UInt32] = []
        for _ in 0..<(try length(max: b.count / 4)) { rows.append(try u32()) }
        textRows = rows
        var ends: [Int] = []
        for _ in 0..<(try length(max: b.count / 4)) { ends.append(Int(try u32())) }
        textViewEnds = ends
        rulesScore = Double(bitPattern: try u64())
        probability = Double(bitPattern: try u64())
        guard let action = Action(rawValue: try string()) else { throw .malformed("unknown action") }
        self.action = action
        guard i == b.count else { throw .malformed("\(b.count - i) bytes after the entry") }
    }
}
