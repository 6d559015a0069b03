import Foundation

/// Scores messages with a model bundle: features, margin, calibrated probability, action, and on request
/// the features that weighed most, in words. Immutable and `Sendable`; each thread brings its own
/// ``Scratch``.
public struct Classifier: Sendable {
    public let bundle: ModelBundle
    public let extractor: FeatureExtractor

    public init(bundle: ModelBundle) {
        self.bundle = bundle
        extractor = FeatureExtractor(configuration: bundle.manifest.features, idf: bundle.idf)
    }

    /// Per-caller buffers, reused from message to message.
    public struct Scratch: Sendable {
        var extraction: FeatureExtractor.Scratch
        public internal(set) var features = SparseFeatures()
        var margins: [Double] = []
    }

    public func makeScratch() -> Scratch { Scratch(extraction: extractor.makeScratch()) }

    public struct Score: Sendable, Hashable {
        /// The predicted label (`spam` / `ham`, or a category).
        public var label: String
        /// Spam models: the calibrated probability of spam. Topic models: the probability of `label`.
        public var probability: Double
        /// Spam models: the action for the probability; nil for topic models.
        public var action: Action?
        /// Spam models: the log-odds before calibration.
        public var margin: Double
        /// Topic models: the probability of every label, in `labels` order.
        public var distribution: [Double]
    }

    public func score(_ a: AnalyzedMessage, scratch: inout Scratch) -> Score {
        extractor.features(of: a, scratch: &scratch.extraction, into: &scratch.features)
        return score(scratch.features, scratch: &scratch)
    }

    public func score(_ x: SparseFeatures, scratch: inout Scratch) -> Score {
        let m = bundle.manifest
        if m.kind == .spam {
            let margin = bundle.model.margin(x)
            let p = m.calibration.probability(margin: margin)
            let action = m.operatingPoints?.action(probability: p) ?? (p >= 0.5 ? .quarantine : .inbox)
            let isSpam = m.operatingPoints?.isSpam(probability: p) ?? (p >= 0.5)
            return Score(label: isSpam ? m.labels[1] : m.labels[0], probability: p, action: action, margin: margin, distribution: [1 - p, p])
        }
        bundle.model.margins(x, into: &scratch.margins)
        var d = scratch.margins
        LinearModel.softmax(&d)
        let best = d.indices.max { d[$0] < d[$1] } ?? 0
        return Score(label: m.labels[best], probability: d[best], action: nil, margin: scratch.margins[best], distribution: d)
    }

    /// A feature that moved the score, in words.
    public struct Reason: Sendable, Hashable, Codable {
        public var view: FeatureView
        public var feature: String
        /// The feature's weight toward the verdict (log-odds; positive pushes toward the predicted label).
        public var weight: Double
        public var text: String
    }

    /// The `count` features that pushed hardest toward the predicted label.
    public func reasons(_ a: AnalyzedMessage, score: Score, count: Int = 8) -> [Reason] {
        guard count > 0 else { return [] }
        let m = bundle.manifest
        let indexer = FeatureIndexer(bits: m.features.hashBits)
        let output: Int
        let sign: Double
        if m.kind == .spam {
            output = 0
            sign = score.label == m.labels[1] ? 1 : -1
        } else {
            output = m.labels.firstIndex(of: score.label) ?? 0
            sign = 1
        }
        // The rows each view contributes (first view wins a shared row), for its normalised value.
        let named = extractor.namedFeatures(of: a)
        var seen = Set<UInt32>()
        var owned: [(feature: FeatureExtractor.Named, row: UInt32)] = []
        var perView: [FeatureView: Int] = [:]
        for f in named {
            let row = indexer.row(of: f.hash)
            guard seen.insert(row).inserted else { continue }
            owned.append((f, row))
            perView[f.view, default: 0] += 1
        }
        var candidates: [Reason] = []
        for (f, row) in owned {
            let value = m.features.normalizeViews ? 1 / Double(perView[f.view, default: 1]).squareRoot() : 1
            let w = Double(bundle.model.weight(row: row, output: output)) * sign * value
            guard w > 0 else { continue }
            candidates.append(Reason(view: f.view, feature: f.name, weight: w, text: ""))
        }
        // Words only for the reasons shown (a long message has thousands of candidates).
        return candidates.sorted { $0.weight > $1.weight }.prefix(count).map { r in
            var r = r
            r.text = Classifier.describe(r.view, r.feature, r.weight)
            return r
        }
    }

    static func describe(_ view: FeatureView, _ name: String, _ weight: Double) -> String {
        let shown = name.count > 60 ? String(name.prefix(57)) + "..." : name
        switch view {
        case .charNGrams: return "text contains \"\(shown)\" (+\(Decimals.two(weight)))"
        case .subjectWords, .bodyWords: return "\(view.label) \"\(shown)\" (+\(Decimals.two(weight)))"
        case .headers, .urls, .attachments, .html: return "\(view.label): \(shown) (+\(Decimals.two(weight)))"
        }
    }
}
