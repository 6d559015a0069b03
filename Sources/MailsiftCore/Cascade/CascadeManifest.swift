/// How a spam model's stages are combined, stored in its manifest: the tree stage (its columns, how it was
/// trained, the calibration of its margin), the stacked combiner over the stage margins, whether and where
/// the tree stage may decide alone, and each stage's out-of-fold figures.
public struct CascadeManifest: Codable, Sendable, Hashable {
    public enum Mode: String, Codable, Sendable, CaseIterable {
        /// Every message runs every stage; the combiner decides.
        case stacked
        /// A message the tree stage scores inside an exit band is decided there; the rest as `stacked`.
        case cascade
    }

    /// The ``MetadataFeature`` names, in the columns' order, as trained.
    public var treeFeatures: [String]
    public var treeParameters: TreeParameters
    public var treeRounds: Int
    /// When retraining added correction trees (``treeRounds`` counts them too): how many rounds the trained
    /// model had. The next retraining starts again from those, so corrections do not pile up. Nil: none.
    public var baseTreeRounds: Int?
    /// Maps the tree margin to a probability (fitted on out-of-fold margins).
    public var treeCalibration: Calibration
    /// Inputs: `[text margin, tree margin]`, then one margin per view model, in ``viewModels``' order.
    public var combiner: StackedCombiner
    /// Linear text models over some views only (``ViewModel``), whose margins the combiner reads too; nil
    /// or empty in a model trained without them.
    public var viewModels: [ViewModel.Spec]?
    public var mode: Mode
    public var exitBands: ExitBands
    /// `reject` only on agreement: a message gets `reject` only when the text model alone and the trees alone
    /// each give it at least this calibrated probability of spam; otherwise it is quarantined (recoverable)
    /// and the verdict says the reject was withheld. The trees then never decide a reject alone: a message
    /// they would exit with at the reject level goes on to the text stage and the combination. On mail unlike
    /// the training mail the stages disagree, and a reject there is the one mistake a user cannot undo
    /// (docs/generalisation.md). Nil (models trained before it): no guard.
    public var rejectAgreement: Double?
    /// Columns the trees were trained without (`train --drop-tree-columns`): missing in every training row, so
    /// no tree splits on them and their values never reach a verdict; retraining keeps them out too. Nil or
    /// empty: none.
    public var droppedTreeFeatures: [String]?
    /// The transformer stage (`train --transformer`), nil without one.
    public var transformer: TransformerSpec?
    /// Out-of-fold figures per stage and combination (`text`, `trees`, `stacked`, `cascade`).
    public var outOfFold: [String: [String: Double]]
    /// The served probability's distribution out of fold on the training side, per class (the dashboard's baseline);
    /// nil in models trained before it was recorded.
    public var scoreHistogram: ScoreHistogram?

    /// The dropped columns' indices (names this build does not know are skipped).
    public var droppedTreeColumns: [Int] {
        (droppedTreeFeatures ?? []).compactMap { MetadataFeature.names.firstIndex(of: $0) }.filter { $0 < treeFeatures.count }
    }

    /// Sets the dropped columns of each row (`width` values per row, row after row) to missing.
    public static func mask(_ rows: inout [Float], width: Int, columns: [Int]) {
        guard !columns.isEmpty, width > 0 else { return }
        var start = 0
        while start + width <= rows.count {
            for c in columns where c < width { rows[start + c] = .nan }
            start += width
        }
    }

    public init(
        treeFeatures: [String], treeParameters: TreeParameters, treeRounds: Int, treeCalibration: Calibration,
        combiner: StackedCombiner, mode: Mode, exitBands: ExitBands, outOfFold: [String: [String: Double]]
    ) {
        self.treeFeatures = treeFeatures
        self.treeParameters = treeParameters
        self.treeRounds = treeRounds
        self.treeCalibration = treeCalibration
        self.combiner = combiner
        self.mode = mode
        self.exitBands = exitBands
        self.outOfFold = outOfFold
    }
}

/// Where the tree stage decides alone: a calibrated tree probability below `hamBelow` is ham, at or above
/// `spamAbove` spam; in between, the text stage runs.
public struct ExitBands: Codable, Sendable, Hashable {
    public var hamBelow: Double
    public var spamAbove: Double

    public init(hamBelow: Double, spamAbove: Double) {
        self.hamBelow = hamBelow
        self.spamAbove = spamAbove
    }

    /// No exits.
    public static let none = ExitBands(hamBelow: 0, spamAbove: 1.1)

    /// The widest bands in which, on the out-of-fold scores, exiting changes no verdict that the stacked
    /// model gets right: no spam the stacked model catches is below `hamBelow`, no ham it passes is at or
    /// above `spamAbove`, and exits stay on the right side of the operating point.
    public static func choose(treeProbabilities: [Double], stackedVerdicts: [Bool], labels: [Bool], threshold: Double) -> ExitBands {
        // hamBelow: just above the highest tree score at which an exit would lose a caught spam.
        var hamBelow = threshold
        var spamAbove = max(threshold, 0.5)
        for (p, (caught, spam)) in zip(treeProbabilities, zip(stackedVerdicts, labels)) {
            if spam && caught { hamBelow = min(hamBelow, p) }
            if !spam && !caught { spamAbove = max(spamAbove, p.nextUp) }
        }
        return ExitBands(hamBelow: hamBelow, spamAbove: min(spamAbove, 1.1))
    }
}
