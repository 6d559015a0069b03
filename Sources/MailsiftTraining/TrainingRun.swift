import Foundation
import MailsiftCore
import MailsiftTrees

/// One training of a model from labelled messages (what `mailsift train` runs on a split's rows): featurise,
/// train the text model (with out-of-fold calibration and thresholds for spam models), the view models, the
/// tree stage and the combiner, then score the held-out messages for the record. Takes messages, not paths.
public enum TrainingRun {
    public struct Settings: Sendable {
        /// Spam models: `[positive, negative]` (`spam,ham`); nil for topics.
        public var labels: [String]?
        public var epochs: Int
        public var folds: Int
        public var calibration: Calibration.Method
        public var targetFPR: Double
        public var hashBits: Int?
        public var seed: UInt64
        public var views: Set<FeatureView>?
        public var alpha: Double?
        public var l2: Double?
        public var normalizeViews: Bool
        /// Inverse-document-frequency weights; nil keeps the kind's default (``FeatureConfiguration``).
        public var idf: Bool?
        /// Spam models: train the tree stage and the combiner too (needs folds >= 3).
        public var trees: Bool = true
        /// How the stages combine; nil chooses on out-of-fold recall at the target FPR.
        public var mode: CascadeManifest.Mode? = nil
        /// Spam models: the weight of a ham example in the text models' training, the view models' too
        /// (``TrainingOptions/hamWeight``).
        public var hamWeight: Double = TrainingRun.defaultHamWeight
        /// Spam models with trees: train the view models (``ViewModel/defaultSpecs(enabled:)``) too.
        public var viewModels = true
        /// Spam models with trees: give each training row's out-of-fold scores (``Result/outOfFoldScores``).
        public var outOfFoldScores = false
        /// Folds as time blocks within each corpus and label (``SplitPlanner/timeBlockedFolds(times:strata:folds:)``)
        /// instead of by a hash of the Message-ID: calibration, thresholds and the combiner are then fitted on
        /// scores from models that did not see the scored period.
        public var timeBlockedFolds = false
        /// Spam models with trees: the thresholds are chosen for `targetFPR / thresholdMargin` (the combination and
        /// the exit bands stay those of the target), a safety margin for the next period's shift.
        public var thresholdMargin = 1.0
        /// Spam models with trees: `reject` only when the text model and the trees each give at least this
        /// probability (``CascadeManifest/rejectAgreement``); nil: no such guard.
        public var rejectAgreement: Double?
        /// Spam models with trees: tree columns left out of training (``CascadeManifest/droppedTreeFeatures``).
        public var droppedTreeColumns: Set<MetadataFeature> = []
        /// ``FeatureConfiguration/conversationHeaders``; nil keeps the configuration's default.
        public var conversationHeaders: Bool?
        /// Spam models: attacked copies of each training spam (``AttackAugmentation``); 0: none.
        public var augmentAttacks = 0
        /// The edits the attacked copies are made with.
        public var augmentEdits: [AttackEdit] = AttackAugmentation.defaultEdits
        /// Whether the attacked copies also train the trees and fit the combiner, thresholds and exit bands (else
        /// only the text and view models see them).
        public var augmentStages = true
        /// Whether the attacked copies train the text and view models (else they are only scored out of fold, for
        /// the trees and the combiner to fit on: ``TrainingExample/trains``).
        public var augmentText = true
        /// Spam models with trees: the sentence encoder of a transformer stage (``TransformerTraining``); nil: none.
        public var transformer: (any SentenceEncoder)?
        /// The tokens the transformer stage reads, `[CLS]` and `[SEP]` included.
        public var transformerTokens = 64
        /// Where the transformer stage runs: earlier probabilities from `lower` to `upper` (nil: the earlier
        /// stages' reject threshold).
        public var transformerBand: (lower: Double, upper: Double?) = (0.01, nil)
        /// The transformer head's L2 penalty (times the examples' total weight).
        public var transformerL2 = 1e-4

        public init(
            labels: [String]?, epochs: Int = 3, folds: Int = 5, calibration: Calibration.Method = .platt, targetFPR: Double = 0.001,
            hashBits: Int? = nil, seed: UInt64 = 1, views: Set<FeatureView>? = nil, alpha: Double? = nil, l2: Double? = nil,
            normalizeViews: Bool = true, idf: Bool? = nil
        ) {
            self.labels = labels
            self.epochs = epochs
            self.folds = folds
            self.calibration = calibration
            self.targetFPR = targetFPR
            self.hashBits = hashBits
            self.seed = seed
            self.views = views
            self.alpha = alpha
            self.l2 = l2
            self.normalizeViews = normalizeViews
            self.idf = idf
        }
    }

    /// Chosen on out-of-fold recall at 0.1% FPR over three seeds (docs/models.md).
    public static let defaultHamWeight = 8.0
    /// `train`'s default ``Settings/rejectAgreement``: on a source unlike the training mail it cut the hams at
    /// `quarantine` or above fivefold and those at `reject` sevenfold, at a cost of 7% of the throughput (with
    /// time folds and no header n-grams) and 0.7 to 5.5 points of recall at `reject` on familiar mail
    /// (docs/generalisation.md).
    public static let defaultRejectAgreement = 0.9

    public struct Result: Sendable {
        public var bundle: ModelBundle
        /// The held-out messages' figures (nil without any).
        public var evaluation: Evaluation?
        /// TSV (id, label, score of the chosen combination, then each stage's and combination's own), when asked for.
        public var outOfFoldScores: String?
    }

    /// Why nothing was trained.
    public struct Failure: Error, CustomStringConvertible {
        public var description: String
    }

    /// Trains on `messages` (the rows of the other labels are left out of a spam model) and evaluates on
    /// `test`. `corpora` names the corpora for the record; `progress` gives a reporter for a titled pass.
    public static func train(
        _ messages: [CorpusMessage], test: [CorpusMessage], corpora: [String], settings r: Settings, trees: any TreeLoader = XGBoostTreeLoader(),
        progress: (String, Int) -> (any ProgressReporter)? = { _, _ in nil }, log: @escaping @Sendable (String) -> Void
    ) throws -> Result {
        let started = Date()
        var messages = messages
        let kind: ModelManifest.Kind = r.labels == nil ? .topics : .spam
        var labels: [String]
        if let given = r.labels {
            guard given.count == 2 else { throw Failure(description: "--labels takes two labels, positive first: spam,ham") }
            labels = [given[1], given[0]]
            messages = messages.filter { labels.contains($0.label) }
        } else {
            labels = Array(Set(messages.map(\.label))).sorted()
        }
        guard !messages.isEmpty else { throw Failure(description: "no training messages with the labels \(labels.joined(separator: ", "))") }
        let originals = messages.count
        if kind == .spam, r.augmentAttacks > 0 {
            let copies = AttackAugmentation.copies(of: messages, spamLabel: labels[1], copies: r.augmentAttacks, edits: r.augmentEdits, seed: r.seed)
            log("\(copies.count) attacked copies of the training spam added (docs/adversarial.md)")
            messages += copies
        }
        var outOfFold: String? = nil
        var features = kind == .spam ? FeatureConfiguration.spam : FeatureConfiguration.topics
        if let bits = r.hashBits { features.hashBits = bits }
        if let views = r.views { features.views = views }
        features.normalizeViews = r.normalizeViews
        if let idf = r.idf { features.idf = idf }
        if let conversation = r.conversationHeaders { features.conversationHeaders = conversation }
        // Learning rates chosen out of fold (docs/models.md): idf-weighted values are larger for rare rows.
        var optimizer = FTRLTrainer.Parameters(alpha: features.idf ? 1 : r.normalizeViews ? 3 : 0.1)
        if let alpha = r.alpha { optimizer.alpha = alpha }
        if let l2 = r.l2 { optimizer.l2 = l2 }
        let options = TrainingOptions(
            kind: kind, labels: labels, features: features, optimizer: optimizer, epochs: r.epochs, folds: r.folds,
            calibration: r.calibration, targetFPR: r.targetFPR, seed: r.seed,
            hamWeight: r.hamWeight
        )
        log("training on \(messages.count) messages from \(corpora.count) corpora (\(kind.rawValue): \(labels.joined(separator: ", ")))")
        let withTrees = kind == .spam && r.trees && r.folds >= 3
        let encoder = withTrees ? r.transformer : nil
        let items = Featurizer.featurize(
            messages, configuration: features, metadata: withTrees, times: r.timeBlockedFolds,
            tokens: encoder.map { ($0.tokenizer, r.transformerTokens) }, progress: progress("features", messages.count),
            readAsClassifiedFrom: originals)
        let unparsed = items.filter { !$0.parsed }.count
        if unparsed > 0 { log("\(unparsed) messages could not be parsed; they train on the bias alone") }
        let blocks = r.timeBlockedFolds && r.folds >= 2
            ? SplitPlanner.timeBlockedFolds(times: items.map(\.time), strata: messages.map { $0.corpus + "\t" + $0.label }, folds: r.folds) : nil
        let examples = zip(messages, items).enumerated().map { i, pair in
            TrainingExample(
                features: pair.1.features, label: labels.firstIndex(of: pair.0.label)!, foldKey: pair.1.key, fold: blocks?[i], trains: r.augmentText || i < originals)
        }
        let result = ModelTrainer.train(examples, options: options) { log($0) }
        let seconds = Date().timeIntervalSince(started)
        var counts: [String: Int] = [:]
        for m in messages { counts[m.label, default: 0] += 1 }
        let keys = messages.map { "\($0.corpus)/\($0.id)/\($0.label)" }.sorted().joined(separator: "\n")
        let fingerprint = String(FeatureHash.xxh64(keys, seed: 0), radix: 16)
        let created = ISO8601DateFormatter().string(from: started)
        let record = TrainingRecord(
            fingerprint: fingerprint, messages: messages.count, corpora: corpora,
            labelCounts: counts, outOfFold: result.outOfFold, test: nil, seconds: seconds, createdAt: created
        )
        let day = String(created.prefix(10)).replacingOccurrences(of: "-", with: "")
        // The same data trained the same day with other options is another model: the version says so.
        let settings = canonicalJSON(features)
        let optionsKey = "\(settings) \(MessageAnalyzer.revision) \(options.optimizer) \(options.epochs) \(options.folds) \(options.seed) \(options.hamWeight) "
            + "\(options.calibration) \(options.targetFPR) \(withTrees) \(r.viewModels) \(r.mode?.rawValue ?? "auto")" + (r.timeBlockedFolds ? " time-folds" : "") + (r.thresholdMargin != 1 ? " margin \(r.thresholdMargin)" : "")
            + (r.rejectAgreement.map { " agreement \($0)" } ?? "")
            + (r.droppedTreeColumns.isEmpty ? "" : " without " + r.droppedTreeColumns.map(\.name).sorted().joined(separator: ","))
            + (r.transformer.map { " transformer \($0.identity) \(r.transformerTokens) \(r.transformerBand.lower) \(r.transformerBand.upper ?? -1) \(r.transformerL2)" } ?? "")
            + (r.augmentAttacks > 0 ? " attacked copies \(r.augmentAttacks) " + r.augmentEdits.map(\.rawValue).joined(separator: ",") + (r.augmentStages ? "" : " text only") + (r.augmentText ? "" : " stages only") : "")
        let optionsHash = String(FeatureHash.xxh64(optionsKey, seed: 0), radix: 16)
        var manifest = ModelManifest(
            version: "\(kind.rawValue)-\(day)-\(fingerprint.prefix(8))-\(optionsHash.prefix(4))", kind: kind, labels: labels, features: features,
            optimizer: options.optimizer, epochs: options.epochs, seed: options.seed, calibration: result.calibration,
            operatingPoints: result.operatingPoints, training: record
        )
        if kind == .spam { manifest.hamWeight = options.hamWeight }
        if blocks != nil { manifest.timeBlockedFolds = true }
        if r.thresholdMargin != 1 { manifest.thresholdMargin = r.thresholdMargin }
        var bundle = ModelBundle(manifest: manifest, model: result.trainer.model(), trainer: result.trainer)
        if let idf = result.idf { bundle.sections[ModelBundle.idfSection] = DocumentFrequency.encoded(idf) }
        if withTrees, let textMargins = result.outOfFoldMargins {
            let folds = examples.map { $0.fold ?? ModelTrainer.fold(of: $0.foldKey, folds: options.folds) }
            // The view models: the same training on each example's rows of some views only (without idf
            // weights, which the main model's rows carry and a view model would have to refit).
            var viewModels: [(model: ViewModel, margins: [Double])] = []
            let order = FeatureExtractor(configuration: features).viewOrder
            for spec in r.viewModels && !features.idf ? ViewModel.defaultSpecs(enabled: features.views) : [] {
                let reads = order.map(spec.views.contains)
                let restricted = examples.map { e in
                    TrainingExample(features: ViewModel.restricted(e.features, reads: reads), label: e.label, foldKey: e.foldKey, fold: e.fold, trains: e.trains)
                }
                let trained = ModelTrainer.train(restricted, options: options)
                guard let margins = trained.outOfFoldMargins else { continue }
                viewModels.append((ViewModel(spec: spec, trainer: trained.trainer), margins))
                log("view model \(spec.name) (\(spec.views.map(\.rawValue).joined(separator: ", "))) trained")
            }
            let dropped = r.droppedTreeColumns.sorted { $0.rawValue < $1.rawValue }
            // The rows the stages are fitted on: all, or the messages without their attacked copies (appended last).
            let fitted = r.augmentStages ? examples.count : originals
            let stages = try CascadeTraining.train(
                rows: items.prefix(fitted).map { item in
                    var row = item.metadata
                    CascadeManifest.mask(&row, width: row.count, columns: dropped.map(\.rawValue))
                    return row
                }, labels: examples.prefix(fitted).map { $0.label == 1 }, folds: Array(folds.prefix(fitted)), foldCount: options.folds,
                textMargins: Array(textMargins.prefix(fitted)), textCalibration: result.calibration,
                viewModels: viewModels.map { ($0.model.spec, Array($0.margins.prefix(fitted))) },
                options: options, mode: r.mode, thresholdMargin: r.thresholdMargin, log: log
            )
            for v in viewModels {
                bundle.sections[v.model.spec.section] = v.model.encoded
                bundle.sections[v.model.spec.stateSection] = v.model.encodedState
            }
            bundle.manifest.cascade = stages.manifest
            bundle.manifest.cascade?.rejectAgreement = r.rejectAgreement
            bundle.manifest.cascade?.droppedTreeFeatures = dropped.isEmpty ? nil : dropped.map(\.name)
            bundle.manifest.operatingPoints = stages.operatingPoints
            bundle.manifest.training.outOfFold = stages.manifest.outOfFold[stages.manifest.mode.rawValue] ?? result.outOfFold
            var outOfFoldScores = stages.outOfFoldScores
            if let encoder, let earlier = stages.outOfFoldScores[stages.manifest.mode.rawValue], let stage = TransformerTraining.train(
                    tokens: items.prefix(fitted).map(\.tokens), labels: examples.prefix(fitted).map { $0.label == 1 }, folds: Array(folds.prefix(fitted)),
                    foldCount: options.folds, earlier: earlier, encoder: encoder, maxTokens: r.transformerTokens, lower: r.transformerBand.lower,
                    upper: r.transformerBand.upper, earlierPoints: stages.operatingPoints, hamWeight: options.hamWeight, targetFPR: options.targetFPR,
                    thresholdMargin: r.thresholdMargin, l2: r.transformerL2, progress: progress("transformer", fitted), log: log) {
                bundle.manifest.cascade?.transformer = stage.spec
                for (name, m) in stage.outOfFold { bundle.manifest.cascade?.outOfFold[name] = m }
                bundle.manifest.training.outOfFold = stage.outOfFold["refined"] ?? bundle.manifest.training.outOfFold
                outOfFoldScores["transformer"] = stage.headMargins.map(LinearModel.sigmoid)
                outOfFoldScores["refined"] = stage.refined
            }
            bundle.sections[ModelBundle.treesSection] = stages.trees
            // Featurising and every training: text model, view models, trees (not the test evaluation).
            bundle.manifest.training.seconds = Date().timeIntervalSince(started)
            if r.outOfFoldScores {
                outOfFold = outOfFoldFile(
                    messages: Array(messages.prefix(fitted)), scores: outOfFoldScores, chosen: outOfFoldScores["refined"] == nil ? stages.manifest.mode.rawValue : "refined")
            }
        }
        // Held-out figures for the summary (and the record): the choices above never saw these rows.
        var evaluation: Evaluation? = nil
        let test = test.filter { kind == .topics || labels.contains($0.label) }
        if !test.isEmpty {
            let e: Evaluation
            if kind == .spam {
                var cascade = try Cascade(loading: bundle, trees: trees)
                cascade.encoder = encoder
                e = Evaluation(cascade: cascade, messages: test)
            } else {
                e = Evaluation(classifier: Classifier(bundle: bundle), messages: test)
            }
            bundle.manifest.training.test = e.spam?.dictionary ?? e.classes.map { ["accuracy": $0.accuracy, "macro_f1": $0.macroF1] }
            evaluation = e
        }
        return Result(bundle: bundle, evaluation: evaluation, outOfFoldScores: outOfFold)
    }

    /// `value` as JSON with sorted keys and sorted arrays of strings (a `Set` encodes in hash order, which
    /// changes from process to process), for a key that is the same for the same settings.
    static func canonicalJSON(_ value: some Encodable) -> String {
        guard let data = try? JSONEncoder().encode(value), let object = try? JSONSerialization.jsonObject(with: data) else { return "" }
        func canonical(_ x: Any) -> Any {
            if let d = x as? [String: Any] { return d.mapValues(canonical) }
            if let a = x as? [Any] { return (a as? [String])?.sorted() ?? a.map(canonical) }
            return x
        }
        let sorted = try? JSONSerialization.data(withJSONObject: canonical(object), options: [.sortedKeys])
        return sorted.map { String(decoding: $0, as: UTF8.self) } ?? ""
    }

    /// The out-of-fold scores as a TSV that `../shared/eval/metrics.py` reads (`score` is the chosen
    /// combination's; the other columns let an engineer study each stage on the train side).
    static func outOfFoldFile(messages: [CorpusMessage], scores: [String: [Double]], chosen: String) -> String {
        let names = ["text", "trees", "stacked", "cascade"] + ["transformer", "refined"].filter { scores[$0] != nil }
        var out = "id\tlabel\tscore\t" + names.joined(separator: "\t") + "\n"
        for (i, m) in messages.enumerated() {
            out += "\(m.id)\t\(m.label)\t\(scores[chosen]?[i] ?? .nan)"
            for name in names { out += "\t\(scores[name]?[i] ?? .nan)" }
            out += "\n"
        }
        return out
    }
}
