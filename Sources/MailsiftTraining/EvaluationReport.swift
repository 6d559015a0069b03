import Foundation
import MailsiftCore

/// One self-contained HTML page of a spam model's evaluation (`mailsift report`, `eval --report`): the metrics of
/// ../shared/eval/README.md per score set, each graded action's realised false-positive rate and recall, and SVG
/// plots drawn here (ROC on a log false-positive axis, precision against recall, a reliability diagram, score
/// histograms per class, the share each cascade stage decided). Several score sets (models, or one model on several
/// test sets) are overlaid. No script, no style sheet or font fetched: it opens from a file anywhere.
public struct EvaluationReport: Sendable {
    /// One model's scores on one test set.
    public struct ScoreSet: Sendable {
        public var name: String
        /// (probability of spam, is spam).
        public var scores: [(Double, Bool)]
        /// The share of rows each stage decided, when known (`eval --stage-scores`).
        public var stages: [(String, Double)]

        public init(name: String, scores: [(Double, Bool)], stages: [(String, Double)] = []) {
            self.name = name
            self.scores = scores
            self.stages = stages
        }
    }

    public var title: String
    public var sets: [ScoreSet]
    /// The thresholds the actions are read at (the model's ``OperatingPoints``); nil: no action table.
    public var operatingPoints: OperatingPoints?

    public init(title: String, sets: [ScoreSet], operatingPoints: OperatingPoints?) {
        self.title = title
        self.sets = sets
        self.operatingPoints = operatingPoints
    }

    /// Reads an `eval --scores` file (`id label score verdict`, a header line); the label `spam` is the positive class.
    public static func scores(tsv: String) throws -> [(Double, Bool)] {
        var out: [(Double, Bool)] = []
        for (n, line) in tsv.split(separator: "\n").enumerated() {
            let f = line.split(separator: "\t", omittingEmptySubsequences: false)
            if n == 0, f.count > 2, f[2] == "score" { continue }
            guard f.count >= 3, let p = Double(f[2]), p.isFinite else {
                throw ReportError("line \(n + 1): expected id, label, score (tab-separated)")
            }
            out.append((p, f[1] == "spam"))
        }
        return out
    }

    /// Reads an `eval --stage-scores` file: the share of rows each deciding stage (the fifth column) decided.
    public static func stageShares(tsv: String) -> [(String, Double)] {
        var counts: [String: Int] = [:]
        var n = 0
        for (i, line) in tsv.split(separator: "\n").enumerated() {
            let f = line.split(separator: "\t", omittingEmptySubsequences: false)
            guard f.count >= 5, !(i == 0 && f[4] == "stage") else { continue }
            counts[String(f[4]), default: 0] += 1
            n += 1
        }
        return counts.sorted { $0.key < $1.key }.map { ($0.key, Double($0.value) / Double(max(1, n))) }
    }

    public struct ReportError: Error, CustomStringConvertible {
        public var description: String
        init(_ d: String) { description = d }
    }

    // MARK: - The page

    public func html(generated: String) -> String {
        var body = "<h1>\(HTML.escape(title))</h1>\n<p class=\"meta\">Generated \(HTML.escape(generated)) by mailsift report. "
        body += "Metrics as ../shared/eval/README.md defines them (spam is the positive class).</p>\n"
        body += metricsTable()
        body += actionTable()
        body += "<div class=\"plots\">\n"
        body += rocChart().svg + "\n" + precisionRecallChart().svg + "\n"
        if sets.allSatisfy({ $0.scores.allSatisfy { (0...1).contains($0.0) } }) { body += reliabilityChart().svg + "\n" }
        for set in sets { body += histogram(set).svg + "\n" }
        if sets.contains(where: { !$0.stages.isEmpty }) { body += stageChart().svg + "\n" }
        body += "</div>\n"
        return """
            <!DOCTYPE html>
            <html lang="en"><head><meta charset="utf-8"><title>\(HTML.escape(title))</title>
            <style>
            body { font-family: sans-serif; margin: 2em; color: #222; }
            table { border-collapse: collapse; margin: 1em 0; }
            th, td { border: 1px solid #ccc; padding: 4px 8px; text-align: right; }
            th:first-child, td:first-child { text-align: left; }
            .plots svg { margin: 0 1em 1em 0; border: 1px solid #eee; }
            .meta { color: #666; }
            .over { color: #b00; font-weight: bold; }
            </style></head><body>
            \(body)</body></html>

            """
    }

    func metricsTable() -> String {
        var s = "<h2>Metrics</h2>\n<table id=\"metrics\"><tr><th>scores</th><th>messages</th><th>spam</th><th>ham</th><th>AUC</th><th>average precision</th>"
        s += "<th>recall at 1% FPR</th><th>at 0.1%</th><th>at 0.01%</th><th>Brier</th><th>ECE</th></tr>\n"
        for set in sets {
            guard let m = SpamMetrics(scores: set.scores) else {
                s += "<tr><td>\(HTML.escape(set.name))</td><td colspan=\"10\">needs both spam and ham</td></tr>\n"
                continue
            }
            func pct(_ v: Double) -> String { String(format: "%.2f%%", 100 * v) }
            s += "<tr><td>\(HTML.escape(set.name))</td><td>\(m.count)</td><td>\(m.spam)</td><td>\(m.ham)</td>"
            s += String(format: "<td>%.6f</td><td>%.6f</td>", m.auc, m.averagePrecision)
            s += "<td>\(pct(m.recallAt1))</td><td>\(pct(m.recallAt01))</td><td>\(pct(m.recallAt001))</td>"
            s += "<td>\(m.brier.map { String(format: "%.5f", $0) } ?? "-")</td><td>\(m.ece.map { String(format: "%.5f", $0) } ?? "-")</td></tr>\n"
        }
        return s + "</table>\n"
    }

    /// Each action's threshold, target false-positive rate (`tag` ten times the model's target, `quarantine` the
    /// target, `reject` a tenth), and per score set the realised rate and the recall there.
    func actionTable() -> String {
        guard let points = operatingPoints else { return "" }
        var s = "<h2>Actions</h2>\n<p>At the model's thresholds; a realised rate over twice its target is marked.</p>\n"
        s += "<table id=\"actions\"><tr><th>scores</th><th>action</th><th>threshold</th><th>target FPR</th><th>realised FPR</th><th>hams</th><th>recall</th></tr>\n"
        for set in sets {
            let verdicts = set.scores.map { (action: points.action(probability: $0.0), spam: $0.1) }
            for r in Evaluation.actionRates(verdicts, targetFPR: points.targetFPR) {
                let threshold = r.action == .tag ? points.tag : r.action == .quarantine ? points.quarantine : points.reject
                let over = r.fpr > 2 * r.targetFPR ? " class=\"over\"" : ""
                s += "<tr><td>\(HTML.escape(set.name))</td><td>\(r.action.rawValue)+</td><td>\(String(format: "%.4f", threshold))</td>"
                s += String(format: "<td>%.3f%%</td><td%@>%.3f%%</td><td>%d</td><td>%.2f%%</td></tr>\n", 100 * r.targetFPR, over, 100 * r.fpr, r.falsePositives, 100 * r.recall)
            }
        }
        return s + "</table>\n"
    }

    /// Recall against the false-positive rate, the rate on a log axis from 10^-4 (where a filter is judged).
    func rocChart() -> SVGChart {
        var c = SVGChart(title: "ROC (log false-positive rate)", xLabel: "false-positive rate", yLabel: "recall (spam caught)",
                         xRange: 1e-4...1, yRange: 0...1, logX: true)
        for set in sets {
            let points = SpamMetrics.rocPoints(set.scores)
            // A step curve: recall rises at a constant false-positive rate, so each point is drawn at its rate.
            var steps: [(x: Double, y: Double)] = []
            for (fpr, tpr) in points {
                let x = max(fpr, 1e-4)
                if let last = steps.last { steps.append((x, last.y)) }
                steps.append((x, tpr))
            }
            c.series.append(.init(name: set.name, points: Self.thinned(steps)))
        }
        if let t = operatingPoints?.targetFPR { c.marks = [(10 * t, "tag"), (t, "quarantine"), (t / 10, "reject")] }
        return c
    }

    func precisionRecallChart() -> SVGChart {
        var c = SVGChart(title: "Precision and recall", xLabel: "recall", yLabel: "precision", xRange: 0...1, yRange: 0...1)
        for set in sets {
            let spam = Double(set.scores.count { $0.1 })
            var tp = 0.0, fp = 0.0
            var points: [(x: Double, y: Double)] = []
            let ordered = set.scores.sorted { $0.0 > $1.0 }
            var i = 0
            while i < ordered.count {
                var j = i
                while j < ordered.count, ordered[j].0 == ordered[i].0 {
                    if ordered[j].1 { tp += 1 } else { fp += 1 }
                    j += 1
                }
                points.append((tp / max(1, spam), tp / max(1, tp + fp)))
                i = j
            }
            c.series.append(.init(name: set.name, points: Self.thinned(points)))
        }
        return c
    }

    /// Predicted probability against the observed share of spam, in ten bins (the diagonal is perfect calibration); a
    /// bin with fewer than ``reliabilityMinimum`` messages is left out (its share is noise).
    func reliabilityChart() -> SVGChart {
        var c = SVGChart(title: "Reliability (bins of 10+ messages)", xLabel: "predicted probability of spam", yLabel: "observed share of spam",
                         xRange: 0...1, yRange: 0...1)
        c.series.append(.init(name: "perfect", points: [(0, 0), (1, 1)], dashed: true))
        for set in sets {
            var count = [Double](repeating: 0, count: 10), sum = count, positives = count
            for (p, spam) in set.scores {
                let b = min(Int(p * 10), 9)
                count[b] += 1
                sum[b] += p
                if spam { positives[b] += 1 }
            }
            let points = (0..<10).filter { count[$0] >= Double(Self.reliabilityMinimum) }.map { (x: sum[$0] / count[$0], y: positives[$0] / count[$0]) }
            c.series.append(.init(name: set.name, points: points))
        }
        return c
    }

    /// The share of each class per score bin (twenty bins), on a log scale of shares down to 10^-4... drawn as the
    /// log10 of the share plus 4, so that rare hams among high scores stay visible.
    func histogram(_ set: ScoreSet) -> SVGChart {
        let lo = set.scores.map(\.0).min() ?? 0, hi = set.scores.map(\.0).max() ?? 1
        let range = (0...1).contains(lo) && (0...1).contains(hi) ? 0.0...1.0 : lo...(hi > lo ? hi : lo + 1)
        let bins = 20
        let width = (range.upperBound - range.lowerBound) / Double(bins)
        var c = SVGChart(title: "Scores per class: \(set.name)", xLabel: "score", yLabel: "share of the class (log10, 0 = 10^-4)",
                         xRange: range, yRange: 0...4)
        for (name, isSpam) in [("ham", false), ("spam", true)] {
            let of = set.scores.filter { $0.1 == isSpam }
            var counts = [Double](repeating: 0, count: bins)
            for (p, _) in of { counts[min(bins - 1, max(0, Int((p - range.lowerBound) / width)))] += 1 }
            let points = counts.enumerated().map { i, n -> (x: Double, y: Double) in
                (range.lowerBound + Double(i) * width, n == 0 ? 0 : max(0, log10(n / Double(max(1, of.count))) + 4))
            }
            c.series.append(.init(name: "\(name) (\(of.count))", points: points, barWidth: width))
        }
        return c
    }

    /// The share of rows each stage decided, one bar group per stage.
    func stageChart() -> SVGChart {
        let stages = Array(Set(sets.flatMap { $0.stages.map(\.0) })).sorted()
        var c = SVGChart(title: "Deciding stage", xLabel: "the stage that decided", yLabel: "share of messages",
                         xRange: 0...Double(max(1, stages.count)), yRange: 0...1)
        c.categories = stages.enumerated().map { (Double($0.offset) + 0.5, $0.element) }
        for set in sets where !set.stages.isEmpty {
            let shares = Dictionary(set.stages, uniquingKeysWith: { a, _ in a })
            c.series.append(.init(name: set.name, points: stages.enumerated().map { (Double($0.offset), shares[$0.element] ?? 0) }, barWidth: 1))
        }
        return c
    }

    static let reliabilityMinimum = 10

    /// At most about 2,000 points of a curve (every n-th, and the last), so that a million rows draw quickly.
    static func thinned(_ points: [(x: Double, y: Double)]) -> [(x: Double, y: Double)] {
        guard points.count > 2_000 else { return points }
        let step = points.count / 2_000 + 1
        var out = stride(from: 0, to: points.count, by: step).map { points[$0] }
        if let last = points.last { out.append(last) }
        return out
    }
}
