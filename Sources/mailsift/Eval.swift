import ArgumentParser
import MailsiftCommandLine
import MailsiftCore
import MailsiftEncoder

extension Mailsift {
    struct Eval: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Score the test rows of a split and print the metrics of ../shared/eval/README.md."
        )

        @OptionGroup var modelOption: ModelOption
        @OptionGroup var rows: SplitOption
        @Option(help: "Write id, label, score, verdict (spam) or id, label, predicted (topics) to this file.")
        var scores: String?
        @Option(help: "Spam models: write each test row's stages apart to this file (TSV: id, label, the cascade's probability, action and deciding stage, then, with every stage run, the stacked probability, the text model's and the trees' calibrated probabilities and each view model's margin).")
        var stageScores: String?
        @Option(help: "Spam models: also write the evaluation as one HTML report with plots (as `mailsift report`) to this file.")
        var report: String?
        @Flag(help: "Also retrain with each feature view dropped in turn and report the change.")
        var ablation = false
        @Option(help: "How reply headers are read: as-written; unverified (as serve reads them where no user sent the mail named); corpus (as serve reads them where every message of the split's corpora is known) (docs/adversarial.md).")
        var replies: EvalCommand.Replies = .asWritten
        @Option(help: "How list headers are read: corroborated (as serve reads them: only when the envelope sender's domain is the list's); as-written; unread (as serve with verify_lists reads them for a list no user reads) (docs/adversarial.md).")
        var lists: ListClaim.Reading = .corroborated

        func run() throws {
            let (loader, provider) = modelOption.loaderAndProvider()
            print(try EvalCommand.run(model: modelOption.source, loader: loader, corpora: rows.corpus, split: rows.split, scoresPath: scores, stageScoresPath: stageScores, reportPath: report, ablation: ablation, replies: replies, lists: lists, trust: modelOption.trust, log: Mailsift.log))
            try provider?.savePersistentCache()
        }
    }
}
