/// Maps 64-bit feature hashes to rows of a weight table of 2^bits rows (the top bits of the hash), each row
/// once per message: features are binary, present or not, as in the TREC 2007 winners. Holds a bit set
/// as scratch, so it belongs to one caller at a time (one per thread), and reuses its buffers.
public struct FeatureIndexer: Sendable {
    public let bits: Int
    private var seen: [UInt64]

    public init(bits: Int) {
        precondition(bits >= 8 && bits <= 28, "hash bits must be in 8...28")
        self.bits = bits
        seen = [UInt64](repeating: 0, count: max(1, (1 << bits) / 64))
    }

    @inline(__always)
    public func row(of hash: UInt64) -> UInt32 { UInt32(truncatingIfNeeded: hash >> UInt64(64 - bits)) }

    /// The distinct rows of `hashes` with their values, into `out` (cleared first). `viewEnds` are the
    /// end offsets of each view's hashes; with `normalize`, each view's rows get 1/sqrt(their count), else 1.
    /// A row already taken by an earlier view keeps that view's value.
    /// With `weights` (inverse document frequencies), each row's value is its weight, scaled per view to
    /// unit length when normalising (``SparseFeatures/weigh(by:normalize:)``).
    public mutating func features(
        of hashes: [UInt64], viewEnds: [Int], normalize: Bool, weights: [Float]? = nil, into out: inout SparseFeatures
    ) {
        out.removeAll()
        let shift = UInt64(64 - bits)
        seen.withUnsafeMutableBufferPointer { set in
            var start = 0
            for end in viewEnds {
                for h in hashes[start..<end] {
                    let r = Int(truncatingIfNeeded: h >> shift)
                    let mask: UInt64 = 1 << UInt64(r & 63)
                    if set[r >> 6] & mask == 0 {
                        set[r >> 6] |= mask
                        out.rows.append(UInt32(r))
                    }
                }
                out.viewEnds.append(out.rows.count)
                start = end
            }
            for r in out.rows { set[Int(r) >> 6] = 0 }
        }
        out.weigh(by: weights, normalize: normalize)
    }
}
