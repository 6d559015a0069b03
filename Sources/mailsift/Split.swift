import ArgumentParser
import MailsiftCommandLine

extension Mailsift {
    struct Split: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Write a split file that tests on mail the model has not seen: time-forward or cross-source (docs/generalisation.md).",
            discussion: """
            time-forward: within each corpus and label, the newest --test-fraction of the messages (by arrival: the \
            topmost Received date, else Date:) test and the older ones train. cross-source: the --test-corpus \
            corpora test, the others train. Near-duplicates (same Message-ID or normalised body) stay on one side.
            """
        )

        enum Kind: String, ExpressibleByArgument { case timeForward = "time-forward", crossSource = "cross-source" }

        @Argument(help: "time-forward or cross-source.")
        var kind: Kind
        @Option(help: "A corpus folder. Repeatable.")
        var corpus: [String]
        @Option(help: "time-forward: the share of each corpus and label that tests.")
        var testFraction = 0.2
        @Option(help: "cross-source: a corpus (folder name) that tests. Repeatable.")
        var testCorpus: [String] = []
        @Option(help: "Where to write the split file.")
        var out: String

        func validate() throws {
            guard testFraction > 0, testFraction < 1 else { throw ValidationError("--test-fraction must be in (0, 1)") }
            if kind == .crossSource, testCorpus.isEmpty { throw ValidationError("cross-source needs --test-corpus") }
        }

        func run() throws {
            let p: SplitCommand.Kind = kind == .timeForward ? .timeForward(testFraction: testFraction) : .crossSource(testCorpora: Set(testCorpus))
            print(try SplitCommand.run(corpora: corpus, protocol: p, out: out))
        }
    }
}
