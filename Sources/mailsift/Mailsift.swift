import ArgumentParser
import Foundation
import MailsiftApp
import Logging
import MailsiftCore
import MailsiftPostgres
import MailsiftRedis
import MailsiftSQLite
import MailsiftServer

@main
struct Mailsift: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "mailsift",
        abstract: "Real-time email classification: spam, phishing and categories.",
        subcommands: [Classify.self, Parse.self, Train.self, Eval.self, Serve.self, Worker.self, FeedbackCommand.self, Retrain.self, Replay.self, Bench.self]
    )
}

extension Mailsift {
    struct Parse: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Parse messages and print each one's structure as one JSON object per line.",
            discussion: "Exits non-zero only when a file cannot be read; a message that cannot be parsed prints {\"file\", \"error\"}."
        )

        @Argument(help: "Message files (.eml, RFC 5322), or - for standard input.")
        var files: [String] = ["-"]

        func run() throws {
            try Mailsift.exitingOnReadErrors { try ParseCommand.run(files: files) { print($0) } }
        }
    }

    struct Bench: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Benchmarks (run a release build: swift run -c release mailsift bench ...).",
            subcommands: [ParseBench.self, ClassifyBench.self, VelocityBench.self]
        )
    }

    struct ParseBench: ParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "parse",
            abstract: "Parse throughput on one core: parsing alone, then the whole text pipeline."
        )

        @Option(help: "A corpus folder (index.tsv + messages/) or a folder of message files. Repeatable.")
        var corpus: [String]

        @Option(help: "Minimum seconds measured per figure.")
        var seconds: Double = 3

        func run() throws {
            let messages = try Mailsift.loadCorpora(corpus)
            let bench = ParseBenchmark(messages: messages, minimumSeconds: seconds)
            let parse = bench.parseOnly()
            print(parse.line)
            let full = bench.fullPipeline()
            print(full.line)
            let bytes = messages.reduce(0) { $0 + $1.count }
            print(String(format: "corpus: %d messages, %.1f MB, %d failed to parse", messages.count, Double(bytes) / 1e6, parse.errors))
        }
    }
}

extension Calibration.Method: ExpressibleByArgument {}

/// `--model`, shared by the commands that score.
struct ModelOption: ParsableArguments {
    @Option(help: "Model bundle (default: the shipped model).")
    var model: String?
    @Option(help: "Rules file (YAML, docs/rules.md; default: the shipped rules).")
    var rules: String?
    @Flag(help: "Run no rules (stage 0).")
    var noRules = false

    func load() throws -> (ModelBundle, RuleSet) {
        (try ModelStore.load(model), noRules ? .empty : try RulesFile.load(rules))
    }
}

/// Where `feedback` and `retrain` find feedback, the feature log and the model registry: a data directory
/// (SQLite, registry in DIR/models), else PostgreSQL from `MAILSIFT_POSTGRES_URL` (a URL may hold a password,
/// so it is not an option).
struct StoreOption: ParsableArguments {
    @Option(help: "Data directory of `mailsift serve`; without it, the PostgreSQL store of MAILSIFT_POSTGRES_URL.")
    var dataDir: String?

    func withStore<T: Sendable>(_ body: (any LearningStore, any ModelRegistry) async throws -> T) async throws -> T {
        if let dataDir {
            let registry = try DirectoryModelRegistry(directory: (dataDir as NSString).appendingPathComponent("models"))
            return try await body(try SQLiteStore(directory: dataDir), registry)
        }
        guard let url = ProcessInfo.processInfo.environment["MAILSIFT_POSTGRES_URL"] else {
            throw ValidationError("give --data-dir, or set MAILSIFT_POSTGRES_URL")
        }
        let store = try PostgresStore(url: url, logger: Logger(label: "mailsift"))
        let pool = Task { await store.run() }
        defer { pool.cancel() }
        try await store.migrate()
        return try await body(store, store)
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
    func resolve(_ adjust: (inout ServerConfiguration) -> Void) throws -> ServerConfiguration {
        var c = try config.map(ServerConfiguration.load(file:)) ?? ServerConfiguration()
        try c.apply(environment: ProcessInfo.processInfo.environment)
        if let model = models.model { c.model = model }
        if let rules = models.rules { c.rules = rules }
        if models.noRules { c.noRules = true }
        if let dataDir { c.dataDirectory = dataDir }
        adjust(&c)
        try c.validate()
        return c
    }

    /// The server assembled on `c`: process logging and metrics, and the data directory opened.
    func server(_ c: ServerConfiguration) async throws -> Server {
        let metrics = ServerMetrics()
        let logger = Server.bootstrapProcess(configuration: c, registry: metrics.registry)
        let learning = try await OnlineLearning.open(configuration: c, metrics: LearningMetrics(registry: metrics.registry), logger: logger)
        return Server(configuration: c, learning: learning, logger: logger, metrics: metrics)
    }
}

extension Mailsift {
    /// The message bytes of every corpus folder given; at least one message.
    static func loadCorpora(_ dirs: [String]) throws -> [[UInt8]] {
        var messages: [[UInt8]] = []
        for dir in dirs { messages += try CorpusReader.load(dir).map(\.bytes) }
        guard !messages.isEmpty else { throw ValidationError("no messages found in \(dirs.joined(separator: ", "))") }
        return messages
    }
}

extension Mailsift {
    /// Runs `body`; a message file or a model that cannot be read is reported on standard error with exit
    /// status 2 (a message that cannot be parsed is not an error: it gets its own output line).
    static func exitingOnReadErrors(_ body: () throws -> Void) throws {
        do {
            try body()
        } catch let error as ParseCommand.ReadError {
            FileHandle.standardError.write(Data("mailsift: \(error)\n".utf8))
            throw ExitCode(2)
        } catch let error as ModelStore.LoadError {
            FileHandle.standardError.write(Data("mailsift: \(error)\n".utf8))
            throw ExitCode(2)
        }
    }
}

extension Mailsift {
    struct Train: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Train a spam model (--labels spam,ham) or a topic model (--topics) on the train rows of a split."
        )

        @Option(help: "A corpus folder (its name is the corpus column of the split). Repeatable.")
        var corpus: [String]
        @Option(help: "Split file: corpus, id, label, split (tab-separated).")
        var split: String
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
        var hamWeight = TrainCommand.defaultHamWeight
        @Flag(inversion: .prefixedNo, help: "Scale each feature view by 1/sqrt(its feature count).")
        var normalizeViews = true
        @Option(help: "Feature views, comma-separated (default: all for spam; subject_words,body_words,char_ngrams,headers,urls for topics).")
        var views: String?
        @Flag(inversion: .prefixedNo, help: "Weigh features by inverse document frequency (default: on for topics, off for spam).")
        var idf: Bool?
        @Flag(inversion: .prefixedNo, help: "Spam models: train the view models (one over the header views, one over the content views) whose margins the combiner reads too.")
        var viewModels = true
        @Option(help: "Spam models: write each training row's out-of-fold scores to this TSV (id, label, score, then text, trees, stacked, cascade).")
        var oofScores: String?

        func validate() throws {
            if topics == (labels != nil) { throw ValidationError("give either --labels spam,ham or --topics") }
            if !(hamWeight > 0) { throw ValidationError("--ham-weight must be positive") }
            if oofScores != nil && (topics || (folds ?? 5) < 3) {
                throw ValidationError("--oof-scores needs a spam model with at least 3 folds (it writes the cascade's out-of-fold scores)")
            }
            _ = try parsedViews()
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
            var request = TrainCommand.Request(
                corpora: corpus, split: split, out: out, labels: labels.map { $0.split(separator: ",").map(String.init) },
                epochs: epochs ?? (topics ? 20 : 3), folds: folds ?? (topics ? 0 : 5), calibration: calibration, targetFPR: targetFpr, hashBits: hashBits, seed: seed,
                views: try parsedViews(), alpha: alpha, l2: l2, normalizeViews: normalizeViews, idf: idf
            )
            request.hamWeight = hamWeight
            request.outOfFoldScores = oofScores
            request.viewModels = viewModels
            let (bundle, evaluation) = try TrainCommand.train(request) { line in
                FileHandle.standardError.write(Data("mailsift: \(line)\n".utf8))
            }
            print(TrainSummary.text(bundle: bundle, evaluation: evaluation, path: out))
        }
    }

    struct Eval: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Score the test rows of a split and print the metrics of ../shared/eval/README.md."
        )

        @OptionGroup var modelOption: ModelOption
        @Option(help: "A corpus folder. Repeatable.")
        var corpus: [String]
        @Option(help: "Split file: corpus, id, label, split.")
        var split: String
        @Option(help: "Write id, label, score, verdict (spam) or id, label, predicted (topics) to this file.")
        var scores: String?
        @Flag(help: "Also retrain with each feature view dropped in turn and report the change.")
        var ablation = false

        func run() throws {
            let (bundle, rules) = try modelOption.load()
            let report = try EvalCommand.run(
                bundle: bundle, rules: rules, corpora: corpus, split: split, scoresPath: scores, ablation: ablation
            ) { line in FileHandle.standardError.write(Data("mailsift: \(line)\n".utf8)) }
            print(report)
        }
    }

    struct Classify: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Classify messages: one JSON object per message (label, probability, action, reasons).",
            discussion: "Exits non-zero only when a file or the model cannot be read."
        )

        @OptionGroup var modelOption: ModelOption
        @Option(help: "How many reasons to give per message.")
        var reasons = 8
        @Argument(help: "Message files, or - for standard input.")
        var files: [String] = ["-"]

        func run() throws {
            try Mailsift.exitingOnReadErrors {
                let (bundle, rules) = try modelOption.load()
                try ClassifyCommand.run(files: files, model: bundle, rules: rules, reasons: reasons) { print($0) }
            }
        }
    }

    struct ClassifyBench: ParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "classify",
            abstract: "Classification throughput and latency on one core through every stage (rules, trees, text), with each stage's time."
        )

        @OptionGroup var modelOption: ModelOption
        @Option(help: "A corpus folder or a folder of message files. Repeatable.")
        var corpus: [String]
        @Option(help: "Minimum seconds measured.")
        var seconds: Double = 3

        func run() throws {
            let messages = try Mailsift.loadCorpora(corpus)
            let (bundle, rules) = try modelOption.load()
            print(try ClassifyBenchmark(messages: messages, bundle: bundle, rules: rules, minimumSeconds: seconds).run())
        }
    }
}

extension Mailsift {
    struct Retrain: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Retrain from feedback behind the validation gate (docs/learning.md); exit 0 when the candidate is promoted, 3 when not.",
            discussion: """
            Reads the feature log and feedback of --data-dir, joins the labels known at the cut-off, updates the text \
            model from the current one, and scores current and candidate on the holdout (a fixed share of all labelled messages, never trained on). Every candidate is \
            registered in DIR/models; a promoted one becomes DIR/models/active.msmodel (serve --model that file to \
            hot-reload each promotion).
            """
        )

        @OptionGroup var stores: StoreOption
        @Option(help: "Also write a promoted model to this file, atomically (servers started with --model FILE reload it).")
        var publish: String?
        @Option(help: "The current model (default: the registry's active one, else the shipped model).")
        var model: String?
        @Option(help: "Rules file (default: the shipped rules).")
        var rules: String?
        @Option(help: "Cut-off, Unix seconds (default: now). Nothing logged or labelled after it is read.")
        var cutoff: Int64?
        @Option(help: "Days after classification that feedback is still joined.")
        var windowDays = 7
        @OptionGroup var gate: GateOptions
        @OptionGroup var updates: UpdateOptions

        func run() async throws {
            let promoted = try await stores.withStore { store, registry in try await retrain(store: store, registry: registry) }
            if !promoted { throw ExitCode(3) }
        }

        /// Whether the candidate was promoted.
        func retrain(store: any LearningStore, registry: any ModelRegistry) async throws -> Bool {
            let active = try await registry.active()
            let bundle: ModelBundle
            if let model {
                bundle = try ModelStore.load(model)
            } else if let active {
                bundle = try ModelBundle(decoding: try await registry.bundle(active.version))
            } else {
                bundle = try ModelStore.load(nil)
            }
            let cut = cutoff ?? Int64(Date().timeIntervalSince1970)
            var retrainer = Retrainer()
            retrainer.joiner = DelayedLabelJoiner(window: Int64(windowDays) * 86_400)
            gate.apply(to: &retrainer)
            updates.apply(to: &retrainer)
            // Labels up to the active version's cut-off are already in it.
            let since = active.map(\.createdAt) ?? .min
            let (candidate, report) = try retrainer.retrain(
                bundle, rules: try RulesFile.load(rules), entries: try await store.entries(from: .min, through: cut),
                feedback: try await store.feedback(from: .min, through: cut), cutoff: cut, since: since)
            print(report.json())
            guard let candidate else { return false }
            if active == nil, report.promoted {
                // The first promotion: keep the model it was trained from as the retired predecessor.
                try await registry.register(try bundle.encoded(), record: ModelRecord(
                    version: bundle.manifest.version, parent: nil, createdAt: cut, status: .retired, report: nil))
            }
            try await registry.register(try candidate.encoded(), record: ModelRecord(
                version: candidate.manifest.version, parent: bundle.manifest.version, createdAt: cut,
                status: report.promoted ? .active : .rejected, report: report.json()))
            if report.promoted, let publish {
                try Data(try candidate.encoded()).write(to: URL(fileURLWithPath: publish), options: .atomic)
            }
            return report.promoted
        }
    }

    struct Replay: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Replay the feedback loop on the test rows of a split in time order, against a model frozen at the start (docs/learning.md)."
        )

        @OptionGroup var modelOption: ModelOption
        @Option(help: "A corpus folder. Repeatable.")
        var corpus: [String]
        @Option(help: "Split file: corpus, id, label, split.")
        var split: String
        @Option(help: "Share of all messages that get a label.")
        var labelRate = 0.1
        @Option(help: "Chance that an error of the live model is reported.")
        var errorReportRate = 0.5
        @Option(help: "Largest delay of a label, in days.")
        var lagDays = 2.0
        @Option(help: "Random seed of the simulated users.")
        var seed: UInt64 = 1
        @Flag(help: "Replay every row of the split, not only the test rows (for corpora the model was not trained on).")
        var allRows = false
        @Option(help: "Weight of each new labelled example in the text model's update.")
        var exampleWeight = 1.0
        @OptionGroup var gate: GateOptions
        @OptionGroup var updates: UpdateOptions
        @Option(help: "Days between retrainings.")
        var retrainEveryDays = 1
        @Option(help: "Write each retraining's report (the gate's figures and decision) to this file, one JSON object per line.")
        var reports: String?
        @Option(help: "Write every replayed message's time, id, label and both models' probabilities to this file (TSV).")
        var scores: String?

        func run() throws {
            let (bundle, rules) = try modelOption.load()
            let file = try SplitFile(path: split)
            let messages = try file.messages(split: "test", corpora: corpus) + (allRows ? try file.messages(split: "train", corpora: corpus) : [])
            var replay = ReplayExperiment(messages: messages, bundle: bundle, rules: rules)
            replay.labelRate = labelRate
            replay.errorReportRate = errorReportRate
            replay.lagDays = lagDays
            replay.seed = seed
            replay.retrainer.exampleWeight = exampleWeight
            gate.apply(to: &replay.retrainer)
            updates.apply(to: &replay.retrainer)
            replay.retrainEveryDays = retrainEveryDays
            let o = try replay.run { FileHandle.standardError.write(Data(($0 + "\n").utf8)) }
            func line(_ name: String, _ m: SpamMetrics?) -> String {
                guard let m else { return "\(name): no figures (one class only)" }
                return String(format: "%@: AUC %.6f, recall at 1%% FPR %.2f%%, at 0.1%% FPR %.2f%%", name, m.auc, m.recallAt1 * 100, m.recallAt01 * 100)
            }
            if let scores {
                let rows = o.scored.map { "\($0.time)\t\($0.id)\t\($0.spam ? "spam" : "ham")\t\($0.frozen)\t\($0.live)\t\($0.liveVersion)\n" }
                try Data(("time\tid\tlabel\tfrozen\tlive\tlive_version\n" + rows.joined()).utf8).write(to: URL(fileURLWithPath: scores))
            }
            if let reports {
                try Data(o.reports.map { $0.json() + "\n" }.joined().utf8).write(to: URL(fileURLWithPath: reports))
            }
            let promoted = o.reports.filter(\.promoted).count
            print("replay: \(o.messages) messages over \(o.days) days, \(o.labels) labels; \(o.reports.count) retrainings, \(promoted) promoted")
            print(line("frozen, whole replay", o.frozen))
            print(line("live,   whole replay", o.live))
            print(line("frozen, later half ", o.frozenLater))
            print(line("live,   later half ", o.liveLater))
        }
    }
}

extension Mailsift {
    struct FeedbackCommand: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "feedback",
            abstract: "Store users' reports (spam / ham) in a data directory or PostgreSQL: one from the options, or many from a TSV file.",
            discussion: """
            The same store as POST /v1/feedback (docs/learning.md): durable and idempotent (a report already stored, \
            same message, user and time, is counted as a duplicate). Reports stored this way are used by \
            `mailsift retrain`; a running server learns reputations only from reports sent to its API.
            """
        )

        @OptionGroup var stores: StoreOption
        @Option(help: "The message's id, as its verdict gave it.")
        var messageId: String?
        @Option(help: "Who reports it.")
        var user: String?
        @Option(help: "spam or ham.")
        var label: String?
        @Option(help: "When it was reported (Unix seconds; default now).")
        var time: Int64?
        @Option(help: "A TSV file of reports: message_id, user, label, time (a header line is skipped).")
        var file: String?

        func run() async throws {
            let now = Int64(Date().timeIntervalSince1970)
            var reports: [Feedback] = []
            if let file {
                guard let text = try? String(contentsOfFile: file, encoding: .utf8) else { throw ValidationError("cannot read \(file)") }
                for (n, line) in text.split(separator: "\n").enumerated() where !line.isEmpty && !line.hasPrefix("message_id\t") {
                    let cols = line.split(separator: "\t", omittingEmptySubsequences: false).map(String.init)
                    guard cols.count >= 3, let label = Feedback.Label(rawValue: cols[2]) else {
                        throw ValidationError("\(file):\(n + 1): expected message_id, user, spam or ham, [time]")
                    }
                    let time = cols.count > 3 && !cols[3].isEmpty ? Int64(cols[3]) : now
                    guard let time else { throw ValidationError("\(file):\(n + 1): the time is not a number") }
                    reports.append(Feedback(messageID: cols[0], user: cols[1], label: label, time: time))
                }
            }
            if let messageId {
                guard let user, let label = label.flatMap(Feedback.Label.init(rawValue:)) else {
                    throw ValidationError("--message-id needs --user and --label spam or ham")
                }
                reports.append(Feedback(messageID: messageId, user: user, label: label, time: time ?? now))
            }
            guard !reports.isEmpty else { throw ValidationError("give --message-id, --user and --label, or --file") }
            let stored = try await stores.withStore { store, _ in
                var stored = 0
                for r in reports where try await store.record(r) { stored += 1 }
                return stored
            }
            print("{\"stored\": \(stored), \"duplicates\": \(reports.count - stored)}")
        }
    }
}

extension Mailsift {
    struct VelocityBench: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "velocity",
            abstract: "Sender-state updates per second against Redis (each one atomic script, one round trip)."
        )

        @Option(help: "Redis server (redis://host:port).")
        var redis: String
        @Option(help: "Observations to make.")
        var messages = 10_000
        @Option(help: "Observations in flight at once.")
        var concurrency = 16
        @Option(help: "The time they are made at (Unix seconds; default now).")
        var time: Int64?
        @Option(help: "The client IP observed.")
        var ip = "192.0.2.1"

        func run() async throws {
            let keys = SenderKeys(clientIP: ip, envelopeSender: "bench@example.com", fromDomain: "example.com", recipients: ["user@example.org"])
            let load = VelocityLoad(
                client: try RedisClient(url: redis), messages: messages, concurrency: concurrency,
                time: time ?? Int64(Date().timeIntervalSince1970), keys: keys)
            print(try await load.run())
        }
    }

    struct Serve: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Serve classifications: HTTP API, Rspamd /checkv2, spamd and milter protocols, metrics, hot reload (docs/serving.md).",
            discussion: """
            Settings come from --config FILE (YAML), then MAILSIFT_* environment variables, then these options. \
            The admin and feedback tokens are read from the file or MAILSIFT_ADMIN_TOKEN / MAILSIFT_FEEDBACK_TOKEN \
            only, never from the command line.
            """
        )

        @OptionGroup var settings: ServiceOptions
        @Option(help: "Address to listen on (default 127.0.0.1).")
        var host: String?
        @Option(help: "HTTP port (default 11380).")
        var port: Int?
        @Option(help: "spamd protocol port (default: none).")
        var spamdPort: Int?
        @Option(help: "Milter protocol port (default: none).")
        var milterPort: Int?
        @Option(help: "A candidate model to score in shadow beside the serving one (disagreements counted and logged; GET /admin/shadow).")
        var shadowModel: String?

        func run() async throws {
            let c = try settings.resolve { c in
                if let host { c.host = host }
                if let port { c.port = port }
                if let spamdPort { c.spamdPort = spamdPort }
                if let milterPort { c.milterPort = milterPort }
                if let shadowModel { c.shadowModel = shadowModel }
            }
            try await settings.server(c).run()
        }
    }

    struct Worker: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Classify messages from a Redis stream, in a consumer group with other workers (docs/learning.md, \"Streams\").",
            discussion: """
            Reads PREFIX:messages, PREFIX:feedback and PREFIX:sent, writes PREFIX:verdicts and PREFIX:dead. Delivery is at least \
            once; each verdict is written exactly once, and entries a killed worker left pending are claimed by \
            the others. Settings as for `serve` (--config, MAILSIFT_* variables); sender state is shared in the \
            same Redis.
            """
        )

        @OptionGroup var settings: ServiceOptions
        @Option(help: "Redis server (redis://host:port); default: redis_url from the configuration.")
        var redis: String?
        @Option(help: "Prefix of the stream names.")
        var prefix = "mailsift"
        @Option(help: "Consumer group.")
        var group = "mailsift"
        @Option(help: "This worker's name in the group (default: host name and process id).")
        var consumer: String?
        @Option(help: "Entries read at a time.")
        var batch = 32
        @Option(help: "Milliseconds an entry stays pending before another worker claims it.")
        var claimIdleMs = 30_000
        @Option(help: "Deliveries after which an entry goes to the dead-letter stream.")
        var maxDeliveries = 5

        func run() async throws {
            let c = try settings.resolve { c in
                if let redis { c.redisURL = redis }
            }
            guard batch > 0, claimIdleMs > 0, maxDeliveries > 0 else { throw ValidationError("--batch, --claim-idle-ms and --max-deliveries must be positive") }
            var worker = StreamWorker.Settings(consumer: consumer ?? "\(ProcessInfo.processInfo.hostName)-\(ProcessInfo.processInfo.processIdentifier)")
            worker.prefix = prefix
            worker.group = group
            worker.batch = batch
            worker.claimIdleMilliseconds = claimIdleMs
            worker.maxDeliveries = maxDeliveries
            try await settings.server(c).runStreamWorker(worker)
        }
    }
}
