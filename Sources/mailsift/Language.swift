import ArgumentParser
import MailsiftCommandLine
import MailsiftLanguage

extension Mailsift {
    struct Language: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Detect the language and script of messages (CLD2), of labelled corpora, or measure the detector on labelled text (docs/content.md).",
            discussion: "With files: one JSON line per message. --corpus: the languages of each label. --labelled: accuracy on a TSV of language, length and text (scripts/language-eval.sh)."
        )

        @Option(help: "A labelled corpus folder: its languages per label. Repeatable.")
        var corpus: [String] = []
        @Option(help: "A TSV of language<TAB>length<TAB>text lines: the detector's accuracy on it.")
        var labelled: String?
        @Argument(help: "Message files, or - for standard input.")
        var files: [String] = []

        func run() throws {
            let detector = CLD2LanguageDetector()
            if !CLD2LanguageDetector.hasFullTables { print("warning: CLD2's full tables are not linked: 83 languages, not 160") }
            if let labelled {
                print("CLD2 \(CLD2LanguageDetector.version)")
                print(try LanguageCommand.evaluate(labelled: labelled, detector: detector))
            }
            if !corpus.isEmpty { print(try LanguageCommand.corpora(corpus, detector: detector)) }
            if labelled == nil && corpus.isEmpty {
                try Mailsift.exitingOnReadErrors {
                    try LanguageCommand.run(files: files.isEmpty ? ["-"] : files, detector: detector) { print($0) }
                }
            }
        }
    }
}
