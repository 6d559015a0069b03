import Foundation

/// The spam metrics of `../shared/eval/README.md`, computed exactly as `metrics.py` computes them (same
/// tie rules, same tolerance), so `mailsift eval` and the reference script print the same figures.
public struct SpamMetrics: Sendable, Hashable, Codable {
    public var count: Int
    public var spam: Int
    public var ham: Int
    public var auc: Double
    public var averagePrecision: Double
    /// Recall at false-positive rate at most 1%, 0.1%, 0.01%.
    public var recallAt1: Double
    public var recallAt01: Double
    public var recallAt001: Double
    /// At the system's own verdicts, when given.
    public var verdictFPR: Double?
    public var verdictRecall: Double?
    /// When every score is a probability.
    public var brier: Double?
    public var logLoss: Double?
    public var ece: Double?

    public static let targets = [0.01, 0.001, 0.0001]

    /// `scores`: (score, isSpam); `verdicts`: the system's spam verdicts in the same order, if any.
    public init?(scores: [(Double, Bool)], verdicts: [Bool]? = nil) {
        let positives = scores.filter(\.1).count
        let negatives = scores.count - positives
        guard positives > 0, negatives > 0 else { return nil }
        count = scores.count
        spam = positives
        ham = negatives
        auc = SpamMetrics.auc(scores)
        averagePrecision = SpamMetrics.averagePrecision(scores)
        let points = SpamMetrics.rocPoints(scores)
        recallAt1 = SpamMetrics.recall(points, at: 0.01)
        recallAt01 = SpamMetrics.recall(points, at: 0.001)
        recallAt001 = SpamMetrics.recall(points, at: 0.0001)
        if let verdicts {
            var fp = 0, tp = 0
            for (v, s) in zip(verdicts, scores) where v {
                if s.1 { tp += 1 } else { fp += 1 }
            }
            verdictFPR = Double(fp) / Double(negatives)
            verdictRecall = Double(tp) / Double(positives)
        }
        if scores.allSatisfy({ $0.0 >= 0 && $0.0 <= 1 }) {
            let c = SpamMetrics.calibration(scores)
            brier = c.brier
            logLoss = c.logLoss
            ece = c.ece
        }
    }

    /// (fpr, tpr) after each distinct threshold, highest score first; ties are never split.
    public static func rocPoints(_ scores: [(Double, Bool)]) -> [(Double, Double)] {
        let nPos = Double(scores.filter(\.1).count)
        let nNeg = Double(scores.count) - nPos
        let ordered = scores.sorted { $0.0 > $1.0 }
        var points: [(Double, Double)] = [(0, 0)]
        var tp = 0.0, fp = 0.0, i = 0
        while i < ordered.count {
            var j = i
            while j < ordered.count, ordered[j].0 == ordered[i].0 {
                if ordered[j].1 { tp += 1 } else { fp += 1 }
                j += 1
            }
            points.append((fp / nNeg, tp / nPos))
            i = j
        }
        return points
    }

    /// The largest share of spam caught by a threshold at which at most `fpr` of the hams score (ties never
    /// split); nil without both classes.
    public static func recall(scores: [(Double, Bool)], atFPR fpr: Double) -> Double? {
        guard scores.contains(where: \.1), scores.contains(where: { !$0.1 }) else { return nil }
        return recall(rocPoints(scores), at: fpr)
    }

    static func recall(_ points: [(Double, Double)], at target: Double) -> Double {
        points.filter { $0.0 <= target + 1e-12 }.map(\.1).max() ?? 0
    }

    /// Mann-Whitney with mid-ranks for ties.
    static func auc(_ scores: [(Double, Bool)]) -> Double {
        let ordered = scores.sorted { $0.0 < $1.0 }
        var rankSum = 0.0, nPos = 0.0, i = 0
        while i < ordered.count {
            var j = i
            while j < ordered.count, ordered[j].0 == ordered[i].0 { j += 1 }
            let mid = Double(i + 1 + j) / 2
            for k in i..<j where ordered[k].1 {
                rankSum += mid
                nPos += 1
            }
            i = j
        }
        let nNeg = Double(ordered.count) - nPos
        return (rankSum - nPos * (nPos + 1) / 2) / (nPos * nNeg)
    }

    static func averagePrecision(_ scores: [(Double, Bool)]) -> Double {
        let ordered = scores.sorted { $0.0 > $1.0 }
        let nPos = Double(scores.filter(\.1).count)
        var tp = 0.0, fp = 0.0, ap = 0.0, i = 0
        while i < ordered.count {
            var j = i
            var dTP = 0.0
            while j < ordered.count, ordered[j].0 == ordered[i].0 {
                if ordered[j].1 { dTP += 1 } else { fp += 1 }
                j += 1
            }
            tp += dTP
            if dTP > 0 { ap += (dTP / nPos) * (tp / (tp + fp)) }
            i = j
        }
        return ap
    }

    static func calibration(_ scores: [(Double, Bool)]) -> (brier: Double, logLoss: Double, ece: Double) {
        let eps = 1e-15
        let n = Double(scores.count)
        var brier = 0.0, logLoss = 0.0
        var binCount = [Double](repeating: 0, count: 10)
        var binSum = binCount
        var binPositives = binCount
        for (s, isSpam) in scores {
            let y = isSpam ? 1.0 : 0.0
            brier += (s - y) * (s - y)
            logLoss -= y * log(max(s, eps)) + (1 - y) * log(max(1 - s, eps))
            let b = min(Int(s * 10), 9)
            binCount[b] += 1
            binSum[b] += s
            binPositives[b] += y
        }
        var gap = 0.0
        for b in 0..<10 where binCount[b] > 0 { gap += abs(binSum[b] - binPositives[b]) }
        let ece = gap / n
        return (brier / n, logLoss / n, ece)
    }

    /// The row `metrics.py` prints, keyed and formatted as it formats them.
    public func formatted(file: String) -> [(String, String)] {
        var out: [(String, String)] = [
            ("file", file), ("n", "\(count)"), ("spam", "\(spam)"), ("ham", "\(ham)"),
            ("auc", String(format: "%.6f", auc)), ("1-auc%", String(format: "%.4f", 100 * (1 - auc))),
            ("ap", String(format: "%.6f", averagePrecision)),
            ("recall@0.01", String(format: "%.2f%%", 100 * recallAt1)),
            ("recall@0.001", String(format: "%.2f%%", 100 * recallAt01)),
            ("recall@0.0001", String(format: "%.2f%%", 100 * recallAt001)),
        ]
        if let verdictFPR, let verdictRecall {
            out.append(("verdict fpr", String(format: "%.3f%%", 100 * verdictFPR)))
            out.append(("verdict recall", String(format: "%.2f%%", 100 * verdictRecall)))
        }
        if let brier, let logLoss, let ece {
            out += [("brier", String(format: "%.5f", brier)), ("logloss", String(format: "%.5f", logLoss)), ("ece", String(format: "%.5f", ece))]
        }
        return out
    }

    /// A Markdown table as `metrics.py` prints it.
    public static func table(_ rows: [[(String, String)]]) -> String {
        var keys: [String] = []
        for r in rows { for (k, _) in r where !keys.contains(k) { keys.append(k) } }
        var lines = ["| " + keys.joined(separator: " | ") + " |", "|" + String(repeating: "---|", count: keys.count)]
        for r in rows {
            let values = keys.map { k in r.first { $0.0 == k }?.1 ?? "" }
            lines.append("| " + values.joined(separator: " | ") + " |")
        }
        return lines.joined(separator: "\n")
    }
}
