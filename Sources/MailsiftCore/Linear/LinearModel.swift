import Foundation

/// A linear model over binary hashed features: logistic for two classes (one weight per row), softmax for
/// K classes (K weights per row, stored together so one row is one cache line's worth of reads).
/// Immutable once trained; scoring needs no scratch beyond the caller's feature list.
public struct LinearModel: Sendable {
    public let hashBits: Int
    /// 1 for a binary (logistic) model, K >= 2 for softmax.
    public let outputs: Int
    /// `outputs` weights per row: `weights[row * outputs + k]`.
    public let weights: [Float]
    public let bias: [Float]

    public init(hashBits: Int, outputs: Int, weights: [Float], bias: [Float]) {
        precondition(weights.count == outputs << hashBits && bias.count == outputs)
        self.hashBits = hashBits
        self.outputs = outputs
        self.weights = weights
        self.bias = bias
    }

    /// The log-odds of the positive class (binary models).
    public func margin(_ x: SparseFeatures) -> Double {
        weights.withUnsafeBufferPointer { w in
            var sum: Float = 0
            for (r, v) in zip(x.rows, x.values) { sum += w[Int(r)] * v }
            return Double(bias[0]) + Double(sum)
        }
    }

    /// One margin per class (softmax models), into `out`.
    public func margins(_ x: SparseFeatures, into out: inout [Double]) {
        let k = outputs
        out = bias.map(Double.init)
        weights.withUnsafeBufferPointer { w in
            out.withUnsafeMutableBufferPointer { o in
                for (r, v) in zip(x.rows, x.values) {
                    let base = Int(r) * k
                    for c in 0..<k { o[c] += Double(w[base + c] * v) }
                }
            }
        }
    }

    /// The weight of one row for one output.
    public func weight(row: UInt32, output: Int = 0) -> Float { weights[Int(row) * outputs + output] }

    public static func sigmoid(_ x: Double) -> Double { 1 / (1 + exp(-x)) }

    /// Softmax of margins, in place.
    public static func softmax(_ m: inout [Double]) {
        let top = m.max() ?? 0
        var sum = 0.0
        for i in m.indices {
            m[i] = exp(m[i] - top)
            sum += m[i]
        }
        for i in m.indices { m[i] /= sum }
    }
}
