import ArgumentParser
import MailsiftCommandLine

extension Mailsift {
    struct Parse: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Parse messages and print each one's structure as one JSON object per line.",
            discussion: "Exits non-zero only when a file cannot be read; a message that cannot be parsed prints {\"file\", \"error\"}."
        )

        @Argument(help: "Message files (.eml, RFC 5322), or - for standard input.")
        var files: [String] = ["-"]

        func run() throws {
            try Mailsift.exitingOnReadErrors { try ParseCommand.run(files: files) { print($0) } }
        }
    }
}
