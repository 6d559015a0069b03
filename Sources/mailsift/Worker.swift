import ArgumentParser
import Foundation
import MailsiftServer

extension Mailsift {
    struct Worker: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Classify messages from a Redis stream, in a consumer group with other workers (docs/learning.md, \"Streams\").",
            discussion: """
            Reads PREFIX:messages, PREFIX:feedback and PREFIX:sent, writes PREFIX:verdicts and PREFIX:dead. Delivery is at least \
            once; each verdict is written exactly once, and entries a killed worker left pending are claimed by \
            the others. Settings as for `serve` (--config, MAILSIFT_* variables); sender state is shared in the \
            same Redis.
            """
        )

        @OptionGroup var settings: ServiceOptions
        @Option(help: "Redis server (redis://host:port); default: redis_url from the configuration.")
        var redis: String?
        @Option(help: "Prefix of the stream names.")
        var prefix = "mailsift"
        @Option(help: "Consumer group.")
        var group = "mailsift"
        @Option(help: "This worker's name in the group (default: host name and process id).")
        var consumer: String?
        @Option(help: "Entries read at a time.")
        var batch = 32
        @Option(help: "Milliseconds an entry stays pending before another worker claims it.")
        var claimIdleMs = 30_000
        @Option(help: "Deliveries after which an entry goes to the dead-letter stream.")
        var maxDeliveries = 5

        func run() async throws {
            let c = try settings.resolve { c in
                if let redis { c.redisURL = redis }
            }
            guard batch > 0, claimIdleMs > 0, maxDeliveries > 0 else { throw ValidationError("--batch, --claim-idle-ms and --max-deliveries must be positive") }
            var worker = StreamWorker.Settings(consumer: consumer ?? "\(ProcessInfo.processInfo.hostName)-\(ProcessInfo.processInfo.processIdentifier)")
            worker.prefix = prefix
            worker.group = group
            worker.batch = batch
            worker.claimIdleMilliseconds = claimIdleMs
            worker.maxDeliveries = maxDeliveries
            try await Server.open(configuration: c).runStreamWorker(worker)
        }
    }
}
