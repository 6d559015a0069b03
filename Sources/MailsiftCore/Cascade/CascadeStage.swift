import Foundation

/// One stage of the cascade. ``Cascade`` runs its stages in order; each reads what the earlier ones left in
/// the ``CascadeContext``, adds its own output there, and either decides (and the stages after it do not
/// run) or passes the message on. A later stage (the transformer for the uncertain band) is one more
/// conformer in the list.
public protocol CascadeStage: Sendable {
    /// The stage a verdict names when this one decides.
    var kind: Cascade.Stage { get }
    /// Runs on `a`: records its output in `context`, and returns a decision or nil to pass the message on.
    func run(_ a: AnalyzedMessage, context: inout CascadeContext, scratch: inout Cascade.Scratch) -> CascadeDecision?
    /// Why, in words: at most `count` of what in this stage's output pushed toward `verdict` (nothing when
    /// the stage did not run on the message), weights in log-odds times `scale`.
    func reasons(_ a: AnalyzedMessage, verdict: Cascade.Verdict, scale: Double, count: Int) -> [Cascade.Reason]
}

extension CascadeStage {
    public func reasons(_ a: AnalyzedMessage, verdict: Cascade.Verdict, scale: Double, count: Int) -> [Cascade.Reason] { [] }
}

/// What the stages have found so far about one message.
public struct CascadeContext: Sendable {
    public var envelope: Envelope
    /// The rules that hit (stage 0); their scores are added to the log-odds of every later decision.
    public var rules = RuleSet.Outcome()
    /// The tree stage's raw score (log-odds), when it ran and succeeded.
    public var treeMargin: Double?
    /// Why the tree stage failed on this message, when it did (the text model then decides alone).
    public var treeError: String?
    /// The text model's raw score (log-odds), when it ran.
    public var textMargin: Double?

    public init(envelope: Envelope) { self.envelope = envelope }
}

/// A stage's decision: an action straight from a rule, or a calibrated probability of spam.
public enum CascadeDecision: Sendable, Equatable {
    case action(Action)
    case probability(Double)
}

/// Stage 0: the rules. A rule with an action decides; scoring rules only add to the context.
public struct RulesStage: CascadeStage {
    public let rules: RuleSet
    public var kind: Cascade.Stage { .rules }

    public init(rules: RuleSet) { self.rules = rules }

    public func run(_ a: AnalyzedMessage, context: inout CascadeContext, scratch: inout Cascade.Scratch) -> CascadeDecision? {
        context.rules = rules.evaluate(a, envelope: context.envelope)
        return context.rules.action.map(CascadeDecision.action)
    }

    /// Every rule that hit (whatever `count` is), with its score.
    public func reasons(_ a: AnalyzedMessage, verdict: Cascade.Verdict, scale: Double, count: Int) -> [Cascade.Reason] {
        verdict.rules.hits.map { Cascade.Reason(stage: .rules, feature: $0.name, weight: $0.score, text: $0.description) }
    }
}

/// Stage 1: gradient-boosted trees over the metadata columns. With exits on, a message whose calibrated
/// tree probability lies outside the exit bands is decided here.
public struct TreeStage: CascadeStage {
    public let scorer: any TreeScorer
    public let calibration: Calibration
    /// The exit bands, or nil when the trees never decide alone (stacked mode).
    public let exits: ExitBands?
    /// The positive label: contributions toward it explain a spam verdict, those against it a ham one.
    public let spamLabel: String
    private let columns = MetadataFeatureExtractor()
    public var kind: Cascade.Stage { .trees }

    public init(scorer: any TreeScorer, calibration: Calibration, exits: ExitBands?, spamLabel: String) {
        self.scorer = scorer
        self.calibration = calibration
        self.exits = exits
        self.spamLabel = spamLabel
    }

    public func run(_ a: AnalyzedMessage, context: inout CascadeContext, scratch: inout Cascade.Scratch) -> CascadeDecision? {
        columns.values(of: a, into: &scratch.row)
        do {
            let margin = Double(try scorer.treeMargin(of: scratch.row))
            context.treeMargin = margin
            if let exits {
                let p = calibration.probability(margin: margin + context.rules.score)
                if p < exits.hamBelow || p >= exits.spamAbove { return .probability(p) }
            }
        } catch {
            context.treeError = "\(error)"
        }
        return nil
    }

    /// The columns with the largest contributions toward the verdict (XGBoost's per-feature contributions).
    public func reasons(_ a: AnalyzedMessage, verdict: Cascade.Verdict, scale: Double, count: Int) -> [Cascade.Reason] {
        guard count > 0, verdict.treeMargin != nil else { return [] }
        let row = columns.values(of: a)
        guard let contributions = try? scorer.treeContributions(of: row) else { return [] }
        let sign: Double = verdict.label == spamLabel ? 1 : -1
        var out: [Cascade.Reason] = []
        for f in MetadataFeature.allCases where f.rawValue < contributions.count {
            let w = Double(contributions[f.rawValue]) * scale * sign
            guard w > 0.01 else { continue }
            let value = row[f.rawValue]
            let shown = value.isNaN ? "unknown" : (value == value.rounded() ? String(Int(value)) : String(format: "%.2f", value))
            out.append(Cascade.Reason(stage: .trees, feature: f.name, weight: w, text: String(format: "%@: %@ (+%.2f)", f.summary, shown, w)))
        }
        return Array(out.sorted { $0.weight > $1.weight }.prefix(count))
    }
}

/// Stage 2: the text model. It decides alone when no tree margin is there to combine with (a text-only
/// model, or a tree stage that failed on this message).
public struct TextStage: CascadeStage {
    public let classifier: Classifier
    public var kind: Cascade.Stage { .text }

    public init(classifier: Classifier) { self.classifier = classifier }

    public func run(_ a: AnalyzedMessage, context: inout CascadeContext, scratch: inout Cascade.Scratch) -> CascadeDecision? {
        let margin = classifier.score(a, scratch: &scratch.text).margin
        context.textMargin = margin
        guard context.treeMargin == nil else { return nil }
        return .probability(classifier.bundle.manifest.calibration.probability(margin: margin + context.rules.score))
    }

    /// The text features with the largest weights toward the verdict.
    public func reasons(_ a: AnalyzedMessage, verdict: Cascade.Verdict, scale: Double, count: Int) -> [Cascade.Reason] {
        guard let margin = verdict.textMargin else { return [] }
        let score = Classifier.Score(label: verdict.label, probability: verdict.probability, action: verdict.action, margin: margin, distribution: [])
        return classifier.reasons(a, score: score, count: count).map {
            Cascade.Reason(stage: .text, feature: $0.feature, weight: $0.weight * scale, text: Classifier.describe($0.view, $0.feature, $0.weight * scale))
        }
    }
}

/// The last stage: the stacked combiner over the text and tree margins (its output is a calibrated
/// probability), plus the rules' scores.
public struct CombinationStage: CascadeStage {
    public let combiner: StackedCombiner
    public var kind: Cascade.Stage { .combined }

    public init(combiner: StackedCombiner) { self.combiner = combiner }

    public func run(_ a: AnalyzedMessage, context: inout CascadeContext, scratch: inout Cascade.Scratch) -> CascadeDecision? {
        guard let text = context.textMargin, let tree = context.treeMargin else { return nil }
        return .probability(LinearModel.sigmoid(combiner.margin([text, tree]) + context.rules.score))
    }
}
