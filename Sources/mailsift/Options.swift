import ArgumentParser
import Foundation
import Logging
import MailsiftCore
import MailsiftCommandLine
import MailsiftEncoder
import MailsiftFiles
import MailsiftLanguage
import MailsiftServer
import MailsiftTraining
import MailsiftTrees

extension Calibration.Method: ExpressibleByArgument {}
extension EvalCommand.Replies: ExpressibleByArgument {}
extension ListClaim.Reading: ExpressibleByArgument {}
extension BertEncoder.Precision: ExpressibleByArgument {}

/// `--model`, `--rules`, `--no-rules`: shared by the commands that score.
struct ModelOption: ParsableArguments {
    @Option(help: "Model bundle (default: the shipped model).")
    var model: String?
    @Option(help: "Rules file (YAML, docs/rules.md; default: the shipped rules).")
    var rules: String?
    @Flag(help: "Run no rules (stage 0).")
    var noRules = false
    @Option(help: "The transformer stage's encoder folder (default: MAILSIFT_ENCODER, else \(EncoderLocation.defaultFolder); docs/transformer.md).")
    var transformer: String?
    @Option(help: "The encoder's weights in fp32 or int8.")
    var transformerPrecision: BertEncoder.Precision = .fp32
    @Flag(help: "Run a model without its transformer stage.")
    var noTransformer = false
    @Option(name: .customLong("trusted-authserv-id"), help: "An authserv-id whose Authentication-Results (and Received-SPF receiver) are believed when above every untrusted Received hop; without one, none are (docs/authentication.md). Repeatable.")
    var trustedAuthservIDs: [String] = []
    @Option(name: .customLong("trusted-network"), help: "A relay of the site's besides loopback (address or CIDR block), for the position check of --trusted-authserv-id. Repeatable.")
    var trustedNetworks: [String] = []

    /// Whose authentication results the command believes.
    var trust: AuthenticationTrust {
        get throws {
            do {
                return try AuthenticationTrust(authservIDs: trustedAuthservIDs, networks: trustedNetworks)
            } catch {
                throw ValidationError("--trusted-network: \(error)")
            }
        }
    }

    func validate() throws { _ = try trust }

    var source: ModelLoader.Source { ModelLoader.Source(model: model, rules: rules, noRules: noRules) }

    /// The loader, with the encoder for a model that has a transformer stage (loaded once, when first needed), and CLD2
    /// for the language.
    var loader: ModelLoader { loaderAndProvider().loader }

    /// The same, with the provider (whose cache `eval` saves for the next run: ``EncoderProvider/savePersistentCache()``).
    func loaderAndProvider() -> (loader: ModelLoader, provider: EncoderProvider?) {
        guard !noTransformer else { return (ModelLoader(trees: XGBoostTreeLoader(), languageDetector: CLD2LanguageDetector()), nil) }
        let provider = EncoderProvider(configured: transformer, precision: transformerPrecision, log: Mailsift.log)
        let encoder: @Sendable (ModelBundle) -> (any SentenceEncoder)? = { provider.encoder(for: $0) }
        return (ModelLoader(trees: XGBoostTreeLoader(), encoder: encoder, languageDetector: CLD2LanguageDetector()), provider)
    }
}

/// Where `feedback` and `retrain` find feedback, the feature log and the model registry: a data directory
/// (SQLite, registry in DIR/models), else PostgreSQL from `MAILSIFT_POSTGRES_URL` (a URL may hold a password,
/// so it is not an option).
struct StoreOption: ParsableArguments {
    @Option(help: "Data directory of `mailsift serve`; without it, the PostgreSQL store of MAILSIFT_POSTGRES_URL.")
    var dataDir: String?

    func withStores<T: Sendable>(_ body: (Stores) async throws -> T) async throws -> T {
        let postgres = dataDir == nil ? ProcessInfo.processInfo.environment["MAILSIFT_POSTGRES_URL"] : nil
        do {
            return try await Stores.with(dataDirectory: dataDir, postgresURL: postgres, logger: Logger(label: "mailsift"), body)
        } catch let error as Stores.OpenError {
            throw ValidationError(error.description)
        }
    }
}

/// What `retrain` and `replay` update, checked before anything is read.
struct UpdateOptions: ParsableArguments {
    @Option(help: "What retraining updates: trees (correction trees on the tree stage), text (the text model, online), or text,trees.")
    var update = "text"
    @Option(help: "Share of labelled hams the tree retraining keeps (negative downsampling; the kept ones weigh its inverse).")
    var hamSampleRate = 1.0
    @Flag(help: "After a text update, refit the combiner on the examples' prequential text margins and tree margins, pulled toward the current combiner.")
    var recalibrate = false

    var parts: Set<String> { Set(update.split(separator: ",").map(String.init)) }

    func validate() throws {
        guard !parts.isEmpty, parts.isSubset(of: ["text", "trees"]) else { throw ValidationError("--update takes text, trees or text,trees") }
        guard hamSampleRate > 0, hamSampleRate <= 1 else { throw ValidationError("--ham-sample-rate must be in (0, 1]") }
    }

    func apply(to retrainer: inout Retrainer) {
        retrainer.updateText = parts.contains("text")
        retrainer.updateTrees = parts.contains("trees")
        retrainer.hamSampleRate = hamSampleRate
        retrainer.recalibrate = recalibrate
    }
}

/// The validation gate's settings, shared by `retrain` and `replay`.
struct GateOptions: ParsableArguments {
    @Option(help: "Share of all labelled messages (chosen by a hash of the message id) never trained on: the gate's holdout.")
    var holdout = Retrainer().holdoutFraction
    @Option(help: "Largest drop of recall at the target false-positive rate on the holdout the gate accepts.")
    var recallTolerance = Retrainer().recallTolerance
    @Option(help: "Largest rise of the holdout's false-positive rate (at each model's own threshold) the gate accepts.")
    var fprTolerance = Retrainer().fprTolerance
    @Option(help: "Largest rise of the holdout's mean log loss the gate accepts.")
    var logLossTolerance = Retrainer().logLossTolerance
    @Option(help: "Fewest holdout messages of each class the gate decides on (fewer: the candidate is not promoted).")
    var minPerClass = Retrainer().minimumPerClass

    func validate() throws {
        guard holdout > 0, holdout < 1 else { throw ValidationError("--holdout must be in (0, 1)") }
        guard recallTolerance >= 0, fprTolerance >= 0, logLossTolerance >= 0, minPerClass >= 0 else {
            throw ValidationError("gate tolerances and --min-per-class must not be negative")
        }
    }

    func apply(to retrainer: inout Retrainer) {
        retrainer.holdoutFraction = holdout
        retrainer.recallTolerance = recallTolerance
        retrainer.fprTolerance = fprTolerance
        retrainer.logLossTolerance = logLossTolerance
        retrainer.minimumPerClass = minPerClass
    }
}

/// The settings `serve` and `worker` share: configuration file, model, rules and data directory.
struct ServiceOptions: ParsableArguments {
    @Option(help: "Configuration file (YAML; keys in docs/serving.md).")
    var config: String?
    @OptionGroup var models: ModelOption
    @Option(help: "Data directory: feedback, feature log and sender reputations (SQLite). Without it, sender state is kept in memory only and feedback is refused.")
    var dataDir: String?

    /// The file, then MAILSIFT_* variables, then these options, then the command's own (`adjust`); validated.
    func resolve(_ adjust: @escaping (inout ServerConfiguration) -> Void) throws -> ServerConfiguration {
        try ServerConfiguration.resolve(file: config, environment: ProcessInfo.processInfo.environment) { c in
            if let model = models.model { c.model = model }
            if let rules = models.rules { c.rules = rules }
            if models.noRules { c.noRules = true }
            if let dataDir { c.dataDirectory = dataDir }
            adjust(&c)
        }
    }
}

/// `--corpus` (repeatable) and `--split`: the labelled rows that `train`, `eval` and `replay` read.
struct SplitOption: ParsableArguments {
    @Option(help: "A corpus folder (its name is the corpus column of the split). Repeatable.")
    var corpus: [String]
    @Option(help: "Split file: corpus, id, label, split (tab-separated).")
    var split: String
}

/// `--corpus` and `--seconds`: what the throughput benchmarks read and for how long.
struct BenchCorpusOption: ParsableArguments {
    @Option(help: "A corpus folder (index.tsv + messages/) or a folder of message files. Repeatable.")
    var corpus: [String]
    @Option(help: "Minimum seconds measured (per figure).")
    var seconds: Double = 3

    var messages: [[UInt8]] { get throws { try CorpusReader.messageBytes(of: corpus) } }
}

/// The attack edits named in a comma-separated list (`attack --edits`, `train --augment-edits`).
func attackEdits(_ list: String) throws -> [AttackEdit] {
    try list.split(separator: ",").map { name in
        guard let edit = AttackEdit(rawValue: name.trimmingCharacters(in: .whitespaces)) else {
            throw ValidationError("unknown edit \(name); edits: \(AttackEdit.allCases.map(\.rawValue).joined(separator: ", "))")
        }
        return edit
    }
}
