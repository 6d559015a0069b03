import ArgumentParser
import MailsiftAttachments
import MailsiftCommandLine

extension Mailsift {
    struct Attachments: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Compare the parser's content sniffer with libmagic on every attachment of labelled corpora (docs/content.md)."
        )

        @Option(help: "A corpus folder. Repeatable.")
        var corpus: [String]

        func run() throws {
            print(try AttachmentTypesCommand.run(corpora: corpus, inspector: try LibraryAttachmentInspector()))
        }
    }
}
