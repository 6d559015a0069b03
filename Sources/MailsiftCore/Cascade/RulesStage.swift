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
    public func reasons(_ a: AnalyzedMessage, verdict: Cascade.Verdict, scale: Double, count: Int, scratch: inout Cascade.Scratch) -> [Cascade.Reason] {
        verdict.rules.hits.map { Cascade.Reason(stage: .rules, feature: $0.name, weight: $0.score, text: $0.description) }
    }
}
