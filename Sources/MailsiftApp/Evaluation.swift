import Foundation
import MailsiftCore

/// Scores labelled messages with a model and computes the metrics of `../shared/eval/README.md`.
public struct Evaluation: Sendable {
    public struct Row: Sendable {
        public var id: String
        public var label: String
        public var score: Classifier.Score
    }

    public var rows: [Row]
    public var spam: SpamMetrics?
    public var classes: ClassMetrics?
    public let kind: ModelManifest.Kind
    let positive: String

    public init(classifier: Classifier, messages: [CorpusMessage], progress: ProgressBar? = nil) {
        let manifest = classifier.bundle.manifest
        kind = manifest.kind
        positive = manifest.labels.last ?? "spam"
        let items = Featurizer.featurize(messages, configuration: manifest.features, progress: progress)
        var scratch = classifier.makeScratch()
        rows = zip(messages, items).map { m, item in
            Row(id: m.id, label: m.label, score: classifier.score(item.features, scratch: &scratch))
        }
        if kind == .spam {
            let pairs = rows.map { ($0.score.probability, $0.label == positive) }
            spam = SpamMetrics(scores: pairs, verdicts: rows.map { $0.score.label == positive })
        } else {
            classes = ClassMetrics(pairs: rows.map { ($0.label, $0.score.label) })
        }
    }

    /// The scores file: `id label score verdict` for spam models (labels written as spam / ham, as
    /// `metrics.py` reads them), `id label predicted` for topic models.
    public func scoresFile() -> String {
        var lines: [String] = []
        if kind == .spam {
            lines.append("id\tlabel\tscore\tverdict")
            for r in rows {
                let label = r.label == positive ? "spam" : "ham"
                let verdict = r.score.label == positive ? "spam" : "ham"
                lines.append("\(r.id)\t\(label)\t\(Evaluation.format(r.score.probability))\t\(verdict)")
            }
        } else {
            lines.append("id\tlabel\tpredicted")
            for r in rows { lines.append("\(r.id)\t\(r.label)\t\(r.score.label)") }
        }
        return lines.joined(separator: "\n") + "\n"
    }

    /// Shortest text that reads back as the same Double, so the reference script sees our exact scores.
    static func format(_ x: Double) -> String { "\(x)" }

    public func table(file: String) -> String {
        if let spam { return SpamMetrics.table([spam.formatted(file: file)]) }
        if let classes { return SpamMetrics.table([classes.formatted(file: file)]) }
        return "no metrics (the test rows need both spam and ham)"
    }
}
