import Foundation
import MailsiftCore
import MailsiftTrees

/// `mailsift bench classify`: the whole cascade (parse, rules, trees, text, combination) on one core;
/// messages per second over whole passes (the median pass), per-message latency percentiles, the share of
/// messages each stage decided, and the mean time of each stage.
public struct ClassifyBenchmark {
    public var messages: [[UInt8]]
    public var cascade: Cascade
    public var minimumSeconds: Double
    /// Read reply headers as written; else as `serve` reads them at a site that knows none of the Message-IDs
    /// named (``ReplyClaim``: every claim looked at, and discounted).
    public var trustReplies: Bool
    /// Leave word salad in the text (``WordSalad``), as before it was taken out.
    public var keepWordSalad: Bool
    /// The ledger holds every message's own Message-ID: a site that saw the threads, whose replies mostly verify
    /// (else it holds none, the worst case).
    public var knowsCorpus = false

    public init(messages: [[UInt8]], cascade: Cascade, minimumSeconds: Double = 3, trustReplies: Bool = false, keepWordSalad: Bool = false) {
        self.messages = messages
        self.cascade = cascade
        self.minimumSeconds = minimumSeconds
        self.trustReplies = trustReplies
        self.keepWordSalad = keepWordSalad
    }

    public func run() throws -> String {
        let bundle = cascade.bundle
        var scratch = cascade.makeScratch()
        var sink = 0.0
        var stages: [Cascade.Stage: Int] = [:]
        let ledger = InMemoryMessageLedger()
        var analyzer = cascade.extractor.analyzer
        if knowsCorpus {
            ledger.recordNow(messages.compactMap { (try? analyzer.parser.parse($0))?.messageID.flatMap(ReplyClaim.key) }, at: 0)
        }
        analyzer.removesWordSalad = !keepWordSalad
        func classify(_ bytes: [UInt8]) -> Cascade.Stage? {
            guard let message = try? analyzer.parser.parse(bytes) else { return nil }
            var discount = false
            if !trustReplies, case let claim = ReplyClaim(message), claim.claims { discount = !ledger.knowsAnyNow(claim.referenced, at: 0) }
            var a = analyzer.analyze(discount ? ReplyClaim.discounted(message) : message)
            a.replyDiscounted = discount
            let v = cascade.classify(a, scratch: &scratch)
            sink += v.probability
            return v.stage
        }
        for m in messages { if let s = classify(m) { stages[s, default: 0] += 1 } }  // warm-up, and the stage shares
        let clock = ContinuousClock()
        var latencies: [Double] = []
        let median = PassTimer.medianPass(minimumSeconds: minimumSeconds) {
            for m in messages {
                let start = clock.now
                _ = classify(m)
                latencies.append((clock.now - start).seconds * 1e6)
            }
        }
        latencies.sort()
        func percentile(_ p: Double) -> Double { latencies[min(Int(p * Double(latencies.count)), latencies.count - 1)] }
        let bytes = messages.reduce(0) { $0 + $1.count }
        let n = Double(max(messages.count, 1))
        let shares = Cascade.Stage.allCases.map { String(format: "%@ %.1f%%", $0.rawValue, 100 * Double(stages[$0, default: 0]) / n) }
        return [
            String(format: "classify: %.0f msg/s, %.1f MB/s (one core, median of %d passes; mode %@)", n / median.seconds,
                   Double(bytes) / median.seconds / 1e6, median.passes, cascade.mode.rawValue),
            String(format: "latency per message: p50 %.0f us, p99 %.0f us, p99.9 %.0f us", percentile(0.5), percentile(0.99), percentile(0.999)),
            "decided by: " + shares.joined(separator: ", ") + (trustReplies ? "; replies as written" : knowsCorpus ? "; replies checked (every message of the corpus known)" : "; replies checked (none known, as serve at a new site)")
                + (keepWordSalad ? "; word salad kept" : ""),
            stageTimes(cascade),
            "model \(bundle.manifest.version); \(messages.count) messages" + (sink.isNaN ? " (nan)" : ""),
        ].joined(separator: "\n")
    }

    /// Mean time of each stage when it runs, over one pass where every stage runs on every message.
    private func stageTimes(_ cascade: Cascade) -> String {
        let clock = ContinuousClock()
        var totals = (analyze: Duration.zero, rules: Duration.zero, columns: Duration.zero, trees: Duration.zero, text: Duration.zero)
        var viaXGBoost = Duration.zero
        var scratch = cascade.text.makeScratch()
        let columns = MetadataFeatureExtractor()
        var row: [Float] = []
        var count = 0
        var sink = 0.0
        for m in messages {
            var t = clock.now
            guard let a = try? cascade.extractor.analyze(m) else { continue }
            totals.analyze += clock.now - t
            t = clock.now
            sink += cascade.rules.evaluate(a, envelope: Envelope()).score
            totals.rules += clock.now - t
            if let trees = cascade.trees {
                t = clock.now
                columns.values(of: a, into: &row)
                totals.columns += clock.now - t
                t = clock.now
                sink += Double((try? trees.treeMargin(of: row)) ?? 0)
                totals.trees += clock.now - t
                if let model = trees as? TreeModel, model.ensemble != nil {
                    t = clock.now
                    sink += Double((try? model.booster.margin(of: Array(row.prefix(model.featureCount)))) ?? 0)
                    viaXGBoost += clock.now - t
                }
            }
            t = clock.now
            sink += cascade.text.score(a, scratch: &scratch).margin
            totals.text += clock.now - t
            count += 1
        }
        let n = Double(max(count, 1))
        func us(_ d: Duration) -> String { String(format: "%.0f us", d.seconds * 1e6 / n) }
        return "mean time per stage: parse and analyse \(us(totals.analyze)), rules \(us(totals.rules)), trees \(us(totals.columns + totals.trees)) (columns \(us(totals.columns)), model \(us(totals.trees))\(viaXGBoost > .zero ? "; through the XGBoost C API " + us(viaXGBoost) : "")), text \(us(totals.text))"
            + (sink.isNaN ? " (nan)" : "")
    }
}
