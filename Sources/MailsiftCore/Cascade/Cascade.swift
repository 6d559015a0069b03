import Foundation

/// The tree stage's model, behind a port: the XGBoost adapter (`MailsiftTrees`) implements it.
public protocol TreeScorer: Sendable {
    /// The raw score (log-odds) of one row of ``MetadataFeature`` columns.
    func treeMargin(of row: [Float]) throws -> Float
    /// Each column's additive contribution to the margin, then the bias.
    func treeContributions(of row: [Float]) throws -> [Float]
}

/// The stages of a spam verdict, in order: rules (stage 0), gradient-boosted trees on metadata (stage 1),
/// the text model (stage 2), and their combination. Cheap stages first; in ``CascadeManifest/Mode/cascade``
/// mode a message the trees are sure of skips the text model. Immutable and `Sendable`; each thread brings
/// its own ``Scratch``.
public struct Cascade: Sendable {
    public let bundle: ModelBundle
    public let rules: RuleSet
    public let text: Classifier
    /// Nil for a text-only model (or when the tree model failed to load: the text model then decides alone).
    public let trees: (any TreeScorer)?
    public let mode: CascadeManifest.Mode
    private let columns = MetadataFeatureExtractor()

    public init(bundle: ModelBundle, rules: RuleSet = .empty, trees: (any TreeScorer)?, mode: CascadeManifest.Mode? = nil) {
        self.bundle = bundle
        self.rules = rules
        text = Classifier(bundle: bundle)
        self.trees = bundle.manifest.cascade == nil ? nil : trees
        self.mode = mode ?? bundle.manifest.cascade?.mode ?? .stacked
    }

    public var extractor: FeatureExtractor { text.extractor }

    public struct Scratch: Sendable {
        var text: Classifier.Scratch
        var row: [Float] = []
    }

    public func makeScratch() -> Scratch { Scratch(text: text.makeScratch()) }

    /// Which stage decided.
    public enum Stage: String, Codable, Sendable, CaseIterable {
        case rules, trees, text, combined
    }

    public struct Verdict: Sendable {
        public var label: String
        /// The calibrated probability of spam.
        public var probability: Double
        public var action: Action
        public var stage: Stage
        /// The stages' raw scores (log-odds) where they ran.
        public var textMargin: Double?
        public var treeMargin: Double?
        public var rules: RuleSet.Outcome
        /// The tree stage failed on this message (its error), and the verdict came without it.
        public var treeError: String?
    }

    public func classify(_ a: AnalyzedMessage, envelope: Envelope = Envelope(), scratch: inout Scratch) -> Verdict {
        let m = bundle.manifest
        let labels = m.labels
        let outcome = rules.evaluate(a, envelope: envelope)
        if let action = outcome.action {
            let spam = action >= .quarantine
            return Verdict(label: spam ? labels[1] : labels[0], probability: spam ? 1 : 0, action: action, stage: .rules, rules: outcome)
        }
        var treeMargin: Double? = nil
        var treeError: String? = nil
        if let trees, let c = m.cascade {
            columns.values(of: a, into: &scratch.row)
            do {
                let margin = Double(try trees.treeMargin(of: scratch.row))
                treeMargin = margin
                if mode == .cascade {
                    let p = c.treeCalibration.probability(margin: margin + outcome.score)
                    if p < c.exitBands.hamBelow || p >= c.exitBands.spamAbove {
                        return verdict(p, stage: .trees, text: nil, tree: margin, outcome)
                    }
                }
            } catch {
                treeError = "\(error)"
            }
        }
        let score = text.score(a, scratch: &scratch.text)
        guard let c = m.cascade, let treeMargin else {
            var v = verdict(m.calibration.probability(margin: score.margin + outcome.score), stage: .text, text: score.margin, tree: nil, outcome)
            v.treeError = treeError
            return v
        }
        let p = LinearModel.sigmoid(c.combiner.margin([score.margin, treeMargin]) + outcome.score)
        return verdict(p, stage: .combined, text: score.margin, tree: treeMargin, outcome)
    }

    private func verdict(_ p: Double, stage: Stage, text: Double?, tree: Double?, _ outcome: RuleSet.Outcome) -> Verdict {
        let m = bundle.manifest
        let points = m.operatingPoints
        let spam = points?.isSpam(probability: p) ?? (p >= 0.5)
        let action = points?.action(probability: p) ?? (spam ? .quarantine : .inbox)
        return Verdict(
            label: spam ? m.labels[1] : m.labels[0], probability: p, action: action, stage: stage, textMargin: text, treeMargin: tree,
            rules: outcome
        )
    }

    // MARK: - Explanations

    /// A reason for a verdict, in words, with the stage it came from.
    public struct Reason: Sendable, Hashable, Codable {
        public var stage: Stage
        public var feature: String
        /// Log-odds toward the verdict.
        public var weight: Double
        public var text: String
    }

    /// Why: the rules that hit, then the tree columns and text features that pushed hardest toward the
    /// verdict, strongest first within each stage.
    public func reasons(_ a: AnalyzedMessage, verdict: Verdict, count: Int = 8) -> [Reason] {
        var out = verdict.rules.hits.map { hit in
            Reason(stage: .rules, feature: hit.name, weight: hit.score, text: hit.description)
        }
        guard count > 0 else { return out }
        let spam = verdict.label == bundle.manifest.labels[1]
        if verdict.stage != .rules, let trees, verdict.treeMargin != nil {
            let row = columns.values(of: a)
            if let contributions = try? trees.treeContributions(of: row) {
                let weight = bundle.manifest.cascade.map { verdict.stage == .trees ? 1 : $0.combiner.weights[1] } ?? 1
                var tree: [Reason] = []
                for f in MetadataFeature.allCases where f.rawValue < contributions.count {
                    let w = Double(contributions[f.rawValue]) * weight * (spam ? 1 : -1)
                    guard w > 0.01 else { continue }
                    let value = row[f.rawValue]
                    let shown = value.isNaN ? "unknown" : (value == value.rounded() ? String(Int(value)) : String(format: "%.2f", value))
                    tree.append(Reason(stage: .trees, feature: f.name, weight: w, text: String(format: "%@: %@ (+%.2f)", f.summary, shown, w)))
                }
                out += tree.sorted { $0.weight > $1.weight }.prefix(count)
            }
        }
        if verdict.textMargin != nil {
            let score = Classifier.Score(label: verdict.label, probability: verdict.probability, action: verdict.action, margin: verdict.textMargin ?? 0, distribution: [])
            let weight = bundle.manifest.cascade.map { verdict.stage == .combined ? $0.combiner.weights[0] : 1 } ?? 1
            out += text.reasons(a, score: score, count: count).map {
                Reason(stage: .text, feature: $0.feature, weight: $0.weight * weight, text: Classifier.describe($0.view, $0.feature, $0.weight * weight))
            }
        }
        return out
    }
}
