import Foundation
import MailsiftCore
import MailsiftFiles
import MailsiftTraining
import MailsiftTrees

/// `mailsift eval`: score the test rows, print the reference metrics, optionally write the scores file and
/// an ablation table (each view dropped in turn, retrained on the train rows with the model's settings).
public enum EvalCommand {
    /// How messages that claim to be replies are read (``ReplyClaim``).
    public enum Replies: String, CaseIterable, Sendable {
        /// As written: the reply headers count whatever they name.
        case asWritten = "as-written"
        /// As `serve` reads them at a site whose users sent none of the mail: every claim discounted.
        case unverified
        /// As `serve` reads them at a site that knows every message of the split's corpora (train and test rows):
        /// a claim counts when it names one of them.
        case corpus
    }

    public static func run(
        model source: ModelLoader.Source, loader: ModelLoader = ModelLoader(trees: XGBoostTreeLoader()), corpora: [String], split: String,
        scoresPath: String?, stageScoresPath: String? = nil, reportPath: String? = nil, ablation: Bool, replies: Replies = .asWritten, lists: ListClaim.Reading = .corroborated, trust: AuthenticationTrust = .none,
        log: @escaping @Sendable (String) -> Void
    ) throws -> String {
        let (bundle, rules) = try loader.files(source)
        let splitFile = try SplitFile(path: split)
        let manifest = bundle.manifest
        let test = try splitFile.messages(split: "test", corpora: corpora)
            .filter { manifest.kind == .topics || manifest.labels.contains($0.label) }
        guard !test.isEmpty else { throw ValidationFailure("no test rows of \(split) in \(corpora.joined(separator: ", "))") }
        let bar = ProgressBar(title: "scoring", total: test.count)
        let clock = ContinuousClock()
        let start = clock.now
        let cascade = manifest.kind == .spam ? try loader.cascade(bundle, rules: rules) : nil
        let verifies: (@Sendable (ReplyClaim) -> Bool)?
        switch replies {
        case .asWritten: verifies = nil
        case .unverified: verifies = { _ in false }
        case .corpus:
            let parser = MessageParser()
            let known = Set(try splitFile.messages(split: "train", corpora: corpora).map(\.bytes).compactMap { bytes in
                (try? parser.parse(bytes))?.messageID.flatMap(ReplyClaim.key)
            } + test.compactMap { (try? parser.parse($0.bytes))?.messageID.flatMap(ReplyClaim.key) })
            verifies = { claim in claim.referenced.contains(where: known.contains) }
        }
        let evaluation = cascade.map { Evaluation(cascade: $0, messages: test, progress: bar, verifies: verifies, lists: lists, trust: trust) }
            ?? Evaluation(classifier: Classifier(bundle: bundle), messages: test, progress: bar)
        let elapsed = clock.now - start
        if let scoresPath {
            try evaluation.scoresFile().write(toFile: scoresPath, atomically: true, encoding: .utf8)
        }
        if let reportPath, manifest.kind == .spam {
            let name = "\(manifest.version) on \((split as NSString).lastPathComponent)"
            let set = EvaluationReport.ScoreSet(
                name: name, scores: evaluation.rows.map { ($0.probability, $0.label == manifest.labels[1]) },
                stages: evaluation.stageShares.filter { $0.1 > 0 }.map { ($0.0.rawValue, $0.1) })
            let report = EvaluationReport(title: "Evaluation: \(name)", sets: [set], operatingPoints: manifest.operatingPoints)
            try report.html(generated: ISO8601DateFormatter().string(from: Date())).write(toFile: reportPath, atomically: true, encoding: .utf8)
        }
        var out = [evaluation.table(file: scoresPath ?? "test")]
        out.append(String(format: "model %@; %d messages scored in %.2f s (parse, features, model; all cores); replies %@, lists %@, authentication results %@", manifest.version, test.count, elapsed.seconds, replies.rawValue, lists.rawValue, trust.authservIDs.isEmpty ? "none trusted" : "trusted from " + trust.authservIDs.sorted().joined(separator: ",")))
        if let target = manifest.operatingPoints?.targetFPR, case let rates = evaluation.actionRates(targetFPR: target), !rates.isEmpty {
            out.append(actionTable(rates))
        }
        if let cascade, manifest.cascade != nil {
            out.append(try stageTable(bundle: bundle, rules: rules, loader: loader, test: test, configured: cascade.mode, stageScoresPath: stageScoresPath, trust: trust))
        }
        if ablation { out.append(try ablationTable(bundle: bundle, corpora: corpora, split: split, full: evaluation, encoder: loader.encoder, log: log)) }
        return out.joined(separator: "\n")
    }

    /// The realised false-positive rate and recall at each action's threshold, beside the rate it was chosen for.
    static func actionTable(_ rates: [Evaluation.ActionRate]) -> String {
        let rows = rates.map { r -> [(String, String)] in
            [("action", r.action.rawValue + "+"), ("target fpr", String(format: "%.3f%%", 100 * r.targetFPR)),
             ("realised fpr", String(format: "%.3f%% (%d)", 100 * r.fpr, r.falsePositives)),
             ("realised / target", String(format: "%.2f", r.fpr / r.targetFPR)), ("recall", String(format: "%.2f%%", 100 * r.recall))]
        }
        return "the model's actions on the test rows (each class's share at the action or above):\n" + SpamMetrics.table(rows)
    }

    /// Each stage alone and each way of combining them on the test rows: recall, AUC, the share of
    /// messages each stage decided, and throughput (one core).
    /// With `stageScoresPath`, each message's stages apart are written there (``stageScoresFile``).
    static func stageTable(
        bundle: ModelBundle, rules: RuleSet, loader: ModelLoader, test: [CorpusMessage], configured: CascadeManifest.Mode, stageScoresPath: String? = nil,
        trust: AuthenticationTrust = .none
    ) throws -> String {
        guard let c = bundle.manifest.cascade else { return "" }
        var analyzer = Classifier(bundle: bundle).extractor
        analyzer.analyzer.languageDetector = loader.languageDetector
        let analysed = test.compactMap { m in (try? analyzer.analyze(m.bytes, trust: trust)).map { (m, $0) } }
        var rows: [[(String, String)]] = []
        var stackedRows: [StackedRow] = []
        var configuredVerdicts: [Cascade.Verdict] = []
        for mode in CascadeManifest.Mode.allCases {
            guard let cascade = try? loader.cascade(bundle, rules: rules, mode: mode) else { continue }
            var scratch = cascade.makeScratch()
            var scored: [(Double, Bool, Cascade.Stage)] = []
            let clock = ContinuousClock()
            let start = clock.now
            for (k, (m, a)) in analysed.enumerated() {
                let v = cascade.classify(a, scratch: &scratch)
                scored.append((v.probability, m.label == bundle.manifest.labels[1], v.stage))
                if mode == .stacked, let t = v.textMargin, let g = v.treeMargin {
                    stackedRows.append(StackedRow(index: k, text: t, tree: g, views: v.viewMargins, stacked: v.probability, spam: m.label == bundle.manifest.labels[1]))
                }
                if mode == configured { configuredVerdicts.append(v) }
            }
            let seconds = (clock.now - start).seconds
            let shares = Cascade.Stage.allCases.map { s in "\(s.rawValue) \(String(format: "%.1f%%", 100 * Double(scored.count { $0.2 == s }) / Double(max(scored.count, 1))))" }
            rows.append(row(mode.rawValue + (mode == configured ? " (configured)" : ""), scored.map { ($0.0, $0.1) },
                            decided: shares.joined(separator: ", "), rate: Double(scored.count) / max(seconds, 1e-9)))
        }
        // The transformer stage's part: the configured cascade once more without it.
        if c.transformer != nil, var plain = try? loader.cascade(bundle, rules: rules, mode: configured), plain.transformerActive {
            plain.encoder = nil
            var scratch = plain.makeScratch()
            let scored = analysed.map { (m, a) in (plain.classify(a, scratch: &scratch).probability, m.label == bundle.manifest.labels[1]) }
            rows.append(row(configured.rawValue + " without the transformer", scored, decided: "-", rate: nil))
        }
        if let stageScoresPath {
            let file = stageScoresFile(bundle: bundle, ids: analysed.map(\.0.id), labels: analysed.map(\.0.label), verdicts: configuredVerdicts, stacked: stackedRows)
            try file.write(toFile: stageScoresPath, atomically: true, encoding: .utf8)
        }
        let text = stackedRows.map { (bundle.manifest.calibration.probability(margin: $0.text), $0.spam) }
        let trees = stackedRows.map { (c.treeCalibration.probability(margin: $0.tree), $0.spam) }
        rows.insert(row("text model alone", text, decided: "-", rate: nil), at: 0)
        rows.insert(row("trees alone", trees, decided: "-", rate: nil), at: 1)
        // The view models' margins rank the messages as their probabilities would (recall and AUC use ranks).
        for (i, spec) in (c.viewModels ?? []).enumerated() {
            let scores = stackedRows.compactMap { r in i < r.views.count ? (r.views[i], r.spam) : nil }
            rows.insert(row("view model \(spec.name) alone", scores, decided: "-", rate: nil), at: 2 + i)
        }
        return "stages and combinations on the test rows (after parsing; throughput on one core, model stages only):\n" + SpamMetrics.table(rows)
            + "\n" + fallbackTable(bundle: bundle, rules: rules, loader: loader, analysed: analysed)
    }

    /// One test row's stages apart, with every stage run (the stacked mode): its index in the analysed rows.
    struct StackedRow {
        var index: Int
        var text: Double, tree: Double, views: [Double], stacked: Double
        var spam: Bool
    }

    /// `eval --stage-scores`: per row, the configured cascade's probability, action and deciding stage, then the
    /// stacked probability, the text model's and the trees' calibrated probabilities and the view models' margins
    /// (empty where the stacked run had no margins), then, for a model with a transformer stage, the head's margin
    /// where the stage ran.
    static func stageScoresFile(bundle: ModelBundle, ids: [String], labels: [String], verdicts: [Cascade.Verdict], stacked: [StackedRow]) -> String {
        guard let c = bundle.manifest.cascade else { return "" }
        let byIndex = Dictionary(stacked.map { ($0.index, $0) }, uniquingKeysWith: { a, _ in a })
        let transformer = c.transformer != nil
        var lines = ["id\tlabel\tprobability\taction\tstage\tstacked\ttext\ttrees" + (c.viewModels ?? []).map { "\tview.\($0.name)" }.joined()
            + (transformer ? "\ttransformer" : "")]
        for (k, v) in verdicts.enumerated() where k < ids.count {
            let stages = byIndex[k].map { s in
                ["\(s.stacked)", "\(bundle.manifest.calibration.probability(margin: s.text))", "\(c.treeCalibration.probability(margin: s.tree))"] + s.views.map { "\($0)" }
            } ?? []
            var fields = [ids[k], labels[k], "\(v.probability)", v.action.rawValue, v.stage.rawValue] + stages
            if transformer {
                // The head's margin where the stage ran (after the view columns, padded when the stacked run had none).
                fields += [String](repeating: "", count: max(0, 8 + (c.viewModels?.count ?? 0) - fields.count))
                fields.append(v.transformerMargin.map { "\($0)" } ?? "")
            }
            lines.append(fields.joined(separator: "\t"))
        }
        return lines.joined(separator: "\n") + "\n"
    }

    /// What the server's fallback (``Cascade/fallbackVerdict(_:envelope:sender:scratch:)``: rules, then the
    /// trees alone) does on the test rows at its own actions: the share of ham and of spam at each action
    /// or above, beside the full cascade's.
    static func fallbackTable(bundle: ModelBundle, rules: RuleSet, loader: ModelLoader, analysed: [(CorpusMessage, AnalyzedMessage)]) -> String {
        guard let cascade = try? loader.cascade(bundle, rules: rules) else { return "" }
        var scratch = cascade.makeScratch()
        let spamLabel = bundle.manifest.labels[1]
        var actions: [String: [(action: Action, spam: Bool)]] = ["full cascade": [], "fallback (rules, trees alone)": [], "rules alone": []]
        for (m, a) in analysed {
            let spam = m.label == spamLabel
            actions["full cascade"]!.append((cascade.classify(a, scratch: &scratch).action, spam))
            actions["fallback (rules, trees alone)"]!.append((cascade.fallbackVerdict(a, scratch: &scratch).action, spam))
            actions["rules alone"]!.append((cascade.rulesVerdict(a).action, spam))
        }
        let target = bundle.manifest.operatingPoints?.targetFPR ?? 0.001
        let rows = actions.keys.sorted().map { name -> [(String, String)] in
            var row = [("verdicts", name)]
            for r in Evaluation.actionRates(actions[name]!, targetFPR: target) {
                row.append(("ham at \(r.action.rawValue)+", String(format: "%.3f%% (%d)", 100 * r.fpr, r.falsePositives)))
                row.append(("spam at \(r.action.rawValue)+", String(format: "%.2f%%", 100 * r.recall)))
            }
            return row
        }
        return "the server's fallback at its own actions on the test rows (share of each class at the action or above):\n" + SpamMetrics.table(rows)
    }

    private static func row(_ name: String, _ scores: [(Double, Bool)], decided: String, rate: Double?) -> [(String, String)] {
        let s = SpamMetrics(scores: scores, verdicts: nil)
        return [
            ("stages", name), ("auc", s.map { String(format: "%.6f", $0.auc) } ?? "-"),
            ("recall@0.01", s.map { String(format: "%.2f%%", 100 * $0.recallAt1) } ?? "-"),
            ("recall@0.001", s.map { String(format: "%.2f%%", 100 * $0.recallAt01) } ?? "-"),
            ("decided by", decided), ("msg/s", rate.map { String(format: "%.0f", $0) } ?? "-"),
        ]
    }

    static func ablationTable(
        bundle: ModelBundle, corpora: [String], split: String, full: Evaluation, encoder: (@Sendable (ModelBundle) -> (any SentenceEncoder)?)? = nil,
        log: @escaping @Sendable (String) -> Void
    ) throws -> String {
        let m = bundle.manifest
        var rows: [[(String, String)]] = []
        func row(_ name: String, _ e: Evaluation) -> [(String, String)] {
            if let s = e.spam {
                return [("views", name), ("auc", String(format: "%.6f", s.auc)), ("recall@0.01", String(format: "%.2f%%", 100 * s.recallAt1)),
                        ("recall@0.001", String(format: "%.2f%%", 100 * s.recallAt01))]
            }
            if let c = e.classes {
                return [("views", name), ("accuracy", String(format: "%.4f", c.accuracy)), ("macro-f1", String(format: "%.4f", c.macroF1))]
            }
            return [("views", name)]
        }
        rows.append(row("all", full))
        let tmp = FileManager.default.temporaryDirectory.appendingPathComponent("mailsift-ablation-\(getpid()).msmodel").path
        defer { try? FileManager.default.removeItem(atPath: tmp) }
        for view in FeatureView.allCases where m.features.views.contains(view) {
            log("ablation: retraining without \(view.rawValue)")
            // The model's own recipe (as its manifest records it), one view fewer.
            var settings = TrainingRun.Settings(
                labels: m.kind == .spam ? [m.labels[1], m.labels[0]] : nil, epochs: m.epochs, folds: m.kind == .spam ? 5 : 0, calibration: .platt,
                targetFPR: m.operatingPoints?.targetFPR ?? 0.001, hashBits: m.features.hashBits, seed: m.seed,
                views: m.features.views.subtracting([view])
            )
            settings.hamWeight = m.hamWeight ?? 1
            settings.viewModels = !(m.cascade?.viewModels ?? []).isEmpty
            settings.timeBlockedFolds = m.timeBlockedFolds ?? false
            settings.thresholdMargin = m.thresholdMargin ?? 1
            settings.rejectAgreement = m.cascade?.rejectAgreement
            settings.conversationHeaders = m.features.conversationHeaders
            settings.droppedTreeColumns = Set((m.cascade?.droppedTreeColumns ?? []).map { MetadataFeature.allCases[$0] })
            // A model with a transformer stage is retrained with it, through the same encoder.
            if let spec = m.cascade?.transformer, let encoder = encoder?(bundle) {
                settings.transformer = encoder
                settings.transformerTokens = spec.tokens
                settings.transformerBand = (spec.lower, nil)
            }
            let request = TrainCommand.Request(corpora: corpora, split: split, out: tmp, settings: settings)
            let (_, evaluation) = try TrainCommand.train(request) { _ in }
            if let evaluation { rows.append(row("without \(view.rawValue)", evaluation)) }
        }
        return "ablation (each view dropped, retrained on the train rows):\n" + SpamMetrics.table(rows)
    }
}
