import Foundation

extension Cascade {
    /// The text model's input rebuilt from logged rows and view ends (values from the model's weighting).
    public func textFeatures(rows: [UInt32], viewEnds: [Int]) -> SparseFeatures {
        var x = SparseFeatures()
        x.rows = rows
        x.viewEnds = viewEnds
        x.weigh(by: bundle.idf, normalize: bundle.manifest.features.normalizeViews)
        return x
    }

    /// The spam probability and deciding stage of a logged classification, from its features alone (no
    /// message): the tree row, the text rows and the rules' score, through the stages of
    /// ``classify(_:envelope:sender:scratch:)`` after the rules (a rule's direct action is not replayed).
    /// Retraining and the validation gate score models this way; a test checks it against `classify` on
    /// corpus messages.
    public func probability(of entry: FeatureLogEntry) -> (probability: Double, stage: Stage) {
        let x = textFeatures(rows: entry.textRows, viewEnds: entry.textViewEnds)
        let textMargin = bundle.model.margin(x)
        let rules = entry.rulesScore
        guard let manifest = bundle.manifest.cascade, let trees, let treeMargin = try? trees.treeMargin(of: entry.treeRow).double else {
            return (bundle.manifest.calibration.probability(margin: textMargin + rules), .text)
        }
        if mode == .cascade {
            let p = manifest.treeCalibration.probability(margin: treeMargin + rules)
            if p < manifest.exitBands.hamBelow || (p >= manifest.exitBands.spamAbove && p < spamExitBelow) { return (p, .trees) }
        }
        return (LinearModel.sigmoid(manifest.combiner.margin([textMargin, treeMargin] + viewMargins(x)) + rules), .combined)
    }

    /// The view models' margins on a message's text features (``textFeatures(rows:viewEnds:)``).
    public func viewMargins(_ x: SparseFeatures) -> [Double] {
        zip(viewModels, viewReads).map { $0.margin(x, reads: $1) }
    }
}

extension Float {
    fileprivate var double: Double { Double(self) }
}
