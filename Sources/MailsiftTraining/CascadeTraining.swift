import Foundation
import MailsiftCore
import MailsiftTrees

/// The stages after the text model: the tree stage on the same folds, the stacked combiner over both
/// stages' out-of-fold margins, the thresholds on the combined scores, and the early-exit bands, with
/// out-of-fold figures for each choice. Nothing here sees the test rows.
enum CascadeTraining {
    struct Result {
        var manifest: CascadeManifest
        var operatingPoints: OperatingPoints
        /// The booster, serialised (the bundle's `trees` section).
        var trees: [UInt8]
        /// Out-of-fold probabilities per training row, by stage and combination (`text`, `trees`, `stacked`,
        /// `cascade`), for `train --oof-scores`.
        var outOfFoldScores: [String: [Double]]
    }

    static func train(
        rows: [[Float]], labels: [Bool], folds: [Int], foldCount: Int, textMargins: [Double], textCalibration: Calibration,
        viewModels: [(spec: ViewModel.Spec, margins: [Double])] = [], options: TrainingOptions,
        mode: CascadeManifest.Mode?, thresholdMargin: Double = 1, log: @escaping @Sendable (String) -> Void
    ) throws -> Result {
        var parameters = TreeParameters()
        parameters.seed = options.seed
        log("trees: \(MetadataFeature.allCases.count) metadata columns")
        let trees = try TreeTrainer.train(rows: rows, labels: labels, folds: folds, foldCount: foldCount, parameters: parameters) { log($0) }
        let treeMargins = trees.outOfFoldMargins ?? []
        let treeCalibration = Calibration.fit(.platt, margins: treeMargins, labels: labels)
        // The combiner's inputs: text margin, tree margin, then each view model's margin.
        let inputs = textMargins.indices.map { i in [textMargins[i], treeMargins[i]] + viewModels.map { $0.margins[i] } }
        let combiner = StackedCombiner.fit(inputs: inputs, labels: labels)
        let stacked = inputs.map(combiner.probability)
        let points = OperatingPoints.choose(probabilities: stacked, labels: labels, targetFPR: options.targetFPR)
        let treeProbabilities = treeMargins.map { treeCalibration.probability(margin: $0) }
        let bands = ExitBands.choose(
            treeProbabilities: treeProbabilities, stackedVerdicts: stacked.map(points.isSpam), labels: labels, threshold: points.quarantine
        )
        let exits = treeProbabilities.map { $0 < bands.hamBelow || $0 >= bands.spamAbove }
        let cascaded = zip(exits, zip(treeProbabilities, stacked)).map { $0 ? $1.0 : $1.1 }

        func metrics(_ scores: [Double]) -> [String: Double] {
            SpamMetrics(scores: Array(zip(scores, labels)), verdicts: scores.map(points.isSpam))?.dictionary ?? [:]
        }
        let scores = [
            "text": textMargins.map { textCalibration.probability(margin: $0) }, "trees": treeProbabilities,
            "stacked": stacked, "cascade": cascaded,
        ]
        var outOfFold = scores.mapValues(metrics)
        for v in viewModels {
            let m = SpamMetrics(scores: Array(zip(v.margins, labels)), verdicts: nil)?.dictionary ?? [:]
            outOfFold["view.\(v.spec.name)"] = m
            log(String(format: "out of fold, view model %@: AUC %.6f, recall %.2f%% at 1%% FPR, %.2f%% at 0.1%% FPR", v.spec.name, m["auc"] ?? 0,
                       100 * (m["recall_at_1pct_fpr"] ?? 0), 100 * (m["recall_at_0.1pct_fpr"] ?? 0)))
        }
        outOfFold["cascade"]?["exit_share"] = Double(exits.count { $0 }) / Double(max(exits.count, 1))
        // The cascade when it loses no recall at the target FPR out of fold (it is faster); else stacked.
        let chosen = mode ?? ((outOfFold["cascade"]?["recall_at_0.1pct_fpr"] ?? 0) >= (outOfFold["stacked"]?["recall_at_0.1pct_fpr"] ?? 0) ? .cascade : .stacked)
        for name in ["text", "trees", "stacked", "cascade"] {
            let m = outOfFold[name] ?? [:]
            log(String(format: "out of fold, %@: AUC %.6f, recall %.2f%% at 1%% FPR, %.2f%% at 0.1%% FPR", name, m["auc"] ?? 0,
                       100 * (m["recall_at_1pct_fpr"] ?? 0), 100 * (m["recall_at_0.1pct_fpr"] ?? 0)))
        }
        log(String(format: "cascade: %.1f%% of messages exit at the trees (ham below %.4f, spam from %.4f); mode %@",
                   100 * (outOfFold["cascade"]?["exit_share"] ?? 0), bands.hamBelow, bands.spamAbove, chosen.rawValue))
        var manifest = CascadeManifest(
            treeFeatures: MetadataFeature.names, treeParameters: parameters, treeRounds: trees.rounds, treeCalibration: treeCalibration,
            combiner: combiner, mode: chosen, exitBands: bands, outOfFold: outOfFold
        )
        manifest.viewModels = viewModels.isEmpty ? nil : viewModels.map(\.spec)
        manifest.scoreHistogram = ScoreHistogram(probabilities: chosen == .cascade ? cascaded : stacked, labels: labels)
        // The served thresholds, for `thresholdMargin` times fewer false positives than the target: the combination
        // and the exit bands stay those chosen at the target.
        var served = points
        if thresholdMargin != 1 {
            served = OperatingPoints.choose(probabilities: stacked, labels: labels, targetFPR: options.targetFPR / thresholdMargin)
            served.targetFPR = options.targetFPR
            log(String(format: "thresholds for %.4f%% (margin %.2f): quarantine %.6f (at the target: %.6f)",
                       100 * options.targetFPR / thresholdMargin, thresholdMargin, served.quarantine, points.quarantine))
        }
        return Result(manifest: manifest, operatingPoints: served, trees: try trees.booster.serialized(), outOfFoldScores: scores)
    }
}
