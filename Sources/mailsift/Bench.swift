import ArgumentParser
import MailsiftCore
import MailsiftCrypto
import MailsiftDNS
import MailsiftEncoder
import Foundation
import MailsiftBenchmarks
import MailsiftFiles
import MailsiftTrees

extension Mailsift {
    struct Bench: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Benchmarks (run a release build: swift run -c release mailsift bench ...).",
            subcommands: [ParseBench.self, ClassifyBench.self, EncoderBench.self, VelocityBench.self]
        )
    }

    struct ParseBench: ParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "parse",
            abstract: "Parse throughput on one core: parsing alone, then the whole text pipeline."
        )

        @OptionGroup var corpus: BenchCorpusOption

        func run() throws {
            let messages = try corpus.messages
            let bench = ParseBenchmark(messages: messages, minimumSeconds: corpus.seconds)
            let parse = bench.parseOnly()
            print(parse.line)
            let full = bench.fullPipeline()
            print(full.line)
            let bytes = messages.reduce(0) { $0 + $1.count }
            print(String(format: "corpus: %d messages, %.1f MB, %d failed to parse", messages.count, Double(bytes) / 1e6, parse.errors))
        }
    }

    struct ClassifyBench: ParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "classify",
            abstract: "Classification throughput and latency on one core through every stage (rules, trees, text), with each stage's time."
        )

        @OptionGroup var modelOption: ModelOption
        @OptionGroup var corpus: BenchCorpusOption
        @Flag(help: "Read reply headers as written (no check against the sent Message-IDs, as before verify_replies).")
        var trustReplies = false
        @Flag(help: "Leave word salad in the text models' text (as before it was taken out).")
        var keepWordSalad = false
        @Flag(help: "Check replies against a ledger of every corpus message's Message-ID (a site that saw the threads), not an empty one.")
        var knownCorpus = false
        @Option(help: "Check SPF for every message through this DNS resolver (address@port), as serve with spf on (scripts/bench-spf.sh).")
        var spfResolver: String?
        @Option(help: "The longest a message waits on DNS for SPF, in milliseconds.")
        var spfBudgetMs = 200
        @Option(help: "Write unbound server lines that publish SPF records for the corpus's senders (and DKIM keys for its signatures) to this file, and stop.")
        var spfZone: String?
        @Flag(help: "With --spf-resolver, check DKIM signatures too.")
        var dkim = false
        @Flag(help: "With --spf-resolver, check DMARC (the zone publishes p=none for every From domain) and ARC too.")
        var dmarc = false
        @Flag(help: "Detect no language (serve's `language: false`); by default the analysis detects it, as serve does.")
        var noLanguage = false
        @Flag(help: "Record every verdict in the dashboard's ledger, as serve does with `dashboard` on.")
        var ledger = false

        func run() throws {
            if let spfZone {
                try (ClassifyBenchmark.spfZone(try corpus.messages).joined(separator: "\n") + "\n").write(toFile: spfZone, atomically: true, encoding: .utf8)
                return
            }
            var cascade = try modelOption.loader.cascade(modelOption.source)
            // The passes repeat the corpus: without this, every pass after the first would read the transformer
            // stage's embeddings from its cache, where a server sees mostly new mail.
            if let cached = cascade.encoder as? EmbeddingCache { cascade.encoder = cached.base }
            if noLanguage { cascade.languageDetector = nil }
            var benchmark = ClassifyBenchmark(
                messages: try corpus.messages, cascade: cascade, minimumSeconds: corpus.seconds, trustReplies: trustReplies, keepWordSalad: keepWordSalad)
            benchmark.knowsCorpus = knownCorpus
            benchmark.ledger = ledger
            if let spfResolver {
                benchmark.authentication = SenderAuthentication(
                    resolver: try UnboundResolver(forwarders: [spfResolver]), authservID: "mailsift", dkim: dkim ? SwiftCryptoDKIM() : nil)
                if dmarc, let dns = benchmark.authentication?.spf?.resolver {
                    benchmark.authentication?.dmarc = DMARCCheck(resolver: dns, suffixes: try DomainName.publicSuffixes ?? LibPSL())
                    benchmark.authentication?.arc = ARCCheck(resolver: dns, crypto: SwiftCryptoDKIM())
                }
                benchmark.spfBudget = .milliseconds(spfBudgetMs)
            }
            print(try benchmark.run())
        }
    }

    struct EncoderBench: ParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "encoder",
            abstract: "The transformer stage's encoder on one core: per-message latency at each window, FP32 and INT8, and batches (docs/transformer.md)."
        )

        @OptionGroup var corpus: BenchCorpusOption
        @Option(help: "The encoder's folder (default: MAILSIFT_ENCODER, else \(EncoderLocation.defaultFolder)).")
        var encoder: String?
        @Option(help: "Windows in tokens, comma-separated.")
        var tokens = "64,128,256"
        @Option(help: "Precisions, comma-separated: fp32, int8.")
        var precision = "fp32,int8"
        @Option(help: "Messages a batch.")
        var batch = 8

        func run() throws {
            let windows = tokens.split(separator: ",").compactMap { Int($0) }
            let bench = EncoderBenchmark(messages: try corpus.messages, minimumSeconds: corpus.seconds)
            for name in precision.split(separator: ",") {
                guard let p = BertEncoder.Precision(rawValue: String(name)) else { throw ValidationError("unknown precision \(name)") }
                let model = try BertEncoder(folder: URL(fileURLWithPath: EncoderLocation.folder(configured: encoder)), precision: p)
                for line in bench.run(model, name: model.identity, tokens: windows, batch: batch) { print(line) }
            }
            print("\(bench.texts.count) messages, one core")
        }
    }

    struct VelocityBench: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "velocity",
            abstract: "Sender-state updates per second against Redis (each one atomic script, one round trip)."
        )

        @Option(help: "Redis server (redis://host:port).")
        var redis: String
        @Option(help: "Observations to make.")
        var messages = 10_000
        @Option(help: "Observations in flight at once.")
        var concurrency = 16
        @Option(help: "The time they are made at (Unix seconds; default now).")
        var time: Int64?
        @Option(help: "The client IP observed.")
        var ip = "192.0.2.1"

        func run() async throws {
            let load = try VelocityLoad(
                redis: redis, messages: messages, concurrency: concurrency, time: time ?? Int64(Date().timeIntervalSince1970), ip: ip)
            print(try await load.run())
        }
    }
}
