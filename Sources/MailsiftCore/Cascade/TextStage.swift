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
        // The text stage ran on this message with this scratch: its features are there.
        let x = scratch.text.features
        guard verdict.stage == .combined || verdict.stage == .transformer, !viewModels.isEmpty, verdict.viewMargins.count == viewModels.count else {
            return classifier.reasons(a, score: score, features: x, count: count).map {
                Cascade.Reason(stage: .text, feature: $0.feature, weight: $0.weight * scale, text: Classifier.describe($0.view, $0.feature, $0.weight * scale))
            }
        }
        return classifier.reasons(a, score: score, features: x, count: count, rowWeights: combinedRowWeights(x, scale: scale)).map {
            Cascade.Reason(stage: .text, feature: $0.feature, weight: $0.weight, text: Classifier.describe($0.view, $0.feature, $0.weight))
        }
    }

    /// Each of `x`'s rows' weight in the combined log-odds: the text model's times `scale`, plus each view
    /// model's that reads the row's view times its combiner weight. Plain loops over the weight tables (this
    /// runs for every explained verdict, over thousands of rows).
    func combinedRowWeights(_ x: SparseFeatures, scale: Double) -> [Double] {
        var out = [Double](repeating: 0, count: x.count)
        out.withUnsafeMutableBufferPointer { o in
            x.rows.withUnsafeBufferPointer { rows in
                classifier.bundle.model.weights.withUnsafeBufferPointer { w in
                    for k in 0..<rows.count { o[k] = scale * Double(w[Int(rows[k])]) }
                }
                for (i, view) in viewModels.enumerated() {
                    let c = viewWeights[i]
                    view.model.model.weights.withUnsafeBufferPointer { w in
                        var start = 0
                        for (v, end) in x.viewEnds.enumerated() {
                            if v < view.reads.count, view.reads[v] { for k in start..<end { o[k] += c * Double(w[Int(rows[k])]) } }
                            start = end
                        }
                    }
                }
            }
        }
        return out
    }
}
