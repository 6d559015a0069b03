import ArgumentParser
import Foundation
import MailsiftApp
import MailsiftCore

@main
struct Mailsift: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "mailsift",
        abstract: "Real-time email classification: spam, phishing and categories.",
        subcommands: [Parse.self, Bench.self]
    )
}

extension Mailsift {
    struct Parse: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Parse messages and print each one's structure as one JSON object per line.",
            discussion: "Exits non-zero only when a file cannot be read; a message that cannot be parsed prints {\"file\", \"error\"}."
        )

        @Argument(help: "Message files (.eml, RFC 5322), or - for standard input.")
        var files: [String] = ["-"]

        func run() throws {
            do {
                try ParseCommand.run(files: files) { print($0) }
            } catch let error as ParseCommand.ReadError {
                FileHandle.standardError.write(Data("mailsift: \(error)\n".utf8))
                throw ExitCode(2)
            }
        }
    }

    struct Bench: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Benchmarks (run a release build: swift run -c release mailsift bench ...).",
            subcommands: [ParseBench.self]
        )
    }

    struct ParseBench: ParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "parse",
            abstract: "Parse throughput on one core: parsing alone, then the whole text pipeline."
        )

        @Option(help: "A corpus folder (index.tsv + messages/) or a folder of message files. Repeatable.")
        var corpus: [String]

        @Option(help: "Minimum seconds measured per figure.")
        var seconds: Double = 3

        func run() throws {
            var messages: [[UInt8]] = []
            for dir in corpus { messages += try CorpusReader.load(dir).map(\.bytes) }
            guard !messages.isEmpty else { throw ValidationError("no messages found in \(corpus.joined(separator: ", "))") }
            let bench = ParseBenchmark(messages: messages, minimumSeconds: seconds)
            let parse = bench.parseOnly()
            print(parse.line)
            let full = bench.fullPipeline()
            print(full.line)
            let bytes = messages.reduce(0) { $0 + $1.count }
            print(String(format: "corpus: %d messages, %.1f MB, %d failed to parse", messages.count, Double(bytes) / 1e6, parse.errors))
        }
    }
}
