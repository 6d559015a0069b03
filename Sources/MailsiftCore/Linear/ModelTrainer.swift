import Foundation

/// Trains a model from featurised examples: FTRL over shuffled passes; for spam models, out-of-fold
/// margins (k models, each scoring the fold it did not see) to fit the calibration and choose the
/// thresholds, then the final model on everything. The k + 1 trainings are independent and run in
/// parallel; the result depends only on the examples and the options.
public enum ModelTrainer {
    public struct Result: Sendable {
        public var trainer: FTRLTrainer
        public var calibration: Calibration
        public var operatingPoints: OperatingPoints?
        /// Out-of-fold metrics (spam: AUC, recalls, ECE of calibrated scores; topics: accuracy, macro-F1).
        public var outOfFold: [String: Double]
        /// Spam models trained with folds: each example's margin from the model that did not see it (the
        /// stacked combiner of the cascade is fitted on these).
        public var outOfFoldMargins: [Double]? = nil
        /// The rows' inverse document frequencies, when the features use them (the bundle stores them).
        public var idf: [Float]? = nil
    }

    public static func fit(_ examples: [TrainingExample], options: TrainingOptions, resuming: FTRLTrainer? = nil, seed: UInt64) -> FTRLTrainer {
        let outputs = options.kind == .spam ? 1 : options.labels.count
        var trainer = resuming ?? FTRLTrainer(hashBits: options.features.hashBits, outputs: outputs, parameters: options.optimizer)
        // Only the examples that train are shuffled: examples that are only scored leave the order, and so the
        // model, as it is without them.
        var order = examples.indices.filter { examples[$0].trains }
        var rng = SplitMix64(seed: seed)
        for _ in 0..<max(options.epochs, 1) {
            order.shuffle(using: &rng)
            for i in order {
                let label = examples[i].label
                trainer.update(examples[i].features, label: label, weight: options.kind == .spam && label == 0 ? options.hamWeight : 1)
            }
        }
        return trainer
    }

    public static func fold(of key: String, folds: Int) -> Int {
        Int(FeatureHash.xxh64(key, seed: 0xF01D) % UInt64(folds))
    }

    public static func train(_ examples: [TrainingExample], options: TrainingOptions, progress: (@Sendable (String) -> Void)? = nil) -> Result {
        // idf weights come from the rows alone (no labels), then weigh every example the way scoring will.
        guard options.features.idf else { return trainWeighed(examples, options: options, progress: progress) }
        let idf = DocumentFrequency.inverse(of: examples.map(\.features), bits: options.features.hashBits)
        let weighed = examples.map { e in
            var w = e
            w.features.weigh(by: idf, normalize: options.features.normalizeViews)
            return w
        }
        var result = trainWeighed(weighed, options: options, progress: progress)
        result.idf = idf
        return result
    }

    private static func trainWeighed(
        _ examples: [TrainingExample], options: TrainingOptions, progress: (@Sendable (String) -> Void)?
    ) -> Result {
        let folds = options.folds >= 2 ? options.folds : 0
        let assignment = examples.map { $0.fold ?? fold(of: $0.foldKey, folds: max(folds, 1)) }
        let jobs = folds + 1
        let lock = NSLock()
        nonisolated(unsafe) var trained = [FTRLTrainer?](repeating: nil, count: jobs)
        DispatchQueue.concurrentPerform(iterations: jobs) { job in
            let subset = job == folds ? examples : zip(examples, assignment).filter { $0.1 != job }.map(\.0)
            let t = fit(subset, options: options, seed: options.seed &+ UInt64(job))
            lock.lock()
            trained[job] = t
            lock.unlock()
            progress?(job == folds ? "final model trained" : "fold \(job + 1) of \(folds) trained")
        }
        let final = trained[folds]!
        guard folds > 0 else {
            return Result(trainer: final, calibration: .identity, operatingPoints: nil, outOfFold: [:])
        }
        let models = (0..<folds).map { trained[$0]!.model() }
        if options.kind == .spam {
            let margins = examples.indices.map { models[assignment[$0]].margin(examples[$0].features) }
            // Examples scored only (``TrainingExample/trains``) have margins, and no say in what is fitted on them.
            let fitted = examples.indices.filter { examples[$0].trains }
            let labels = fitted.map { examples[$0].label == 1 }
            let calibration = Calibration.fit(options.calibration, margins: fitted.map { margins[$0] }, labels: labels)
            let probabilities = fitted.map { calibration.probability(margin: margins[$0]) }
            let points = OperatingPoints.choose(probabilities: probabilities, labels: labels, targetFPR: options.targetFPR)
            var metrics: [String: Double] = [:]
            if let m = SpamMetrics(scores: Array(zip(probabilities, labels)), verdicts: probabilities.map(points.isSpam)) {
                metrics = m.dictionary
            }
            return Result(trainer: final, calibration: calibration, operatingPoints: points, outOfFold: metrics, outOfFoldMargins: margins)
        }
        var margins: [Double] = []
        var pairs: [(label: String, predicted: String)] = []
        for (i, e) in examples.enumerated() {
            models[assignment[i]].margins(e.features, into: &margins)
            let best = margins.indices.max { margins[$0] < margins[$1] } ?? 0
            pairs.append((options.labels[e.label], options.labels[best]))
        }
        let metrics = ClassMetrics(pairs: pairs).map { ["accuracy": $0.accuracy, "macro_f1": $0.macroF1] } ?? [:]
        return Result(trainer: final, calibration: .identity, operatingPoints: nil, outOfFold: metrics)
    }
}

extension SpamMetrics {
    /// The figures as a flat dictionary (for the model manifest).
    public var dictionary: [String: Double] {
        var d: [String: Double] = [
            "auc": auc, "recall_at_1pct_fpr": recallAt1, "recall_at_0.1pct_fpr": recallAt01,
            "recall_at_0.01pct_fpr": recallAt001, "average_precision": averagePrecision,
        ]
        if let verdictFPR { d["verdict_fpr"] = verdictFPR }
        if let verdictRecall { d["verdict_recall"] = verdictRecall }
        if let ece { d["ece"] = ece }
        if let brier { d["brier"] = brier }
        if let logLoss { d["logloss"] = logLoss }
        return d
    }
}
