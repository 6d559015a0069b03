/// A second linear text model that reads only some feature views (the message's headers, or its content),
/// trained beside the main text model on the same rows. Its margin is one more input of the stacked
/// combiner: two models that each see half the evidence disagree where the main model is unsure (spam
/// forwarded by a mailing list, a vendor's newsletter), which the combiner can weigh. Out of fold over three
/// seeds this raised cascade recall at 0.1% FPR by 0.06 to 0.41 points (docs/models.md). It is scored from
/// the features the main model computed, so it costs one more sum over their rows.
public struct ViewModel: Sendable {
    public let spec: Spec
    public let model: LinearModel
    /// The optimiser state it was trained to (`retrain` continues from it); nil when the bundle has none.
    public let trainer: FTRLTrainer?

    /// A view model as the manifest names it; its weights are the bundle section ``section``.
    public struct Spec: Codable, Sendable, Hashable {
        public var name: String
        public var views: [FeatureView]

        public init(name: String, views: [FeatureView]) {
            self.name = name
            self.views = views
        }

        /// The bundle section that holds the weights (Float32, little-endian: 2^bits weights, then the bias).
        public var section: String { "view.\(name)" }
        /// The bundle section that holds the FTRL state (Float32, little-endian: z, n, then the bias's z and n).
        public var stateSection: String { "view.\(name).state" }
    }

    /// The view models a spam model trains by default: the header block and the content, each where all
    /// of its views are enabled and it leaves some enabled view out.
    public static func defaultSpecs(enabled: Set<FeatureView>) -> [Spec] {
        let groups = [
            Spec(name: "headers", views: [.headers, .headerNGrams, .headerShape]),
            Spec(name: "content", views: [.subjectWords, .bodyWords, .charNGrams, .urls, .html, .attachments]),
        ]
        return groups.compactMap { g in
            let views = g.views.filter(enabled.contains)
            guard !views.isEmpty, views.count < enabled.count else { return nil }
            return Spec(name: g.name, views: views)
        }
    }

    public init(spec: Spec, model: LinearModel, trainer: FTRLTrainer? = nil) {
        self.spec = spec
        self.model = model
        self.trainer = trainer
    }

    /// The model trained to `trainer`'s state.
    public init(spec: Spec, trainer: FTRLTrainer) {
        self.init(spec: spec, model: trainer.model(), trainer: trainer)
    }

    /// Decodes the sections' bytes (`state` may be absent, and is not read when serving only needs the
    /// weights); nil when they do not hold 2^bits weights and a bias, or a state of that size.
    public init?(spec: Spec, bytes: [UInt8], state: [UInt8]?, hashBits bits: Int, parameters: FTRLTrainer.Parameters) {
        let rows = 1 << bits
        guard let values = Float32Bytes.decode(bytes, count: ViewModel.weightCount(bits)) else { return nil }
        var trainer: FTRLTrainer? = nil
        if let state {
            guard let s = Float32Bytes.decode(state, count: ViewModel.stateCount(bits)) else { return nil }
            trainer = FTRLTrainer(
                hashBits: bits, outputs: 1, parameters: parameters, z: Array(s[0..<rows]), n: Array(s[rows..<(2 * rows)]),
                biasZ: [s[2 * rows]], biasN: [s[2 * rows + 1]])
        }
        self.init(spec: spec, model: LinearModel(hashBits: bits, outputs: 1, weights: Array(values.dropLast()), bias: [values[rows]]), trainer: trainer)
    }

    /// The weights and bias as the bundle stores them.
    public var encoded: [UInt8] { Float32Bytes.encode(model.weights + model.bias) }

    /// The optimiser state as the bundle stores it, when there is one.
    public var encodedState: [UInt8]? { trainer.map { Float32Bytes.encode($0.z + $0.n + $0.biasZ + $0.biasN) } }

    /// Values in the weights section (2^bits weights and the bias) and in the state section (z and n per
    /// row, then the bias's).
    static func weightCount(_ bits: Int) -> Int { (1 << bits) + 1 }
    static func stateCount(_ bits: Int) -> Int { (2 << bits) + 2 }

    /// Which of the extractor's views (in ``FeatureExtractor/viewOrder``) this model reads.
    public func reads(_ viewOrder: [FeatureView]) -> [Bool] { viewOrder.map(spec.views.contains) }

    /// The margin over the rows of the views it reads (`reads` from ``reads(_:)``; `x` from the extractor).
    public func margin(_ x: SparseFeatures, reads: [Bool]) -> Double {
        model.weights.withUnsafeBufferPointer { w in
            var sum: Float = 0
            var start = 0
            for (v, end) in x.viewEnds.enumerated() {
                if v < reads.count, reads[v] {
                    for k in start..<end { sum += w[Int(x.rows[k])] * x.values[k] }
                }
                start = end
            }
            return Double(model.bias[0]) + Double(sum)
        }
    }

    /// `x` with the rows of the views it does not read removed (their view ends kept, now empty): what the
    /// model trains on, so that its margin there equals ``margin(_:reads:)`` on the whole features.
    public static func restricted(_ x: SparseFeatures, reads: [Bool]) -> SparseFeatures {
        var out = SparseFeatures()
        var start = 0
        for (v, end) in x.viewEnds.enumerated() {
            if v < reads.count, reads[v] {
                out.rows += x.rows[start..<end]
                out.values += x.values[start..<end]
            }
            out.viewEnds.append(out.rows.count)
            start = end
        }
        return out
    }
}
