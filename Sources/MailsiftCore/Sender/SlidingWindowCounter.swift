/// Events over one sliding ``VelocityWindow``, in a ring of buckets.
///
/// **Accuracy.** Bucket `k` holds the events of `[k·b, (k+1)·b)` (`b` the bucket width). At time `t` the
/// count is the sum of the last ``VelocityWindow/buckets`` buckets up to `t`'s, which cover
/// `[t − W + b − (t mod b), t]` for a window `W`. So the count includes every event of the last `W − b` seconds
/// and none older than `W`: `exact(W − b) ≤ count ≤ exact(W)`. With 12 buckets a minute is counted to within its
/// oldest 5 seconds, an hour to within 5 minutes, and a day (24 buckets) to within an hour. Counts saturate at
/// `UInt32.max`. Events older than the window are dropped when recorded.
public struct SlidingWindowCounter: Sendable, Hashable, Codable {
    public let window: VelocityWindow
    private var buckets: [UInt32]
    /// The index (time / bucket width) of the newest bucket written; buckets before it in the ring are older.
    private var newest: Int64

    public init(_ window: VelocityWindow) {
        self.window = window
        buckets = [UInt32](repeating: 0, count: window.buckets)
        newest = Int64.min
    }

    /// Counts `n` events at `time` (Unix seconds). An event older than the window is ignored; one older than
    /// the newest bucket but inside the window goes into its own bucket.
    public mutating func add(_ n: UInt32 = 1, at time: Int64) {
        let k = Self.floorDiv(time, window.bucketSeconds)
        advance(to: k)
        guard k > newest - Int64(window.buckets) else { return }
        let slot = Int(Self.floorMod(k, Int64(window.buckets)))
        let (sum, overflow) = buckets[slot].addingReportingOverflow(n)
        buckets[slot] = overflow ? .max : sum
    }

    /// The events in the window ending at `time` (which is not before the newest event recorded, or the
    /// answer is for the newest bucket's window).
    public func count(at time: Int64) -> UInt32 {
        let k = max(Self.floorDiv(time, window.bucketSeconds), newest)
        let oldest = k - Int64(window.buckets) + 1
        guard newest >= oldest else { return 0 }
        var total: UInt64 = 0
        var i = oldest  // k >= newest, so every bucket from oldest on is still in the ring
        while i <= newest {
            total += UInt64(buckets[Int(Self.floorMod(i, Int64(window.buckets)))])
            i += 1
        }
        return UInt32(clamping: total)
    }

    /// Whether every bucket is older than the window at `time`: the counter can be forgotten.
    public func isEmpty(at time: Int64) -> Bool {
        Self.floorDiv(time, window.bucketSeconds) - newest >= Int64(window.buckets)
    }

    /// Moves the ring forward to bucket `k`, clearing the buckets it passes.
    private mutating func advance(to k: Int64) {
        guard k > newest else { return }
        let n = Int64(window.buckets)
        if newest == Int64.min || k - newest >= n {
            for i in buckets.indices { buckets[i] = 0 }
        } else {
            var i = newest + 1
            while i <= k {
                buckets[Int(Self.floorMod(i, n))] = 0
                i += 1
            }
        }
        newest = k
    }

    static func floorDiv(_ a: Int64, _ b: Int64) -> Int64 { a >= 0 ? a / b : -((-a + b - 1) / b) }
    static func floorMod(_ a: Int64, _ b: Int64) -> Int64 { a - floorDiv(a, b) * b }
}
