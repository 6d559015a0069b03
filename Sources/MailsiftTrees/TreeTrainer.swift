import MailsiftCore

/// Trains the tree stage with the same folds as the text model: for each fold k, a booster trained on the
/// other folds but one, with early stopping on that one (fold k + 1), scores fold k, giving out-of-fold
/// margins for the stacked combiner. The final booster trains on every row for the mean of the folds' best
/// round counts.
public enum TreeTrainer {
    public struct Result: Sendable {
        public var booster: Booster
        public var rounds: Int
        /// Each row's margin from the booster that did not see it (nil without folds).
        public var outOfFoldMargins: [Double]?
    }

    /// `rows` are the rows' ``MetadataFeature`` columns; `folds[i]` is row i's fold in `0..<foldCount`.
    public static func train(
        rows: [[Float]], labels: [Bool], folds: [Int], foldCount: Int, parameters: TreeParameters,
        progress: ((String) -> Void)? = nil
    ) throws(BoosterError) -> Result {
        let width = rows.first?.count ?? MetadataFeature.allCases.count
        func matrix(_ indices: [Int]) -> (rows: [Float], labels: [Float]) {
            var flat: [Float] = []
            flat.reserveCapacity(indices.count * width)
            for i in indices { flat += rows[i] }
            return (flat, indices.map { labels[$0] ? 1 : 0 })
        }
        guard foldCount >= 3 else {
            let all = matrix(Array(rows.indices))
            let trained = try Booster.train(rows: all.rows, labels: all.labels, featureCount: width, validation: nil, parameters: parameters)
            return Result(booster: trained.booster, rounds: trained.bestRounds, outOfFoldMargins: nil)
        }
        var margins = [Double](repeating: 0, count: rows.count)
        var rounds: [Int] = []
        for k in 0..<foldCount {
            let stop = (k + 1) % foldCount
            let train = matrix(rows.indices.filter { folds[$0] != k && folds[$0] != stop })
            let valid = matrix(rows.indices.filter { folds[$0] == stop })
            let trained = try Booster.train(rows: train.rows, labels: train.labels, featureCount: width, validation: valid, parameters: parameters)
            rounds.append(trained.bestRounds)
            for i in rows.indices where folds[i] == k { margins[i] = Double(try trained.booster.margin(of: rows[i])) }
            progress?("trees: fold \(k + 1) of \(foldCount), \(trained.bestRounds) rounds")
        }
        var final = parameters
        final.maxRounds = max(1, rounds.reduce(0, +) / rounds.count)
        let all = matrix(Array(rows.indices))
        let trained = try Booster.train(rows: all.rows, labels: all.labels, featureCount: width, validation: nil, parameters: final)
        progress?("trees: final model, \(final.maxRounds) rounds")
        return Result(booster: trained.booster, rounds: final.maxRounds, outOfFoldMargins: margins)
    }
}
