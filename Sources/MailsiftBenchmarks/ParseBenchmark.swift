import Foundation
import MailsiftCore

/// `mailsift bench parse`: throughput of parsing alone, and of the whole text pipeline, on one core.
public struct ParseBenchmark {
    public struct Figure: Sendable {
        public var name: String
        public var messages: Int
        public var bytes: Int
        public var seconds: Double
        public var errors: Int

        public var messagesPerSecond: Double { Double(messages) / seconds }
        public var megabytesPerSecond: Double { Double(bytes) / seconds / 1_000_000 }

        public var line: String {
            String(format: "%@: %.0f msg/s, %.1f MB/s", name, messagesPerSecond, megabytesPerSecond)
        }
    }

    public var messages: [[UInt8]]
    /// Minimum measured time per figure; passes over the corpus repeat until it is reached.
    public var minimumSeconds: Double

    public init(messages: [[UInt8]], minimumSeconds: Double = 3) {
        self.messages = messages
        self.minimumSeconds = minimumSeconds
    }

    /// Parsing and transfer/charset decoding alone (header fields, MIME tree, text leaves decoded).
    public func parseOnly() -> Figure {
        let parser = MessageParser()
        return measure("parse") { bytes in
            guard let m = try? parser.parse(bytes) else { return false }
            return m.root.depth == 0
        }
    }

    /// Parse, HTML to text, URL extraction, normalisation and tokenisation as the default spam model does
    /// them: the text views of ``FeatureConfiguration/spam`` (subject and body words and bigrams over the
    /// first 32 KB of body text, byte 4-grams over the subject and the first 4 KB).
    public func fullPipeline() -> Figure {
        var configuration = FeatureConfiguration.spam
        configuration.views = [.subjectWords, .bodyWords, .charNGrams]
        let extractor = FeatureExtractor(configuration: configuration)
        var hashes: [UInt64] = []
        var ends: [Int] = []
        return measure("parse+html+normalise+tokenize") { bytes in
            guard let a = try? extractor.analyze(bytes) else { return false }
            hashes.removeAll(keepingCapacity: true)
            ends.removeAll(keepingCapacity: true)
            extractor.features(of: a, into: &hashes, viewEnds: &ends)
            return !hashes.isEmpty || a.bodyText.isEmpty
        }
    }

    /// The median pass (``PassTimer``) after a warm-up pass that also counts the messages that fail.
    private func measure(_ name: String, _ body: ([UInt8]) -> Bool) -> Figure {
        let totalBytes = messages.reduce(0) { $0 + $1.count }
        var errors = 0
        for m in messages where !body(m) { errors += 1 }
        let median = PassTimer.medianPass(minimumSeconds: minimumSeconds) {
            for m in messages { _ = body(m) }
        }
        return Figure(name: name, messages: messages.count, bytes: totalBytes, seconds: median.seconds, errors: errors)
    }
}
