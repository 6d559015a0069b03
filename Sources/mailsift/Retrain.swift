import ArgumentParser
import Foundation
import MailsiftCommandLine
import MailsiftCore
import MailsiftTraining

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
            var retrainer = Retrainer()
            retrainer.joiner = DelayedLabelJoiner(window: Int64(windowDays) * 86_400)
            gate.apply(to: &retrainer)
            updates.apply(to: &retrainer)
            let request = RetrainCommand.Request(
                model: model, rules: rules, publish: publish, cutoff: cutoff ?? Int64(Date().timeIntervalSince1970), retrainer: retrainer)
            let (report, promoted) = try await stores.withStores { try await RetrainCommand.run(request, stores: $0) }
            print(report)
            if !promoted { throw ExitCode(3) }
        }
    }
}
