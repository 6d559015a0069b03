/// The last stage: the stacked combiner over the text and tree margins and the view models' (its output
/// is a calibrated probability), plus the rules' scores.
public struct CombinationStage: CascadeStage {
    public let combiner: StackedCombiner
    public var kind: Cascade.Stage { .combined }

    public init(combiner: StackedCombiner) { self.combiner = combiner }

    public func run(_ a: AnalyzedMessage, context: inout CascadeContext, scratch: inout Cascade.Scratch) -> CascadeDecision? {
        guard let text = context.textMargin, let tree = context.treeMargin else { return nil }
        return .probability(LinearModel.sigmoid(combiner.margin([text, tree] + context.viewMargins) + context.rules.score))
    }
}
