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
    public func reasons(_ a: AnalyzedMessage, verdict: Cascade.Verdict, scale: Double, count: Int, scratch: inout Cascade.Scratch) -> [Cascade.Reason] {
        guard let margin = verdict.textMargin else { return [] }
        let score = Classifier.Score(label: verdict.label, probability: verdict.probability, action: verdict.action, margin: margin, distribution: [])
        // The text stage ran on this message with this scratch: its features are there.
        return classifier.reasons(a, score: score, features: scratch.text.features, count: count).map {
            Cascade.Reason(stage: .text, feature: $0.feature, weight: $0.weight * scale, text: Classifier.describe($0.view, $0.feature, $0.weight * scale))
        }
    }
}
