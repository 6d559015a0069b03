import Foundation

/// The tree stage's model, behind a port: the XGBoost adapter (`MailsiftTrees`) implements it.
public protocol TreeScorer: Sendable {
    /// The raw score (log-odds) of one row of ``MetadataFeature`` columns.
    func treeMargin(of row: [Float]) throws -> Float
    /// Each column's additive contribution to the margin, then the bias.
    func treeContributions(of row: [Float]) throws -> [Float]
}

/// The stages of a spam verdict, in order: rules (stage 0), gradient-boosted trees on metadata (stage 1),
/// the text model (stage 2), and their combination, each a ``CascadeStage`` in ``stages``. Cheap stages
/// first; in ``CascadeManifest/Mode/cascade`` mode a message the trees are sure of skips the text model.
/// Immutable and `Sendable`; each thread brings its own ``Scratch``.
public struct Cascade: Sendable {
    public let bundle: ModelBundle
    public let rules: RuleSet
    public let text: Classifier
    /// Nil for a text-only model (or when the tree model failed to load: the text model then decides alone).
    public let trees: (any TreeScorer)?
    public let mode: CascadeManifest.Mode
    /// The stages, in the order they run.
    public let stages: [any CascadeStage]
    private let columns = MetadataFeatureExtractor()

    public init(bundle: ModelBundle, rules: RuleSet = .empty, trees: (any TreeScorer)?, mode: CascadeManifest.Mode? = nil) {
        self.bundle = bundle
        self.rules = rules
        text = Classifier(bundle: bundle)
        let manifest = bundle.manifest.cascade
        self.trees = manifest == nil ? nil : trees
        self.mode = mode ?? manifest?.mode ?? .stacked
        var stages: [any CascadeStage] = [RulesStage(rules: rules)]
        if let manifest, let scorer = self.trees {
            let exits = self.mode == .cascade ? manifest.exitBands : nil
            stages.append(TreeStage(scorer: scorer, calibration: manifest.treeCalibration, exits: exits))
        }
        stages.append(TextStage(classifier: text))
        if let manifest, self.trees != nil { stages.append(CombinationStage(combiner: manifest.combiner)) }
        self.stages = stages
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

    /// Runs the stages in order until one decides.
    public func classify(_ a: AnalyzedMessage, envelope: Envelope = Envelope(), scratch: inout Scratch) -> Verdict {
        var context = CascadeContext(envelope: envelope)
        for stage in stages {
            guard let decision = stage.run(a, context: &context, scratch: &scratch) else { continue }
            switch decision {
            case .action(let action):
                let spam = action >= .quarantine
                let labels = bundle.manifest.labels
                return Verdict(label: spam ? labels[1] : labels[0], probability: spam ? 1 : 0, action: action, stage: stage.kind, rules: context.rules)
            case .probability(let p):
                var v = verdict(p, stage: stage.kind, text: context.textMargin, tree: context.treeMargin, context.rules)
                v.treeError = context.treeError
                return v
            }
        }
        // The text stage always decides when nothing is left to combine; this is never reached.
        preconditionFailure("no stage decided")
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
