import Foundation
import MailsiftCore

/// Scores labelled messages with a model and computes the metrics of `../shared/eval/README.md`.
public struct Evaluation: Sendable {
    public struct Row: Sendable {
        public var id: String
        public var label: String
        public var predicted: String
        /// Spam models: the calibrated probability of spam. Topic models: the probability of `predicted`.
        public var probability: Double
        /// Spam models: the stage that decided.
        public var stage: Cascade.Stage?
        public var textMargin: Double?
        public var treeMargin: Double?
        /// Spam models: the action the verdict took (rules included).
        public var action: Action? = nil
    }

    public var rows: [Row]
    public var spam: SpamMetrics?
    public var classes: ClassMetrics?
    public let kind: ModelManifest.Kind
    let positive: String

    /// Spam models: every message through the cascade (rules, trees, text, combination), on every core. With
    /// `verifies`, a message that claims to be a reply is read without the claim unless `verifies` says it names
    /// mail the site knows, as `serve` does (``ReplyClaim``); nil: replies read as written. List fields are
    /// read as `lists` says (``ListClaim``; by default as `serve` reads them for a list no user reads yet). Authentication results
    /// count as `trust` says (``AuthenticationTrust``).
    public init(
        cascade: Cascade, messages: [CorpusMessage], progress: (any ProgressReporter)? = nil, verifies: (@Sendable (ReplyClaim) -> Bool)? = nil,
        lists: ListClaim.Reading = .corroborated, trust: AuthenticationTrust = .none
    ) {
        let manifest = cascade.bundle.manifest
        kind = manifest.kind
        let positive = manifest.labels.last ?? "spam"
        let negative = manifest.labels.first ?? "ham"
        self.positive = positive
        rows = ParallelMap.map(messages, progress: progress, makeScratch: cascade.makeScratch) { m, scratch in
            let parsed = try? cascade.extractor.analyzer.parser.parse(m.bytes)
            let claim = parsed.map(ReplyClaim.init)
            let discount = verifies.map { check in claim.map { $0.claims && !check($0) } ?? false } ?? false
            guard let parsed, case let a = cascade.extractor.analyze(parsed, discountingReply: discount, lists: lists, trust: trust) else {
                // Unparseable: scored as the text model scores a message with no features.
                let p = manifest.calibration.probability(margin: cascade.text.bundle.model.margin(SparseFeatures()))
                let spam = manifest.operatingPoints?.isSpam(probability: p) ?? (p >= 0.5)
                return Row(
                    id: m.id, label: m.label, predicted: spam ? positive : negative, probability: p, stage: .text,
                    action: manifest.operatingPoints?.action(probability: p))
            }
            let v = cascade.classify(a, scratch: &scratch)
            return Row(
                id: m.id, label: m.label, predicted: v.label, probability: v.probability, stage: v.stage, textMargin: v.textMargin,
                treeMargin: v.treeMargin, action: v.action)
        }
        let pairs = rows.map { ($0.probability, $0.label == positive) }
        spam = SpamMetrics(scores: pairs, verdicts: rows.map { $0.predicted == positive })
    }

    /// Topic models (and text-only scoring): featurise, then the linear model.
    public init(classifier: Classifier, messages: [CorpusMessage], progress: (any ProgressReporter)? = nil) {
        let manifest = classifier.bundle.manifest
        kind = manifest.kind
        positive = manifest.labels.last ?? "spam"
        let items = Featurizer.featurize(messages, configuration: manifest.features, idf: classifier.extractor.idf, progress: progress)
        var scratch = classifier.makeScratch()
        rows = zip(messages, items).map { m, item in
            let s = classifier.score(item.features, scratch: &scratch)
            return Row(id: m.id, label: m.label, predicted: s.label, probability: s.probability, stage: manifest.kind == .spam ? .text : nil, textMargin: s.margin)
        }
        if kind == .spam {
            let pairs = rows.map { ($0.probability, $0.label == positive) }
            spam = SpamMetrics(scores: pairs, verdicts: rows.map { $0.predicted == positive })
        } else {
            classes = ClassMetrics(pairs: rows.map { ($0.label, $0.predicted) })
        }
    }

    /// One graded action's realised rates on these rows beside the false-positive rate its threshold was
    /// chosen for (``OperatingPoints``: `tag` at ten times the target, `quarantine` at it, `reject` at a tenth).
    public struct ActionRate: Sendable {
        public var action: Action
        public var targetFPR: Double
        /// Hams at this action or above, and their share of all hams.
        public var falsePositives: Int
        public var fpr: Double
        /// The share of spams at this action or above.
        public var recall: Double
    }

    /// Spam models with operating points: the realised rates at `tag`, `quarantine` and `reject`.
    public func actionRates(targetFPR: Double) -> [ActionRate] {
        let verdicts = rows.compactMap { r in r.action.map { (action: $0, spam: r.label == positive) } }
        guard verdicts.count == rows.count else { return [] }
        return Self.actionRates(verdicts, targetFPR: targetFPR)
    }

    /// The realised rates of any list of actions (the model's, the server's fallback, the rules alone); empty
    /// without both classes.
    public static func actionRates(_ verdicts: [(action: Action, spam: Bool)], targetFPR: Double) -> [ActionRate] {
        let hams = verdicts.count { !$0.spam }, spams = verdicts.count { $0.spam }
        guard hams > 0, spams > 0 else { return [] }
        return [(Action.tag, 10.0), (.quarantine, 1), (.reject, 0.1)].map { action, scale in
            let fp = verdicts.count { !$0.spam && $0.action >= action }
            return ActionRate(
                action: action, targetFPR: targetFPR * scale, falsePositives: fp, fpr: Double(fp) / Double(hams),
                recall: Double(verdicts.count { $0.spam && $0.action >= action }) / Double(spams))
        }
    }

    /// The share of messages each stage decided, by stage name.
    public var stageShares: [(Cascade.Stage, Double)] {
        let n = Double(max(rows.count, 1))
        return Cascade.Stage.allCases.map { stage in (stage, Double(rows.count { $0.stage == stage }) / n) }
    }

    /// The scores file: `id label score verdict` for spam models (labels written as spam / ham, as
    /// `metrics.py` reads them), `id label predicted` for topic models.
    public func scoresFile() -> String {
        var lines: [String] = []
        if kind == .spam {
            lines.append("id\tlabel\tscore\tverdict")
            for r in rows {
                let label = r.label == positive ? "spam" : "ham"
                let verdict = r.predicted == positive ? "spam" : "ham"
                lines.append("\(r.id)\t\(label)\t\(Evaluation.format(r.probability))\t\(verdict)")
            }
        } else {
            lines.append("id\tlabel\tpredicted")
            for r in rows { lines.append("\(r.id)\t\(r.label)\t\(r.predicted)") }
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
