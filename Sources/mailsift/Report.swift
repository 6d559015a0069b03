import ArgumentParser
import MailsiftCommandLine

extension Mailsift {
    struct Report: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Write one self-contained HTML evaluation report (SVG plots: ROC on log-FPR axes, precision-recall, reliability, score histograms, actions, stages) of one or more score files, overlaid (docs/models.md)."
        )

        @Option(help: "A scores file of `eval --scores` (id, label, score, verdict). Repeatable: the sets are overlaid.")
        var scores: [String] = []
        @Option(help: "A name per --scores file, in order (default: the file names).")
        var name: [String] = []
        @Option(help: "A stage-scores file of `eval --stage-scores` per --scores file, in order: the deciding-stage chart.")
        var stageScores: [String] = []
        @Option(help: "Model bundle whose thresholds give the actions (default: the shipped model).")
        var model: String?
        @Option(help: "The report's title.")
        var title = "Mailsift evaluation"
        @Option(help: "The HTML file to write.")
        var out: String

        func run() throws {
            print(try ReportCommand.run(scores: scores, names: name, stageScores: stageScores, model: model, title: title, out: out))
        }
    }
}
