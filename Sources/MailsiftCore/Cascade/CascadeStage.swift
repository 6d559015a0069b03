/// One stage of the cascade. ``Cascade`` runs its stages in order; each reads what the earlier ones left in
/// the ``CascadeContext``, adds its own output there, and either decides (and the stages after it do not
/// run) or passes the message on. A later stage (the transformer for the uncertain band) is one more
/// conformer in the list.
public protocol CascadeStage: Sendable {
    /// The stage a verdict names when this one decides.
    var kind: Cascade.Stage { get }
    /// Runs on `a`: records its output in `context`, and returns a decision or nil to pass the message on.
    func run(_ a: AnalyzedMessage, context: inout CascadeContext, scratch: inout Cascade.Scratch) -> CascadeDecision?
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
}

/// Stage 1: gradient-boosted trees over the metadata columns. With exits on, a message whose calibrated
/// tree probability lies outside the exit bands is decided here.
public struct TreeStage: CascadeStage {
    public let scorer: any TreeScorer
    public let calibration: Calibration
    /// The exit bands, or nil when the trees never decide alone (stacked mode).
    public let exits: ExitBands?
    private let columns = MetadataFeatureExtractor()
    public var kind: Cascade.Stage { .trees }

    public init(scorer: any TreeScorer, calibration: Calibration, exits: ExitBands?) {
        self.scorer = scorer
        self.calibration = calibration
        self.exits = exits
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
