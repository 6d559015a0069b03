/// Float32 values as the model bundle's named sections store them: little-endian, one after another
/// (the idf table, the view models' weights and optimiser state).
public enum Float32Bytes {
    public static func encode(_ values: [Float]) -> [UInt8] {
        var out: [UInt8] = []
        out.reserveCapacity(4 * values.count)
        for v in values { withUnsafeBytes(of: v.bitPattern.littleEndian) { out.append(contentsOf: $0) } }
        return out
    }

    /// The values, or nil when `bytes` does not hold exactly `count` of them.
    public static func decode(_ bytes: [UInt8], count: Int) -> [Float]? {
        guard bytes.count == 4 * count else { return nil }
        return bytes.withUnsafeBytes { raw in
            (0..<count).map { Float(bitPattern: UInt32(littleEndian: raw.loadUnaligned(fromByteOffset: 4 * $0, as: UInt32.self))) }
        }
    }
}
