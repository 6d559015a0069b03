import Foundation

/// Scores messages with a model bundle: features, margin, calibrated probability, action, and on request
/// the features that weighed most, in words. Immutable and `Sendable`; each thread brings its own
/// ``Scratch``.
public struct Classifier: Sendable {
    public let bundle: ModelBundle
    public internal(set) var extractor: FeatureExtractor

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
        var scratch = makeScratch()
        extractor.features(of: a, scratch: &scratch.extraction, into: &scratch.features)
        return reasons(a, score: score, features: scratch.features, count: count)
    }

    /// The same, from `features`: the message's features as ``score(_:scratch:)`` computed them (a caller
    /// that scored the message has them in its scratch). Only the strongest features are named.
    /// `rowWeights`, when given, holds each of `x`'s rows' weight in the log-odds of the spam output, in
    /// `x.rows`' order, in place of this model's own (a spam model's only).
    public func reasons(
        _ a: AnalyzedMessage, score: Score, features x: SparseFeatures, count: Int = 8, rowWeights: [Double]? = nil
    ) -> [Reason] {
        guard count > 0 else { return [] }
        let m = bundle.manifest
        let output: Int
        let sign: Double
        if m.kind == .spam {
            output = 0
            sign = score.label == m.labels[1] ? 1 : -1
        } else {
            output = m.labels.firstIndex(of: score.label) ?? 0
            sign = 1
        }
        let views = extractor.viewOrder
        guard x.viewEnds.count == views.count else { return [] }
        // Each row's contribution is its weight times its value (each view's rows carry their normalised
        // value; a row two views share belongs to the first). The strongest `count`, in order of weight
        // (ties in feature order, as a stable sort leaves them).
        var top: [(weight: Double, row: UInt32, view: Int)] = []
        var start = 0
        for (v, end) in x.viewEnds.enumerated() {
            for k in start..<end {
                let w = (rowWeights?[k] ?? Double(bundle.model.weight(row: x.rows[k], output: output))) * Double(x.values[k]) * sign
                guard w > 0, top.count < count || w > top[top.count - 1].weight else { continue }
                var i = top.count
                while i > 0 && top[i - 1].weight < w { i -= 1 }
                top.insert((w, x.rows[k], v), at: i)
                if top.count > count { top.removeLast() }
            }
            start = end
        }
        guard !top.isEmpty else { return [] }
        // Words for those rows only (a long message has thousands of features).
        var wanted: [FeatureView: Set<UInt32>] = [:]
        for t in top { wanted[views[t.view], default: []].insert(t.row) }
        var names: [FeatureView: [UInt32: String]] = [:]
        for f in extractor.namedFeatures(of: a, onlyRows: wanted) {
            let row = extractor.row(of: f.hash)
            if names[f.view]?[row] == nil { names[f.view, default: [:]][row] = f.name }
        }
        return top.map { t in
            let view = views[t.view]
            let name = names[view]?[t.row] ?? "row \(t.row)"
            return Reason(view: view, feature: name, weight: t.weight, text: Classifier.describe(view, name, t.weight))
        }
    }

    static func describe(_ view: FeatureView, _ name: String, _ weight: Double) -> String {
        let shown = name.count > 60 ? String(name.prefix(57)) + "..." : name
        switch view {
        case .charNGrams: return "text contains \"\(shown)\" (+\(Decimals.two(weight)))"
        case .headerNGrams, .headerShape: return "header contains \"\(shown)\" (+\(Decimals.two(weight)))"
        case .subjectWords, .bodyWords: return "\(view.label) \"\(shown)\" (+\(Decimals.two(weight)))"
        case .headers, .urls, .attachments, .html: return "\(view.label): \(shown) (+\(Decimals.two(weight)))"
        }
    }
}
