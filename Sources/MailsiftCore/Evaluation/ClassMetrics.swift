import Foundation

/// Accuracy and macro-averaged F1 over category predictions, as `metrics.py --classes` computes them.
public struct ClassMetrics: Sendable, Hashable, Codable {
    public var count: Int
    public var classes: Int
    public var accuracy: Double
    public var macroF1: Double

    public init?(pairs: [(label: String, predicted: String)]) {
        guard !pairs.isEmpty else { return nil }
        let labels = Set(pairs.map(\.label)).union(pairs.map(\.predicted)).sorted()
        count = pairs.count
        classes = labels.count
        accuracy = Double(pairs.filter { $0.label == $0.predicted }.count) / Double(pairs.count)
        var f1 = 0.0
        for c in labels {
            var tp = 0, fp = 0, fn = 0
            for p in pairs {
                if p.label == c && p.predicted == c { tp += 1 } else if p.predicted == c { fp += 1 } else if p.label == c { fn += 1 }
            }
            f1 += tp > 0 ? 2 * Double(tp) / Double(2 * tp + fp + fn) : 0
        }
        macroF1 = f1 / Double(labels.count)
    }

    public func formatted(file: String) -> [(String, String)] {
        [("file", file), ("n", "\(count)"), ("classes", "\(classes)"),
         ("accuracy", String(format: "%.4f", accuracy)), ("macro-f1", String(format: "%.4f", macroF1))]
    }
}
