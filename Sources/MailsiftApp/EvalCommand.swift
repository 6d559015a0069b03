import Foundation
import MailsiftCore

/// `mailsift eval`: score the test rows, print the reference metrics, optionally write the scores file and
/// an ablation table (each view dropped in turn, retrained on the train rows with the model's settings).
public enum EvalCommand {
    public static func run(
        bundle: ModelBundle, corpora: [String], split: String, scoresPath: String?, ablation: Bool,
        log: @escaping @Sendable (String) -> Void
    ) throws -> String {
        let splitFile = try SplitFile(path: split)
        let manifest = bundle.manifest
        let test = try splitFile.messages(split: "test", corpora: corpora)
            .filter { manifest.kind == .topics || manifest.labels.contains($0.label) }
        guard !test.isEmpty else { throw ValidationFailure("no test rows of \(split) in \(corpora.joined(separator: ", "))") }
        let bar = ProgressBar(title: "scoring", total: test.count)
        let clock = ContinuousClock()
        let start = clock.now
        let evaluation = Evaluation(classifier: Classifier(bundle: bundle), messages: test, progress: bar)
        let elapsed = clock.now - start
        if let scoresPath {
            try evaluation.scoresFile().write(toFile: scoresPath, atomically: true, encoding: .utf8)
        }
        var out = [evaluation.table(file: scoresPath ?? "test")]
        out.append(String(format: "model %@; %d messages scored in %.2f s (parse, features, model; all cores)", manifest.version, test.count, elapsed.seconds))
        if ablation { out.append(try ablationTable(bundle: bundle, corpora: corpora, split: split, full: evaluation, log: log)) }
        return out.joined(separator: "\n")
    }

    static func ablationTable(bundle: ModelBundle, corpora: [String], split: String, full: Evaluation, log: @escaping @Sendable (String) -> Void) throws -> String {
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
            let request = TrainCommand.Request(
                corpora: corpora, split: split, out: tmp, labels: m.kind == .spam ? [m.labels[1], m.labels[0]] : nil,
                epochs: m.epochs, folds: m.kind == .spam ? 5 : 0, calibration: .platt,
                targetFPR: m.operatingPoints?.targetFPR ?? 0.001, hashBits: m.features.hashBits, seed: m.seed,
                views: m.features.views.subtracting([view])
            )
            let (_, evaluation) = try TrainCommand.train(request) { _ in }
            if let evaluation { rows.append(row("without \(view.rawValue)", evaluation)) }
        }
        return "ablation (each view dropped, retrained on the train rows):\n" + SpamMetrics.table(rows)
    }
}
