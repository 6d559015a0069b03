/// Stage 2: the text model. It decides alone when no tree margin is there to combine with (a text-only
/// model, or a tree stage that failed on this message). Before a combination it also scores the view
/// models (``ViewModel``) on the same features.
public struct TextStage: CascadeStage {
    public let classifier: Classifier
    /// Each view model with the extractor's views it reads.
    public let viewModels: [(model: ViewModel, reads: [Bool])]
    /// The combiner's weight for each view model's margin (explanations scale its feature weights by it).
    public let viewWeights: [Double]
    public var kind: Cascade.Stage { .text }

    public init(classifier: Classifier, viewModels: [(model: ViewModel, reads: [Bool])] = [], viewWeights: [Double] = []) {
        precondition(viewModels.count == viewWeights.count || viewModels.isEmpty)
        self.classifier = classifier
        self.viewModels = viewModels
        self.viewWeights = viewWeights
    }

    public func run(_ a: AnalyzedMessage, context: inout CascadeContext, scratch: inout Cascade.Scratch) -> CascadeDecision? {
        let margin = classifier.score(a, scratch: &scratch.text).margin
        context.textMargin = margin
        guard context.treeMargin == nil else {
            context.viewMargins = viewModels.map { $0.model.margin(scratch.text.features, reads: $0.reads) }
            return nil
        }
        return .probability(classifier.bundle.manifest.calibration.probability(margin: margin + context.rules.score))
    }

    /// The text features with the largest weights toward the verdict. After a combination, a feature's
    /// weight is the text model's times `scale` plus each view model's that reads it times its combiner
    /// weight: what the feature added to the combined log-odds.
    public func reasons(_ a: AnalyzedMessage, verdict: Cascade.Verdict, scale: Double, count: Int, scratch: inout Cascade.Scratch) -> [Cascade.Reason] {
        guard let margin = verdict.textMargin else { return [] }
        let score = Classifier.Score(label: verdict.label, probability: verdict.probability, action: verdict.action, margin: margin, distribution: [])
        let main = classifier.bundle.model
        let views = verdict.stage == .combined && verdict.viewMargins.count == viewModels.count ? viewModels : []
        // The text stage ran on this message with this scratch: its features are there.
        return classifier.reasons(a, score: score, features: scratch.text.features, count: count) { view, row in
            var w = scale * Double(main.weight(row: row, output: 0))
            for (i, v) in views.enumerated() where v.reads[view] { w += viewWeights[i] * Double(v.model.model.weight(row: row, output: 0)) }
            return w
        }.map {
            Cascade.Reason(stage: .text, feature: $0.feature, weight: $0.weight, text: Classifier.describe($0.view, $0.feature, $0.weight))
        }
    }
}
