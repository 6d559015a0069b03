import Foundation

/// The transformer stage of a spam model (stage 3, in its manifest): a logistic head on the sentence encoder's
/// embedding of what the message says (``TransformerInput``), and how its margin refines the probability of
/// the earlier stages for a message in the uncertain band. Trained by `train --transformer` (docs/transformer.md).
public struct TransformerSpec: Codable, Sendable, Hashable {
    /// The encoder the head was trained on (``SentenceEncoder/identity``, precision aside): a server whose
    /// encoder differs does not run the stage.
    public var encoder: String
    public var dimension: Int
    /// Tokens read, `[CLS]` and `[SEP]` included.
    public var tokens: Int
    /// The head: one weight per embedding dimension, then the bias (log-odds of spam).
    public var head: [Double]
    /// Messages whose probability from the earlier stages is in `lower ..< upper` run the stage.
    public var lower: Double
    public var upper: Double
    /// The refined log-odds: `combiner[0]` × the earlier log-odds + `combiner[1]` × the head's margin +
    /// `combiner[2]`, fitted on the out-of-fold rows in the band.
    public var combiner: [Double]
    /// Out-of-fold: the share of training messages routed to the stage.
    public var routedShare: Double
    /// The thresholds while the stage runs, chosen on the refined out-of-fold probabilities. The manifest's own
    /// (``ModelManifest/operatingPoints``) stay those of the earlier stages: a server without the encoder, and
    /// the fallback to the trees alone, use them.
    public var operatingPoints: OperatingPoints

    public init(
        encoder: String, dimension: Int, tokens: Int, head: [Double], lower: Double, upper: Double, combiner: [Double], routedShare: Double,
        operatingPoints: OperatingPoints
    ) {
        self.encoder = encoder
        self.dimension = dimension
        self.tokens = tokens
        self.head = head
        self.lower = lower
        self.upper = upper
        self.combiner = combiner
        self.routedShare = routedShare
        self.operatingPoints = operatingPoints
    }

    /// The encoder's name without its precision: a head trained on FP32 embeddings reads INT8 ones too.
    public static func model(of identity: String) -> String {
        var words = identity.split(separator: " ")
        if let last = words.last, last == "fp32" || last == "int8" { words.removeLast() }
        return words.joined(separator: " ")
    }

    /// Whether `encoder` is the one the head was trained on: the same model (either precision), the same width.
    public func reads(_ encoder: any SentenceEncoder) -> Bool {
        TransformerSpec.model(of: encoder.identity) == TransformerSpec.model(of: self.encoder) && encoder.dimension == dimension
    }

    public func routes(_ probability: Double) -> Bool { probability >= lower && probability < upper }

    /// The head's margin for an embedding.
    public func margin(_ embedding: [Float]) -> Double {
        guard embedding.count == dimension, head.count == dimension + 1 else { return 0 }
        var z = head[dimension]
        for i in 0..<dimension { z += head[i] * Double(embedding[i]) }
        return z
    }

    /// The refined probability from the earlier stages' `probability` and the head's `margin`.
    public func refined(probability: Double, margin: Double) -> Double {
        let p = min(max(probability, 1e-12), 1 - 1e-12)
        let earlier = log(p / (1 - p))
        return LinearModel.sigmoid(combiner[0] * earlier + combiner[1] * margin + combiner[2])
    }
}
