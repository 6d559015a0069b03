import Foundation
import MailsiftCore
import MailsiftFiles
import MailsiftTraining
import MailsiftTrees

/// `mailsift replay`: the feedback loop replayed on a split's rows in time order (``ReplayExperiment``), with
/// the scores and the retrainings' reports written to files when asked; returns the summary lines.
public enum ReplayCommand {
    public struct Request: Sendable {
        public var model: ModelLoader.Source
        public var corpora: [String]
        public var split: String
        /// Every row of the split, not only the test rows.
        public var allRows: Bool
        /// The replay's settings (label rate, delays, seed, the retrainer and its gate); its messages, model
        /// and rules are filled in from the files.
        public var configure: @Sendable (inout ReplayExperiment) -> Void
        public var scores: String?
        public var reports: String?
        /// The adaptation curve's trailing window and the days between its points (``AdaptationCurve``).
        public var curve: (windowDays: Int, step: Int)

        public init(
            model: ModelLoader.Source, corpora: [String], split: String, allRows: Bool, scores: String?, reports: String?,
            curve: (windowDays: Int, step: Int) = (30, 7), configure: @escaping @Sendable (inout ReplayExperiment) -> Void
        ) {
            self.model = model
            self.corpora = corpora
            self.split = split
            self.allRows = allRows
            self.scores = scores
            self.reports = reports
            self.curve = curve
            self.configure = configure
        }
    }

    public static func run(_ r: Request, loader: ModelLoader = ModelLoader(trees: XGBoostTreeLoader()), log: (String) -> Void) throws -> String {
        let (bundle, rules) = try loader.files(r.model)
        let file = try SplitFile(path: r.split)
        let messages = try file.messages(split: "test", corpora: r.corpora) + (r.allRows ? try file.messages(split: "train", corpora: r.corpora) : [])
        var replay = ReplayExperiment(messages: messages, bundle: bundle, rules: rules)
        replay.retrainer.trees = loader.trees
        r.configure(&replay)
        let o = try replay.run(log: log)
        if let scores = r.scores {
            let rows = o.scored.map {
                "\($0.time)\t\($0.id)\t\($0.spam ? "spam" : "ham")\t\($0.frozen)\t\($0.live)\t\($0.liveVersion)\t\($0.frozenAction.rawValue)\t\($0.liveAction.rawValue)\n"
            }
            let header = "time\tid\tlabel\tfrozen\tlive\tlive_version\tfrozen_action\tlive_action\n"
            try Data((header + rows.joined()).utf8).write(to: URL(fileURLWithPath: scores))
        }
        if let reports = r.reports {
            try Data(o.reports.map { $0.json() + "\n" }.joined().utf8).write(to: URL(fileURLWithPath: reports))
        }
        func line(_ name: String, _ m: SpamMetrics?) -> String {
            guard let m else { return "\(name): no figures (one class only)" }
            return String(format: "%@: AUC %.6f, recall at 1%% FPR %.2f%%, at 0.1%% FPR %.2f%%", name, m.auc, m.recallAt1 * 100, m.recallAt01 * 100)
        }
        let promoted = o.reports.filter(\.promoted).count
        return [
            "replay: \(o.messages) messages over \(o.days) days, \(o.labels) labels; \(o.reports.count) retrainings, \(promoted) promoted",
            line("frozen, whole replay", o.frozen), line("live,   whole replay", o.live),
            line("frozen, later half ", o.frozenLater), line("live,   later half ", o.liveLater),
            AdaptationCurve(scored: o.scored, windowDays: r.curve.windowDays, step: r.curve.step).table(),
        ].joined(separator: "\n")
    }
}
