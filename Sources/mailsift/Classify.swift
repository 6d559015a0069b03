import ArgumentParser
import MailsiftCommandLine

extension Mailsift {
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
                try ClassifyCommand.run(files: files, model: modelOption.source, loader: modelOption.loader, trust: modelOption.trust, reasons: reasons) { print($0) }
            }
        }
    }
}
