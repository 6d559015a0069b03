import ArgumentParser
import Foundation
import MailsiftEncoder
import MailsiftCommandLine
import MailsiftCore
import MailsiftTraining

extension Mailsift {
    struct Train: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Train a spam model (--labels spam,ham) or a topic model (--topics) on the train rows of a split."
        )

        @OptionGroup var rows: SplitOption
        @Option(help: "Where to write the model bundle.")
        var out: String
        @Option(help: "Binary labels, positive first.")
        var labels: String?
        @Flag(help: "Train a topic model over every label in the split.")
        var topics = false
        @Option(help: "Passes over the training data (default 3 for spam, 20 for topics).")
        var epochs: Int?
        @Option(help: "Folds for out-of-fold scores (spam: calibration and thresholds are fitted on them; default 5; topics: metrics only, default 0).")
        var folds: Int?
        @Option(help: "Calibration: platt or isotonic.")
        var calibration: Calibration.Method = .platt
        @Option(help: "False-positive rate the spam verdict is chosen for.")
        var targetFpr = 0.001
        @Option(help: "Weight table size as a power of two (default 20 for both).")
        var hashBits: Int?
        @Option(help: "Random seed (shuffling); the same seed and data give the same model.")
        var seed: UInt64 = 1
        @Option(help: "FTRL learning rate alpha (default 3 with per-view normalisation, 0.1 without).")
        var alpha: Double?
        @Option(help: "FTRL L2 regularisation.")
        var l2: Double?
        @Option(help: "Spam models: weight of a ham example in the text models' training (the main model and the view models) against a spam one's 1 (a false positive costs more).")
        var hamWeight = TrainingRun.defaultHamWeight
        @Flag(inversion: .prefixedNo, help: "Scale each feature view by 1/sqrt(its feature count).")
        var normalizeViews = true
        @Option(help: "Feature views, comma-separated (default: all but header_ngrams and header_shape for spam; subject_words,body_words,char_ngrams,headers,urls for topics).")
        var views: String?
        @Flag(inversion: .prefixedNo, help: "Weigh features by inverse document frequency (default: on for topics, off for spam).")
        var idf: Bool?
        @Flag(inversion: .prefixedNo, help: "Spam models: train the view models (one over the header views, one over the content views) whose margins the combiner reads too.")
        var viewModels = true
        @Flag(inversion: .prefixedNo, help: "Folds as time blocks within each corpus and label (by arrival), not by a hash of the Message-ID (default: on for spam, off for topics; docs/generalisation.md).")
        var timeFolds: Bool?
        @Option(help: "Spam models: choose the thresholds for --target-fpr divided by this (a safety margin; the combination and exit bands stay those of the target).")
        var thresholdMargin = 1.0
        @Option(help: "Spam models: reject only when the text model and the trees each give at least this probability of spam, else quarantine; the trees then never reject alone (docs/generalisation.md). 0 turns this off.")
        var rejectAgreement = TrainingRun.defaultRejectAgreement
        @Option(help: "Spam models: tree columns to train without, comma-separated: column names or families (\(MetadataFeature.Group.allCases.map(\.rawValue).joined(separator: ", "))); none by default (docs/generalisation.md).")
        var dropTreeColumns: String?
        @Flag(inversion: .prefixedNo, help: "Let the headers view name the reply and list headers (In-Reply-To, References, List-*, Precedence, ...) (default: on; docs/generalisation.md).")
        var conversationHeaders: Bool?
        @Option(help: "Spam models: add this many attacked copies of each training spam (good words, a ham paragraph, a plain subject, list headers, a common mailer; docs/adversarial.md).")
        var augmentAttacks = 0
        @Option(help: "Spam models: the edits of the attacked copies, comma-separated (default: good_words,ham_paragraph,plain_subject,list,mailer).")
        var augmentEdits: String?
        @Flag(inversion: .prefixedNo, help: "Spam models: let the attacked copies train the trees and fit the combiner too (else only the text and view models see them).")
        var augmentStages = true
        @Flag(inversion: .prefixedNo, help: "Spam models: let the attacked copies train the text and view models (else they are only scored out of fold, for the trees and the combiner to fit on).")
        var augmentText = true
        @Option(help: "Spam models: train a transformer stage on this sentence encoder's folder (all-MiniLM-L6-v2: config.json, vocab.txt, model.safetensors; docs/transformer.md).")
        var transformer: String?
        @Option(help: "The transformer stage's weights in fp32 or int8.")
        var transformerPrecision: BertEncoder.Precision = .fp32
        @Option(help: "Tokens the transformer stage reads, [CLS] and [SEP] included.")
        var transformerTokens = 64
        @Option(help: "Where the transformer stage runs: LOW or LOW,HIGH, the earlier stages' probability (HIGH by default: their reject threshold).")
        var transformerBand = "0.01"
        @Option(help: "The transformer head's L2 penalty, times the examples' total weight (chosen out of fold: docs/transformer.md).")
        var transformerL2 = 1e-4
        @Option(help: "Spam models: write each training row's out-of-fold scores to this TSV (id, label, score, then text, trees, stacked, cascade).")
        var oofScores: String?

        func validate() throws {
            if topics == (labels != nil) { throw ValidationError("give either --labels spam,ham or --topics") }
            if augmentAttacks < 0 { throw ValidationError("--augment-attacks must not be negative") }
            if !(hamWeight > 0) { throw ValidationError("--ham-weight must be positive") }
            if !(thresholdMargin >= 1) { throw ValidationError("--threshold-margin must be at least 1") }
            if !(rejectAgreement >= 0 && rejectAgreement < 1) { throw ValidationError("--reject-agreement must lie in [0, 1)") }
            if oofScores != nil && (topics || (folds ?? 5) < 3) {
                throw ValidationError("--oof-scores needs a spam model with at least 3 folds (it writes the cascade's out-of-fold scores)")
            }
            _ = try parsedViews()
            _ = try droppedColumns()
            if let augmentEdits { _ = try attackEdits(augmentEdits) }
            _ = try band()
            if transformerTokens < 8 || transformerTokens > 512 { throw ValidationError("--transformer-tokens must lie in 8...512") }
        }

        func band() throws -> (lower: Double, upper: Double?) {
            let parts = transformerBand.split(separator: ",").map { Double($0) }
            guard (1...2).contains(parts.count), let lower = parts[0], lower >= 0, lower < 1, parts.count == 1 || (parts[1] ?? 0) > lower else {
                throw ValidationError("--transformer-band takes LOW or LOW,HIGH with 0 <= LOW < HIGH")
            }
            return (lower, parts.count == 2 ? parts[1] : nil)
        }

        func droppedColumns() throws -> Set<MetadataFeature> {
            guard let dropTreeColumns else { return [] }
            let (columns, unknown) = MetadataFeature.columns(named: dropTreeColumns.split(separator: ","))
            if let unknown { throw ValidationError("unknown tree column or family \(unknown); families: \(MetadataFeature.Group.allCases.map(\.rawValue).joined(separator: ", "))") }
            return columns
        }

        func parsedViews() throws -> Set<FeatureView>? {
            guard let views else { return nil }
            var out = Set<FeatureView>()
            for name in views.split(separator: ",") {
                guard let view = FeatureView(rawValue: String(name)) else {
                    throw ValidationError("unknown view \(name); views: \(FeatureView.allCases.map(\.rawValue).joined(separator: ", "))")
                }
                out.insert(view)
            }
            guard !out.isEmpty else { throw ValidationError("--views needs at least one view") }
            return out
        }

        func run() throws {
            var settings = TrainingRun.Settings(
                labels: labels.map { $0.split(separator: ",").map(String.init) }, epochs: epochs ?? (topics ? 20 : 3), folds: folds ?? (topics ? 0 : 5),
                calibration: calibration, targetFPR: targetFpr, hashBits: hashBits, seed: seed, views: try parsedViews(), alpha: alpha, l2: l2,
                normalizeViews: normalizeViews, idf: idf
            )
            settings.hamWeight = hamWeight
            settings.viewModels = viewModels
            settings.timeBlockedFolds = timeFolds ?? !topics
            settings.thresholdMargin = thresholdMargin
            settings.rejectAgreement = rejectAgreement > 0 ? rejectAgreement : nil
            settings.droppedTreeColumns = try droppedColumns()
            settings.conversationHeaders = conversationHeaders
            settings.augmentAttacks = augmentAttacks
            if let augmentEdits { settings.augmentEdits = try attackEdits(augmentEdits) }
            settings.augmentStages = augmentStages
            settings.augmentText = augmentText
            var cache: EmbeddingCache? = nil
            if let transformer {
                cache = try EncoderLocation.open(folder: transformer, precision: transformerPrecision)
                settings.transformer = cache
                settings.transformerTokens = transformerTokens
                settings.transformerBand = try band()
                settings.transformerL2 = transformerL2
            }
            print(try TrainCommand.run(TrainCommand.Request(corpora: rows.corpus, split: rows.split, out: out, settings: settings, outOfFoldScores: oofScores), log: Mailsift.log))
            if let cache, let path = EmbeddingCache.persistentPath { try cache.save(to: path) }
        }
    }
}
