import ArgumentParser
import MailsiftCommandLine

extension Mailsift {
    struct Campaigns: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Measure campaign fingerprints on labelled corpora: near-duplicates of earlier spam and ham, in order of arrival (docs/content.md)."
        )

        @Option(help: "A corpus folder. Repeatable.")
        var corpus: [String]

        func run() throws {
            print(try CampaignsCommand.run(corpora: corpus))
        }
    }
}
