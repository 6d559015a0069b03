import Foundation
import MailsiftCore

/// `mailsift bench encoder`: the transformer stage's encoder on one core: per-message latency percentiles
/// (tokenising included) for each window, and the throughput of batches against one message at a time.
public struct EncoderBenchmark {
    public var texts: [String]
    public var minimumSeconds: Double

    public init(messages: [[UInt8]], minimumSeconds: Double, limit: Int = 300) {
        let analyzer = MessageAnalyzer()
        texts = messages.prefix(limit).compactMap { (try? analyzer.analyze($0)).map { TransformerInput.text(of: $0) } }
        self.minimumSeconds = minimumSeconds
    }

    /// One line per window: p50, p99 and mean latency of a message (one at a time), then batches of `batch`.
    public func run(_ encoder: any SentenceEncoder, name: String, tokens: [Int], batch: Int) -> [String] {
        tokens.map { n in
            let ids = texts.map { encoder.tokenizer.encode($0, maxTokens: n) }
            let clock = ContinuousClock()
            var latencies: [Double] = []
            let single = PassTimer.medianPass(minimumSeconds: minimumSeconds) {
                latencies.removeAll(keepingCapacity: true)
                for text in texts {
                    let start = clock.now
                    _ = encoder.embed(encoder.tokenizer.encode(text, maxTokens: n))
                    latencies.append((clock.now - start).seconds)
                }
            }
            let batched = PassTimer.medianPass(minimumSeconds: minimumSeconds) {
                var k = 0
                while k < ids.count {
                    _ = encoder.embed(batch: Array(ids[k..<min(k + batch, ids.count)]))
                    k += batch
                }
            }
            latencies.sort()
            func ms(_ q: Double) -> Double { 1000 * latencies[min(latencies.count - 1, Int(q * Double(latencies.count)))] }
            let mean = ids.map(\.count).reduce(0, +) / max(ids.count, 1)
            return String(
                format: "%@, %d tokens (mean %d): p50 %.1f ms, p99 %.1f ms, %.0f messages/s one at a time; batches of %d: %.0f messages/s (%.2fx)",
                name, n, mean, ms(0.5), ms(0.99), Double(texts.count) / single.seconds, batch, Double(texts.count) / batched.seconds,
                single.seconds / batched.seconds)
        }
    }
}
