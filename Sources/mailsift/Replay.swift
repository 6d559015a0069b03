import ArgumentParser
import Foundation
import MailsiftCommandLine
import MailsiftTraining

extension Mailsift {
    struct Replay: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Replay the feedback loop on the test rows of a split in time order, against a model frozen at the start (docs/learning.md)."
        )

        @OptionGroup var modelOption: ModelOption
        @OptionGroup var rows: SplitOption
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
        @Option(help: "Write every replayed message's time, id, label, both models' probabilities and actions to this file (TSV).")
        var scores: String?
        @Option(help: "The adaptation curve's window: each point gives the figures of the trailing this many days.")
        var windowDays = 30
        @Option(help: "Days between the adaptation curve's points.")
        var curveStep = 7
        @Flag(inversion: .prefixedNo, help: "Let each label teach the sender state as feedback does in the server (reputations; lists and senders the users marked not spam then cap the model's action at tag).")
        var senderLearning = true

        func run() throws {
            let (labelRate, errorReportRate, lagDays, seed, exampleWeight, gate, updates, retrainEveryDays, senderLearning) =
                (labelRate, errorReportRate, lagDays, seed, exampleWeight, gate, updates, retrainEveryDays, senderLearning)
            let request = ReplayCommand.Request(
                model: modelOption.source, corpora: rows.corpus, split: rows.split, allRows: allRows, scores: scores, reports: reports,
                curve: (windowDays: windowDays, step: curveStep)
            ) { replay in
                replay.labelRate = labelRate
                replay.errorReportRate = errorReportRate
                replay.lagDays = lagDays
                replay.seed = seed
                replay.retrainer.exampleWeight = exampleWeight
                gate.apply(to: &replay.retrainer)
                updates.apply(to: &replay.retrainer)
                replay.retrainEveryDays = retrainEveryDays
                replay.learnsSenders = senderLearning
            }
            print(try ReplayCommand.run(request) { FileHandle.standardError.write(Data(($0 + "\n").utf8)) })
        }
    }
}
