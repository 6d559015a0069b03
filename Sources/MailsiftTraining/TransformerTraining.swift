import Foundation
import MailsiftCore

/// Stage 3 of a spam model: a logistic head on the sentence encoder's embeddings, trained on the same folds
/// as the earlier stages, and its combination with them for the messages in the uncertain band
/// (``TransformerSpec``). Everything is fitted on out-of-fold scores of the training side; the thresholds are
/// chosen again on the refined out-of-fold probabilities.
enum TransformerTraining {
    struct Result {
        var spec: TransformerSpec
        var operatingPoints: OperatingPoints
        /// Out-of-fold figures: the head alone (`transformer`) and the refined cascade (`refined`).
        var outOfFold: [String: [String: Double]]
        var refined: [Double]
        var headMargins: [Double]
    }

    /// The fewest hams and the fewest spams among the routed out-of-fold rows for the stage to be fitted: with
    /// fewer (a training side whose classes the earlier stages separate, such as one ham source), the combiner
    /// and the thresholds would rest on a handful of messages. Without them the model has no transformer stage.
    static let minimumRoutedPerClass = 100

    /// `tokens`: each training row's token ids; `earlier`: its out-of-fold probability from the earlier stages
    /// (the chosen mode's); `band`: where the stage runs (`upper` nil: the earlier stages' reject threshold).
    static func train(
        tokens: [[Int32]], labels: [Bool], folds: [Int], foldCount: Int, earlier: [Double], encoder: any SentenceEncoder, maxTokens: Int,
        lower: Double, upper: Double?, earlierPoints: OperatingPoints, hamWeight: Double, targetFPR: Double, thresholdMargin: Double,
        l2: Double = 1e-4, progress: (any ProgressReporter)?, log: @escaping @Sendable (String) -> Void
    ) -> Result? {
        let top = upper ?? earlierPoints.reject
        let routed = earlier.indices.filter { earlier[$0] >= lower && earlier[$0] < top }
        let routedSpam = routed.count { labels[$0] }
        guard routedSpam >= minimumRoutedPerClass, routed.count - routedSpam >= minimumRoutedPerClass else {
            log(String(format: "transformer: not trained: %d hams and %d spams of the training side fall in its band %.4f ..< %.6f (%d of each needed)",
                       routed.count - routedSpam, routedSpam, lower, top, minimumRoutedPerClass))
            return nil
        }
        let embeddings = ParallelMap.map(tokens, progress: progress, makeScratch: { () }) { t, _ in encoder.embed(t) }
        let weights = labels.map { $0 ? 1 : hamWeight }
        var headMargins = [Double](repeating: 0, count: labels.count)
        for f in 0..<foldCount {
            let inside = folds.indices.filter { folds[$0] != f }
            guard !inside.isEmpty, inside.count < folds.count else { continue }
            let head = LogisticHead.fit(inside.map { embeddings[$0] }, labels: inside.map { labels[$0] }, weights: inside.map { weights[$0] }, l2: l2)
            for i in folds.indices where folds[i] == f { headMargins[i] = head.margin(embeddings[i]) }
        }
        let head = LogisticHead.fit(embeddings, labels: labels, weights: weights, l2: l2)
        func logit(_ p: Double) -> Double {
            let q = min(max(p, 1e-12), 1 - 1e-12)
            return Foundation.log(q / (1 - q))
        }
        let combiner = StackedCombiner.fit(
            inputs: routed.map { [logit(earlier[$0]), headMargins[$0]] }, labels: routed.map { labels[$0] },
            exampleWeights: routed.map { weights[$0] })
        var spec = TransformerSpec(
            encoder: encoder.identity, dimension: encoder.dimension, tokens: maxTokens, head: head.weights.map(Double.init) + [head.bias], lower: lower,
            upper: top, combiner: combiner.weights + [combiner.bias], routedShare: Double(routed.count) / Double(max(labels.count, 1)),
            operatingPoints: earlierPoints)
        var refined = earlier
        for i in routed { refined[i] = spec.refined(probability: earlier[i], margin: headMargins[i]) }
        var points = OperatingPoints.choose(probabilities: refined, labels: labels, targetFPR: targetFPR / thresholdMargin)
        points.targetFPR = targetFPR
        spec.operatingPoints = points
        func metrics(_ scores: [Double], verdicts: Bool) -> [String: Double] {
            SpamMetrics(scores: Array(zip(scores, labels)), verdicts: verdicts ? scores.map(points.isSpam) : nil)?.dictionary ?? [:]
        }
        var outOfFold = ["transformer": metrics(headMargins, verdicts: false), "refined": metrics(refined, verdicts: true)]
        outOfFold["refined"]?["routed_share"] = spec.routedShare
        for (name, m) in outOfFold.sorted(by: { $0.key > $1.key }) {
            log(String(format: "out of fold, %@: AUC %.6f, recall %.2f%% at 1%% FPR, %.2f%% at 0.1%% FPR", name == "transformer" ? "transformer head" : "cascade with the transformer",
                       m["auc"] ?? 0, 100 * (m["recall_at_1pct_fpr"] ?? 0), 100 * (m["recall_at_0.1pct_fpr"] ?? 0)))
        }
        log(String(format: "transformer: %.1f%% of messages routed (earlier probability in %.4f ..< %.6f); combiner %.3f x earlier + %.3f x head %+.3f",
                   100 * spec.routedShare, lower, top, combiner.weights[0], combiner.weights[1], combiner.bias))
        log(String(format: "thresholds with the transformer: tag %.6f, quarantine %.6f, reject %.6f", points.tag, points.quarantine, points.reject))
        return Result(spec: spec, operatingPoints: points, outOfFold: outOfFold, refined: refined, headMargins: headMargins)
    }
}

/// L2-regularised logistic regression on dense embeddings, fitted by Newton's method: the penalty is
/// `l2` × the examples' total weight × |w|² / 2 (the bias is not penalised), so its strength does not depend
/// on the number of examples. An embedding has a few hundred dimensions; each iteration accumulates the
/// Hessian's upper triangle in one pass.
struct LogisticHead {
    var weights: [Float]
    var bias: Double

    func margin(_ x: [Float]) -> Double {
        var z = bias
        for i in 0..<min(x.count, weights.count) { z += Double(weights[i]) * Double(x[i]) }
        return z
    }

    static func fit(_ xs: [[Float]], labels: [Bool], weights: [Double], l2: Double, iterations: Int = 20) -> LogisticHead {
        let k = xs.first?.count ?? 0
        let d = k + 1
        var beta = [Double](repeating: 0, count: d)
        let penalty = l2 * weights.reduce(0, +)
        var row = [Double](repeating: 0, count: d)
        for _ in 0..<iterations {
            var gradient = [Double](repeating: 0, count: d)
            var hessian = [Double](repeating: 0, count: d * d)
            hessian.withUnsafeMutableBufferPointer { h in
                row.withUnsafeMutableBufferPointer { r in
                    for (i, x) in xs.enumerated() {
                        for j in 0..<k { r[j] = Double(x[j]) }
                        r[k] = 1
                        var z = 0.0
                        for j in 0..<d { z += beta[j] * r[j] }
                        let p = LinearModel.sigmoid(z)
                        let g = (p - (labels[i] ? 1 : 0)) * weights[i]
                        let s = max(p * (1 - p), 1e-12) * weights[i]
                        for a in 0..<d {
                            gradient[a] += g * r[a]
                            let sa = s * r[a]
                            let base = h.baseAddress! + a * d
                            for b in a..<d { base[b] += sa * r[b] }
                        }
                    }
                }
            }
            for a in 0..<d {
                for b in 0..<a { hessian[a * d + b] = hessian[b * d + a] }
            }
            for j in 0..<k {
                gradient[j] += penalty * beta[j]
                hessian[j * d + j] += penalty
            }
            hessian[k * d + k] += 1e-9
            guard let step = StackedCombiner.solve(hessian, gradient, d) else { break }
            var moved = 0.0
            for j in 0..<d {
                beta[j] -= step[j]
                moved = max(moved, abs(step[j]))
            }
            if moved < 1e-7 { break }
        }
        return LogisticHead(weights: beta.prefix(k).map(Float.init), bias: beta[k])
    }
}
