import Foundation
import MailsiftCore
import MailsiftTrees

/// Daily retraining from feedback, behind a validation gate. For a cut-off (the end of a day) it joins the
/// feedback to the logged features (``DelayedLabelJoiner``: nothing from after the cut-off). A fixed share of
/// all labelled messages, chosen by a hash of the message id (``isHeldOut(_:)``), is never trained on: that is
/// the gate's holdout, which grows with every label. With ``updateText`` (the default) the text model's FTRL
/// training continues from the bundle's saved state on the other examples labelled since the bundle's
/// cut-off; then the current and the candidate model score the holdout from the logged features
/// (``Cascade/probability(of:)``). The candidate passes the gate only if, on a holdout with at least
/// ``minimumPerClass`` messages of each class, its recall at the target false-positive rate is not lower by
/// more than ``recallTolerance``, its false-positive rate at its own threshold not higher by more than
/// ``fprTolerance`` (or by one holdout ham, where the holdout has too few hams to resolve the tolerance), and
/// its mean log loss not higher by more than ``logLossTolerance``. A text update on labels of one class only
/// learns older examples of the other class again (``rehearsed(_:older:counts:)``).
///
/// With ``updateTrees``, the tree stage is retrained too, by continued boosting: correction trees are fitted
/// on top of the trained model's own trees to every labelled example known at the cut-off but the holdout
/// (each retraining starts again from the trained trees, so corrections do not pile up), on the logged
/// tree rows, with early stopping on the latest quarter of them. Hams may be downsampled (``hamSampleRate``)
/// and the kept ones weighed up by its inverse, so the trees' margins stay calibrated. The calibrations and
/// the exit bands are kept, and the combiner too unless ``recalibrate``.
public struct Retrainer: Sendable {
    /// How bundles (current and candidate) load their tree stage.
    public var trees: any TreeLoader = XGBoostTreeLoader()
    public var joiner = DelayedLabelJoiner()
    public var holdoutFraction = 0.3
    /// Largest drop of recall at the target false-positive rate on the holdout accepted. The holdout is a
    /// sample: with no tolerance at all, one message decides, and in the replays the gate then kept back
    /// candidates that were better on the stream (docs/learning.md).
    public var recallTolerance = 0.02
    /// Largest rise of the false-positive rate at the model's own threshold accepted; a rise of one holdout
    /// ham is always accepted (with 97 holdout hams, one is 1.03%: a tolerance below that would refuse any
    /// candidate that moves one ham, and in the cold-start replay none was promoted after November 2004).
    public var fprTolerance = 0.005
    /// Largest rise of the holdout's mean log loss accepted.
    public var logLossTolerance = 0.01
    public var minimumPerClass = 20
    /// Passes over the new examples (one: an online update, not a refit).
    public var epochs = 1
    /// Weight of each new example in the update.
    public var exampleWeight = 1.0
    /// Refit the combiner after a text update, on the examples' prequential text margins (each scored before
    /// the update learned it) and tree margins, pulled toward the current combiner by ``recalibrationPrior``.
    public var recalibrate = false
    /// Strength of that pull, in examples' worth of log loss per unit of squared parameter change.
    public var recalibrationPrior = 10.0
    /// Weigh the text update's examples so their classes have the training data's shares (``classWeights``).
    public var balanceClasses = true
    /// Update the text model (FTRL, from the saved state): the update that helped in the replays.
    public var updateText = true
    /// Retrain the tree stage by continued boosting (correction trees). Off by default: in the cold-start
    /// replay they made the live model worse (docs/learning.md).
    public var updateTrees = false
    /// The correction trees' parameters: shallow, slow and few, since the labelled examples are few.
    public var correctionParameters: TreeParameters = {
        var p = TreeParameters()
        p.eta = 0.05
        p.maxDepth = 3
        // A trained model is confident: hessians are tiny, so splits need a low minimum weight and leaf
        // steps a bound, or one tree overshoots.
        p.minChildWeight = 0.05
        p.maxDeltaStep = 1
        p.maxRounds = 100
        p.earlyStoppingRounds = 10
        return p
    }()
    /// Share of labelled hams the tree retraining keeps (negative downsampling; kept ones weigh its inverse).
    public var hamSampleRate = 1.0

    public init() {}

    /// What the gate saw and decided.
    public struct Report: Codable, Sendable {
        public struct Figures: Codable, Sendable {
            public var version: String
            /// Recall at the model's own spam threshold.
            public var recall: Double
            /// Recall at the target false-positive rate on the holdout, or at the rate of ``measurableHams``
            /// holdout hams where that is higher: the threshold is chosen on the holdout's hams for each
            /// model, so a candidate whose scores moved as a whole is not penalised for where its old
            /// threshold now falls (nil: one class only).
            public var recallAtTarget: Double?
            public var fpr: Double
            public var auc: Double?
            /// Mean log loss of the probabilities (a proper score: it sees every example, not only those
            /// near the threshold).
            public var logLoss: Double
        }

        public var cutoff: Int64
        public var labelled: Int
        public var trained: Int
        /// Older labelled examples the text update learned again to keep the classes' shares.
        public var rehearsed = 0
        /// Whether the combiner was refitted (``recalibrate``).
        public var recalibrated = false
        /// Correction trees added (nil: the trees were not retrained).
        public var correctionTrees: Int?
        public var holdoutSpam: Int
        public var holdoutHam: Int
        public var current: Figures?
        public var candidate: Figures?
        public var promoted: Bool
        public var reason: String

        public func json() -> String {
            let e = JSONEncoder()
            e.keyEncodingStrategy = .convertToSnakeCase
            e.outputFormatting = [.sortedKeys]
            return (try? e.encode(self)).map { String(decoding: $0, as: UTF8.self) } ?? "{}"
        }
    }

    /// The candidate (nil when there was nothing to train on) and the gate's report. Only examples labelled
    /// after `since` (the cut-off the bundle was last trained to) are new: older ones are already in it.
    public func retrain(
        _ bundle: ModelBundle, rules: RuleSet = .empty, entries: [FeatureLogEntry], feedback: [Feedback], cutoff: Int64, since: Int64 = .min
    ) throws -> (candidate: ModelBundle?, report: Report) {
        let known = joiner.join(entries: entries, feedback: feedback, cutoff: cutoff)
        let holdout = known.filter { isHeldOut($0.entry.messageID) }
        let learnable = known.filter { !isHeldOut($0.entry.messageID) }
        let train = learnable.filter { $0.labelTime > since }
        let spam = holdout.count(where: \.spam)
        var report = Report(
            cutoff: cutoff, labelled: known.count(where: { $0.labelTime > since }), trained: train.count,
            holdoutSpam: spam, holdoutHam: holdout.count - spam, promoted: false, reason: "")
        guard !train.isEmpty, var trainer = bundle.trainer else {
            report.reason = bundle.trainer == nil ? "the bundle has no training state to continue from" : "no new labelled examples to train on"
            return (nil, report)
        }
        let current = try Cascade(loading: bundle, rules: rules, trees: trees)
        // The view models learn the same examples on their views' rows, where the bundle kept their state.
        var viewTrainers = current.viewModels.isEmpty ? [] : try bundle.viewModels().map(\.trainer)
        var prequential: [Double] = []
        var prequentialViews: [[Double]] = []
        var recalibrationBatch: ([DelayedLabelJoiner.Example], (spam: Double, ham: Double))?
        if updateText {
            let batch = rehearsed(train, older: learnable.filter { $0.labelTime <= since }, counts: bundle.manifest.training.labelCounts)
            report.rehearsed = batch.count - train.count
            let weights = classWeights(bundle.manifest.training.labelCounts, batch)
            for epoch in 0..<max(epochs, 1) {
                for e in batch {
                    let x = current.textFeatures(rows: e.entry.textRows, viewEnds: e.entry.textViewEnds)
                    let views = current.viewReads.map { ViewModel.restricted(x, reads: $0) }
                    if epoch == 0 {
                        prequential.append(trainer.margin(x))
                        prequentialViews.append(views.indices.map { i in viewTrainers[i]?.margin(views[i]) ?? current.viewModels[i].model.margin(views[i]) })
                    }
                    let weight = exampleWeight * (e.spam ? weights.spam : weights.ham)
                    _ = trainer.update(x, label: e.spam ? 1 : 0, weight: weight)
                    for i in viewTrainers.indices where viewTrainers[i] != nil {
                        _ = viewTrainers[i]!.update(views[i], label: e.spam ? 1 : 0, weight: weight)
                    }
                }
            }
            recalibrationBatch = (batch, weights)
        }
        var manifest = bundle.manifest
        var sections = bundle.sections
        for (view, trainer) in zip(current.viewModels, viewTrainers) {
            guard let trainer else { continue }
            let updated = ViewModel(spec: view.spec, trainer: trainer)
            sections[view.spec.section] = updated.encoded
            sections[view.spec.stateSection] = updated.encodedState
        }
        if updateTrees, var cascade = manifest.cascade, let trees = sections["trees"] {
            // Every example known at the cut-off, but the gate's holdout.
            let (bytes, added) = try correctTrees(trees, cascade: cascade, examples: learnable)
            sections["trees"] = bytes
            cascade.baseTreeRounds = cascade.baseTreeRounds ?? cascade.treeRounds
            cascade.treeRounds = cascade.baseTreeRounds! + added
            manifest.cascade = cascade
            report.correctionTrees = added
        }
        if !updateText && (report.correctionTrees ?? 0) == 0 {
            report.reason = "nothing learned: no correction tree improved on the latest labels"
            return (nil, report)
        }
        let lineage = ([bundle.manifest.version] + train.map { "\($0.entry.messageID)/\($0.spam)" }).joined(separator: "\n")
        let fingerprint = String(FeatureHash.xxh64(lineage), radix: 16)
        manifest.version = "\(manifest.kind.rawValue)-\(Self.day(cutoff))-\(fingerprint.prefix(8))"
        manifest.training.fingerprint = fingerprint
        manifest.training.messages += train.count
        manifest.training.createdAt = ISO8601DateFormatter().string(from: Date())
        var candidate = ModelBundle(manifest: manifest, model: trainer.model(), trainer: trainer, sections: sections)
        if recalibrate, let (batch, weights) = recalibrationBatch, var cascade = manifest.cascade, Set(batch.map(\.spam)).count == 2,
            case let loaded = try Cascade(loading: candidate, rules: rules, trees: trees), let scorer = loaded.trees
        {
            // The combiner refitted on the text and view models' margins each example had before it was
            // learned (out of sample, as the trained combiner's out-of-fold margins were) and the trees'
            // margins, pulled toward the current combiner.
            let inputs = try batch.indices.map { i in
                [prequential[i], Double(try scorer.treeMargin(of: batch[i].entry.treeRow))] + prequentialViews[i]
            }
            cascade.combiner = StackedCombiner.fit(
                inputs: inputs, labels: batch.map(\.spam), exampleWeights: batch.map { $0.spam ? weights.spam : weights.ham },
                l2: recalibrationPrior, prior: cascade.combiner)
            candidate.manifest.cascade = cascade
            report.recalibrated = true
        }
        let next = try Cascade(loading: candidate, rules: rules, trees: trees)
        report.current = Self.figures(current, holdout)
        report.candidate = Self.figures(next, holdout)
        guard spam >= minimumPerClass, holdout.count - spam >= minimumPerClass, let old = report.current, let new = report.candidate else {
            report.reason = "holdout too small: \(spam) spam and \(holdout.count - spam) ham, at least \(minimumPerClass) of each needed"
            return (candidate, report)
        }
        if let was = old.recallAtTarget, let now = new.recallAtTarget, now < was - recallTolerance {
            report.reason = "recall at the target false-positive rate on the holdout would fall from \(f4(was)) to \(f4(now))"
        } else if new.fpr > old.fpr + max(fprTolerance, 1 / Double(holdout.count - spam)) + 1e-12 {
            report.reason = "false-positive rate on the holdout would rise from \(f4(old.fpr)) to \(f4(new.fpr))"
        } else if new.logLoss > old.logLoss + logLossTolerance {
            report.reason = "log loss on the holdout would rise from \(f4(old.logLoss)) to \(f4(new.logLoss))"
        } else {
            report.promoted = true
            report.reason = "recall at the target false-positive rate \(f4(old.recallAtTarget ?? 0)) -> \(f4(new.recallAtTarget ?? 0)), false-positive rate \(f4(old.fpr)) -> \(f4(new.fpr)), log loss \(f4(old.logLoss)) -> \(f4(new.logLoss))"
        }
        return (candidate, report)
    }

    /// Whether a labelled message is held out for the gate: a fixed share (``holdoutFraction``) of all
    /// messages, chosen by a hash of the message id, is never trained on. So the holdout grows with every
    /// label and spans every period seen, not only the latest day's labels.
    public func isHeldOut(_ messageID: String) -> Bool {
        Double(FeatureHash.xxh64("holdout/" + messageID) >> 11) / Double(1 << 53) < holdoutFraction
    }

    /// Continued boosting from the trained trees (the first ``CascadeManifest/baseTreeRounds`` rounds, or all
    /// of them before any correction) on `examples`' logged rows, time-ordered: the latest quarter stops it
    /// early. Returns the booster's bytes and how many trees were added (0: none helped; the trained trees).
    func correctTrees(_ trees: [UInt8], cascade: CascadeManifest, examples: [DelayedLabelJoiner.Example]) throws -> ([UInt8], Int) {
        let width = cascade.treeFeatures.count
        let booster = try Booster(loading: trees, featureCount: width)
        let base = try booster.prefix(rounds: cascade.baseTreeRounds ?? cascade.treeRounds)
        // Negative downsampling, deterministic per message; kept hams weigh 1 / rate.
        let kept = examples.filter { $0.spam || hamSampleRate >= 1 || Double(FeatureHash.xxh64($0.entry.messageID) >> 11) / Double(1 << 53) < hamSampleRate }
        let split = kept.count - kept.count / 4
        guard split > 0, split < kept.count, Set(kept.map(\.spam)).count == 2 else { return (base, 0) }
        func matrix(_ part: ArraySlice<DelayedLabelJoiner.Example>) -> (rows: [Float], labels: [Float], weights: [Float]) {
            var rows: [Float] = []
            rows.reserveCapacity(part.count * width)
            for e in part {
                let row = e.entry.treeRow
                rows += row.count >= width ? Array(row[..<width]) : row + [Float](repeating: .nan, count: width - row.count)
            }
            return (rows, part.map { $0.spam ? 1 : 0 }, part.map { $0.spam ? 1 : Float(1 / hamSampleRate) })
        }
        var fit = matrix(kept[..<split]), stop = matrix(kept[split...])
        // Columns the model was trained without stay out of the corrections too.
        CascadeManifest.mask(&fit.rows, width: width, columns: cascade.droppedTreeColumns)
        CascadeManifest.mask(&stop.rows, width: width, columns: cascade.droppedTreeColumns)
        let trained = try Booster.train(
            rows: fit.rows, labels: fit.labels, weights: fit.weights, featureCount: width, validation: (stop.rows, stop.labels),
            parameters: correctionParameters, continuing: base)
        return (try trained.booster.serialized(), trained.bestRounds)
    }

    /// Recall and false-positive rate at the model's spam threshold, and AUC, on logged examples.
    static func figures(_ cascade: Cascade, _ examples: [DelayedLabelJoiner.Example]) -> Report.Figures {
        let points = cascade.bundle.manifest.operatingPoints
        var scores: [(Double, Bool)] = []
        var flagged = (spam: 0, ham: 0), totals = (spam: 0, ham: 0)
        var loss = 0.0
        for e in examples {
            let p = cascade.probability(of: e.entry).probability
            scores.append((p, e.spam))
            let q = min(max(e.spam ? p : 1 - p, 1e-15), 1)
            loss -= log(q)
            let isSpam = points?.isSpam(probability: p) ?? (p >= 0.5)
            if e.spam { totals.spam += 1; if isSpam { flagged.spam += 1 } } else { totals.ham += 1; if isSpam { flagged.ham += 1 } }
        }
        return Report.Figures(
            version: cascade.bundle.manifest.version,
            recall: totals.spam == 0 ? 0 : Double(flagged.spam) / Double(totals.spam),
            recallAtTarget: SpamMetrics.recall(scores: scores, atFPR: max(points?.targetFPR ?? 0.001, measurableHams / Double(max(totals.ham, 1)))),
            fpr: totals.ham == 0 ? 0 : Double(flagged.ham) / Double(totals.ham),
            auc: SpamMetrics(scores: scores, verdicts: nil)?.auc, logLoss: examples.isEmpty ? 0 : loss / Double(examples.count))
    }

    /// The new examples, with older labelled ones (already learned, the latest first) of the class they lack
    /// added until the batch has the training data's share of spam, in decision order: a period in which only
    /// one class is labelled (years of phishing reports, say) would otherwise move every score toward it.
    /// Unchanged with ``balanceClasses`` off or without the training counts.
    public func rehearsed(_ new: [DelayedLabelJoiner.Example], older: [DelayedLabelJoiner.Example], counts: [String: Int]) -> [DelayedLabelJoiner.Example] {
        guard let p0 = trainingSpamShare(counts), !new.isEmpty else { return new }
        let spam = Double(new.count(where: \.spam)), ham = Double(new.count) - spam
        // The class short of its share, and how many of it would restore the share.
        let (wantSpam, missing) = spam / (spam + ham) > p0 ? (false, spam * (1 - p0) / p0 - ham) : (true, ham * p0 / (1 - p0) - spam)
        let count = Int(missing.rounded())
        guard count >= 1 else { return new }
        let added = older.reversed().filter { $0.spam == wantSpam }.prefix(count)
        return (new + added).sorted { ($0.entry.time, $0.entry.messageID) < ($1.entry.time, $1.entry.messageID) }
    }

    /// Weights that give the new examples the training data's share of spam (each within 0.2 to 5), so an
    /// update on a stream richer in one class does not move every score with the prior; (1, 1) with
    /// ``balanceClasses`` off or without the training counts.
    func classWeights(_ counts: [String: Int], _ examples: [DelayedLabelJoiner.Example]) -> (spam: Double, ham: Double) {
        guard let p0 = trainingSpamShare(counts), !examples.isEmpty else { return (1, 1) }
        let p = Double(examples.count(where: \.spam)) / Double(examples.count)
        func bounded(_ x: Double) -> Double { x.isFinite ? min(max(x, 0.2), 5) : 5 }
        return (bounded(p0 / p), bounded((1 - p0) / (1 - p)))
    }

    /// The training data's share of spam, which ``rehearsed(_:older:counts:)`` and ``classWeights(_:_:)`` keep;
    /// nil with ``balanceClasses`` off or without both classes counted.
    private func trainingSpamShare(_ counts: [String: Int]) -> Double? {
        let spam = Double(counts["spam"] ?? 0), ham = Double(counts["ham"] ?? 0)
        guard balanceClasses, spam > 0, ham > 0 else { return nil }
        return spam / (spam + ham)
    }

    /// Hams above the threshold at which the gate's recall is read, at least: below that, one ham decides
    /// the figure (with 100 holdout hams, 0.1% means above the highest ham), and in the replays the gate then
    /// refused candidate after candidate on one ham.
    static let measurableHams = 5.0

    private func f4(_ x: Double) -> String { String(format: "%.4f", x) }

    static func day(_ time: Int64) -> String {
        let f = DateFormatter()
        f.dateFormat = "yyyyMMdd"
        f.timeZone = TimeZone(identifier: "UTC")
        return f.string(from: Date(timeIntervalSince1970: TimeInterval(time)))
    }
}
