import Foundation
import MailsiftCore

/// `mailsift bench classify`: parse, features and model on one core; messages per second over whole passes
/// (the median pass) and per-message latency percentiles.
public struct ClassifyBenchmark {
    public var messages: [[UInt8]]
    public var bundle: ModelBundle
    public var minimumSeconds: Double

    public init(messages: [[UInt8]], bundle: ModelBundle, minimumSeconds: Double = 3) {
        self.messages = messages
        self.bundle = bundle
        self.minimumSeconds = minimumSeconds
    }

    public func run() -> String {
        let classifier = Classifier(bundle: bundle)
        var scratch = classifier.makeScratch()
        var sink = 0.0
        func classify(_ bytes: [UInt8]) {
            guard let a = try? classifier.extractor.analyze(bytes) else { return }
            sink += classifier.score(a, scratch: &scratch).probability
        }
        for m in messages { classify(m) } // warm-up
        let clock = ContinuousClock()
        var latencies: [Double] = []
        let median = PassTimer.medianPass(minimumSeconds: minimumSeconds) {
            for m in messages {
                let start = clock.now
                classify(m)
                latencies.append((clock.now - start).seconds * 1e6)
            }
        }
        latencies.sort()
        func percentile(_ p: Double) -> Double { latencies[min(Int(p * Double(latencies.count)), latencies.count - 1)] }
        let bytes = messages.reduce(0) { $0 + $1.count }
        return [
            String(format: "classify: %.0f msg/s, %.1f MB/s (one core, median of %d passes)", Double(messages.count) / median.seconds,
                   Double(bytes) / median.seconds / 1e6, median.passes),
            String(format: "latency per message: p50 %.0f us, p99 %.0f us, p99.9 %.0f us", percentile(0.5), percentile(0.99), percentile(0.999)),
            "model \(bundle.manifest.version); \(messages.count) messages" + (sink.isNaN ? " (nan)" : ""),
        ].joined(separator: "\n")
    }
}
