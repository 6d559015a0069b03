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

    /// Parse, HTML to text, URL extraction, normalisation and tokenisation (feature hashing).
    public func fullPipeline() -> Figure {
        let analyzer = MessageAnalyzer()
        return measure("parse+html+normalise+tokenize") { bytes in
            guard let a = try? analyzer.analyze(bytes) else { return false }
            return !a.features.isEmpty || a.bodyText.isEmpty
        }
    }

    private func measure(_ name: String, _ body: ([UInt8]) -> Bool) -> Figure {
        let totalBytes = messages.reduce(0) { $0 + $1.count }
        var errors = 0
        for m in messages where !body(m) { errors += 1 } // warm-up pass, also counts errors
        let clock = ContinuousClock()
        var passes = 0
        let start = clock.now
        var elapsed = 0.0
        repeat {
            for m in messages { _ = body(m) }
            passes += 1
            let d = clock.now - start
            elapsed = Double(d.components.seconds) + Double(d.components.attoseconds) / 1e18
        } while elapsed < minimumSeconds
        return Figure(name: name, messages: messages.count * passes, bytes: totalBytes * passes, seconds: elapsed, errors: errors)
    }
}
