import Foundation
import Logging
import MailsiftCore
import MailsiftRedis
import ServiceLifecycle

/// `mailsift worker`: classifies messages from a Redis stream and takes feedback from another, in a consumer
/// group shared by any number of workers (docs/learning.md, "Streams").
///
/// - `PREFIX:messages`: a gateway appends `message` (the raw bytes) and optionally `ip`, `helo`, `from`
///   (envelope sender), `rcpt` (comma-separated) and `user`.
/// - `PREFIX:verdicts`: one entry per message, `source_id` (the message entry's id), `message_id`, `label`,
///   `probability`, `action`, `stage`, `model`, `degraded`.
/// - `PREFIX:feedback`: reports, `message_id`, `user`, `label` (spam or ham), `time` (Unix seconds; default now).
/// - `PREFIX:sent`: messages local users sent, `message` and optionally `from` and `rcpt`: the communication
///   graph's contacts (``OnlineLearning/recordSent(_:envelope:at:)``).
/// - `PREFIX:dead`: entries that could not be processed (no message, unparsable, invalid feedback, or
///   delivered ``RedisStreamConsumer/maxDeliveries`` times without a result), with the reason.
///
/// Delivery is at least once; a verdict is written exactly once (``RedisStreamConsumer/commit(_:to:fields:)``),
/// and feedback is idempotent in its store. Sender-state counts are not deduplicated: a message processed
/// again after its worker died is counted again.
public struct StreamWorker: Service {
    public let service: ClassificationService
    public let messages: RedisStreamConsumer
    public let feedback: RedisStreamConsumer
    public let sent: RedisStreamConsumer
    public let verdictStream: String
    public let batch: Int
    let logger: Logger

    public struct Settings: Sendable {
        public var prefix = "mailsift"
        public var group = "mailsift"
        public var consumer: String
        public var batch = 32
        public var claimIdleMilliseconds = 30_000
        public var maxDeliveries = 5

        public init(consumer: String) { self.consumer = consumer }
    }

    public init(service: ClassificationService, client: RedisClient, settings: Settings, logger: Logger) {
        self.service = service
        func consumer(_ name: String) -> RedisStreamConsumer {
            RedisStreamConsumer(
                client: client, stream: "\(settings.prefix):\(name)", group: settings.group, consumer: settings.consumer,
                deadLetterStream: "\(settings.prefix):dead", claimIdleMilliseconds: settings.claimIdleMilliseconds,
                maxDeliveries: settings.maxDeliveries)
        }
        messages = consumer("messages")
        feedback = consumer("feedback")
        sent = consumer("sent")
        verdictStream = "\(settings.prefix):verdicts"
        batch = settings.batch
        self.logger = logger
    }

    public func run() async throws {
        var groupsReady = false
        var lastClaim = ContinuousClock.now - .seconds(3_600)
        let claimEvery = Duration.milliseconds(max(100, messages.claimIdleMilliseconds / 2))
        let block = min(1_000, max(10, messages.claimIdleMilliseconds / 2))
        while !Task.isCancelled && !Task.isShuttingDownGracefully {
            do {
                if !groupsReady {
                    try await messages.createGroup()
                    try await feedback.createGroup()
                    try await sent.createGroup()
                    groupsReady = true
                    logger.info("stream worker started", metadata: ["stream": "\(messages.stream)", "consumer": "\(messages.consumer)"])
                }
                // Entries a dead or stuck worker left pending, first.
                if ContinuousClock.now - lastClaim >= claimEvery {
                    lastClaim = .now
                    try await process(messages: try await claim(messages))
                    for e in try await claim(feedback) { try await process(feedback: e) }
                    for e in try await claim(sent) { try await process(sent: e) }
                }
                for e in try await feedback.read(count: batch) { try await process(feedback: e) }
                for e in try await sent.read(count: batch) { try await process(sent: e) }
                try await process(messages: try await messages.read(count: batch, blockMilliseconds: block))
            } catch {
                // Redis down or restarting: what was read and not committed stays pending and is claimed later.
                logger.warning("stream worker: Redis failed, retrying in 1 s", metadata: ["error": "\(error)"])
                groupsReady = false
                try? await Task.sleep(for: .seconds(1))
            }
        }
    }

    /// Takes over what dead or stuck workers left pending on `consumer`'s stream; an entry delivered more than
    /// ``RedisStreamConsumer/maxDeliveries`` times (one that kills or hangs its workers) goes to the dead
    /// letters instead of being processed again.
    private func claim(_ consumer: RedisStreamConsumer) async throws(RedisError) -> [RedisStreamConsumer.Entry] {
        var entries: [RedisStreamConsumer.Entry] = []
        for e in try await consumer.claim(count: batch) {
            if e.deliveries > consumer.maxDeliveries {
                try await deadLetter(consumer, e, reason: "delivered \(e.deliveries) times without a result")
            } else {
                entries.append(e)
            }
        }
        return entries
    }

    /// Classifies a batch's entries concurrently (the service is thread-safe, and the commits share one
    /// pipelined connection), each committed on its own.
    func process(messages entries: [RedisStreamConsumer.Entry]) async throws(RedisError) {
        do {
            try await withThrowingTaskGroup(of: Void.self) { group in
                for e in entries { group.addTask { try await process(message: e) } }
                try await group.waitForAll()
            }
        } catch let error as RedisError {
            throw error
        } catch {
            throw .unavailable("\(error)")
        }
    }

    /// Classifies one message entry and commits its verdict.
    func process(message e: RedisStreamConsumer.Entry) async throws(RedisError) {
        guard let bytes = e.fields["message"] else {
            try await deadLetter(messages, e, reason: "no message field")
            return
        }
        let envelope = Self.envelope(e)
        let result: ClassificationService.Result
        do {
            result = try await service.classify(bytes, envelope: envelope, reasons: 0)
        } catch .unparsable(let error) {
            try await deadLetter(messages, e, reason: "unparsable: \(error)")
            return
        } catch {
            // No model yet: left pending, claimed again later.
            try? await Task.sleep(for: .milliseconds(100))
            return
        }
        try await messages.commit(e, to: verdictStream, fields: [
            ("message_id", result.messageId ?? ""), ("label", result.label), ("probability", String(result.probability)),
            ("action", result.action.rawValue), ("stage", result.stage.rawValue), ("model", result.modelVersion),
            ("degraded", result.degraded ? "1" : "0"),
        ])
    }

    /// The envelope fields of an entry: `ip`, `helo`, `from`, `rcpt` (comma-separated), `user`.
    static func envelope(_ e: RedisStreamConsumer.Entry) -> Envelope {
        Envelope(
            clientIP: e.string("ip"), helo: e.string("helo"), mailFrom: e.string("from"),
            recipients: e.string("rcpt").map { $0.split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) } } ?? [],
            user: e.string("user"))
    }

    /// Records one sent message in the communication graph, then acknowledges it.
    func process(sent e: RedisStreamConsumer.Entry) async throws(RedisError) {
        guard let bytes = e.fields["message"], let message = try? MessageParser().parse(bytes),
              await service.learning.recordSent(message, envelope: Self.envelope(e), at: Int64(Date().timeIntervalSince1970)) > 0 else {
            try await deadLetter(sent, e, reason: "a sent message needs parsable bytes with a sender and recipients")
            return
        }
        try await sent.acknowledge(e)
    }

    /// Records one feedback entry (idempotent in the store), then acknowledges it.
    func process(feedback e: RedisStreamConsumer.Entry) async throws(RedisError) {
        guard let id = e.string("message_id"), let user = e.string("user"), let label = e.string("label").flatMap(Feedback.Label.init(rawValue:)) else {
            try await deadLetter(feedback, e, reason: "feedback needs message_id, user and label (spam or ham)")
            return
        }
        let time = e.string("time").flatMap { Int64($0) } ?? Int64(Date().timeIntervalSince1970)
        do {
            let report = Feedback(messageID: id, user: user, label: label, time: time)
            let counts = try await service.learning.record([report])
            service.ab?.record([report])
            service.ledger?.record(counts.new)
        } catch .storeFailed(let why) {
            // Left pending: the store may come back; after the delivery limit it is dead-lettered.
            logger.error("stream worker: storing feedback failed", metadata: ["error": "\(why)"])
            return
        } catch {
            try await deadLetter(feedback, e, reason: "\(error)")
            return
        }
        try await feedback.acknowledge(e)
    }

    private func deadLetter(_ consumer: RedisStreamConsumer, _ e: RedisStreamConsumer.Entry, reason: String) async throws(RedisError) {
        if try await consumer.deadLetter(e, reason: reason) {
            logger.warning("stream entry dead-lettered", metadata: ["stream": "\(consumer.stream)", "id": "\(e.id)", "reason": "\(reason)"])
        }
    }
}
