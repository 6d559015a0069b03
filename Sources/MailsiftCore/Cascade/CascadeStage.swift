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
    /// the stage did not run on the message), weights in log-odds times `scale`. `scratch` is the one the
    /// verdict was reached with: what the stage computed is still there.
    func reasons(_ a: AnalyzedMessage, verdict: Cascade.Verdict, scale: Double, count: Int, scratch: inout Cascade.Scratch) -> [Cascade.Reason]
}

extension CascadeStage {
    public func reasons(_ a: AnalyzedMessage, verdict: Cascade.Verdict, scale: Double, count: Int, scratch: inout Cascade.Scratch) -> [Cascade.Reason] { [] }
}

/// What the stages have found so far about one message.
public struct CascadeContext: Sendable {
    public var envelope: Envelope
    /// What the sender state store knew about the senders (velocity, reputation), when one is used.
    public var sender: SenderState?
    /// The rules that hit (stage 0); their scores are added to the log-odds of every later decision.
    public var rules = RuleSet.Outcome()
    /// The tree stage's raw score (log-odds), when it ran and succeeded.
    public var treeMargin: Double?
    /// The metadata columns the tree stage scored (kept for its explanations).
    public var treeRow: [Float]?
    /// Why the tree stage failed on this message, when it did (the text model then decides alone).
    public var treeError: String?
    /// The text model's raw score (log-odds), when it ran.
    public var textMargin: Double?
    /// The view models' margins (``Cascade/viewModels``), when the text stage ran before a combination.
    public var viewMargins: [Double] = []

    public init(envelope: Envelope, sender: SenderState? = nil) {
        self.envelope = envelope
        self.sender = sender
    }
}

/// A stage's decision: an action straight from a rule, or a calibrated probability of spam.
public enum CascadeDecision: Sendable, Equatable {
    case action(Action)
    case probability(Double)
}
