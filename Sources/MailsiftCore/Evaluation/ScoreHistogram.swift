/// Spam probabilities counted in equal bins of [0, 1], per class: the score distribution a model had out of fold on
/// its training side (stored in its manifest), which the dashboard sets beside the scores served today.
public struct ScoreHistogram: Codable, Sendable, Hashable {
    /// Counts of ham per bin (bin `i` holds probabilities in `[i/n, (i+1)/n)`, the last bin 1 too).
    public var ham: [Int]
    public var spam: [Int]

    public static let defaultBins = 20

    public init(bins: Int = Self.defaultBins) {
        ham = Array(repeating: 0, count: max(1, bins))
        spam = ham
    }

    public init(probabilities: [Double], labels: [Bool], bins: Int = Self.defaultBins) {
        self.init(bins: bins)
        for (p, isSpam) in zip(probabilities, labels) { add(p, spam: isSpam) }
    }

    public var bins: Int { ham.count }

    /// The bin of probability `p` (NaN counts nowhere: nil).
    public static func bin(_ p: Double, bins: Int) -> Int? {
        guard p.isFinite else { return nil }
        return min(max(Int(p * Double(bins)), 0), bins - 1)
    }

    public mutating func add(_ p: Double, spam isSpam: Bool) {
        guard let b = Self.bin(p, bins: bins) else { return }
        if isSpam { spam[b] += 1 } else { ham[b] += 1 }
    }

    /// Both classes together.
    public var all: [Int] { zip(ham, spam).map { $0 + $1 } }

    /// Each bin's share of `counts` (all zero when there are none).
    public static func shares(_ counts: [Int]) -> [Double] {
        let total = counts.reduce(0, +)
        return counts.map { total == 0 ? 0 : Double($0) / Double(total) }
    }
}
