import Foundation
import MailsiftCore
import MailsiftFiles
import MailsiftTraining

/// `mailsift train`: the `train` rows of a split read from the corpus folders, trained (``TrainingRun``),
/// evaluated on the `test` rows, and the bundle written; the summary printed.
public enum TrainCommand {
    public struct Request: Sendable {
        public var corpora: [String]
        public var split: String
        public var out: String
        public var settings: TrainingRun.Settings
        /// Spam models with trees: write each training row's out-of-fold scores to this TSV.
        public var outOfFoldScores: String?

        public init(corpora: [String], split: String, out: String, settings: TrainingRun.Settings, outOfFoldScores: String? = nil) {
            self.corpora = corpora
            self.split = split
            self.out = out
            self.settings = settings
            self.outOfFoldScores = outOfFoldScores
        }
    }

    /// Trains and writes the bundle (and the out-of-fold scores file); returns the summary.
    public static func run(_ r: Request, log: @escaping @Sendable (String) -> Void) throws -> String {
        let (bundle, evaluation) = try train(r, log: log)
        return TrainSummary.text(bundle: bundle, evaluation: evaluation, path: r.out)
    }

    static func train(_ r: Request, log: @escaping @Sendable (String) -> Void) throws -> (ModelBundle, Evaluation?) {
        let split = try SplitFile(path: r.split)
        let messages = try split.messages(split: "train", corpora: r.corpora)
        guard !messages.isEmpty else { throw ValidationFailure("no train rows of \(r.split) in \(r.corpora.joined(separator: ", "))") }
        var settings = r.settings
        settings.outOfFoldScores = r.outOfFoldScores != nil
        let result = try TrainingRun.train(
            messages, test: try split.messages(split: "test", corpora: r.corpora),
            corpora: r.corpora.map { URL(fileURLWithPath: $0).standardizedFileURL.lastPathComponent }, settings: settings,
            progress: { ProgressBar(title: $0, total: $1) }, log: log)
        if let path = r.outOfFoldScores, let scores = result.outOfFoldScores {
            try scores.write(toFile: path, atomically: true, encoding: .utf8)
        }
        try Data(result.bundle.encoded()).write(to: URL(fileURLWithPath: r.out), options: .atomic)
        return (result.bundle, result.evaluation)
    }
}
