/// The second level of the stacked model: logistic regression over the stages' margins (log-odds), fitted
/// on out-of-fold margins of the training side, so its output is a calibrated probability.
public struct StackedCombiner: Codable, Sendable, Hashable {
    /// One weight per input, in the order the inputs were fitted.
    public var weights: [Double]
    public var bias: Double

    public init(weights: [Double], bias: Double) {
        self.weights = weights
        self.bias = bias
    }

    public func margin(_ inputs: [Double]) -> Double {
        var z = bias
        for (w, x) in zip(weights, inputs) { z += w * x }
        return z
    }

    public func probability(_ inputs: [Double]) -> Double { LinearModel.sigmoid(margin(inputs)) }

    /// Fits by Newton's method (iteratively reweighted least squares) with a small L2 penalty on the
    /// weights, which keeps the fit finite when the training side is separable. With a `prior`, the penalty
    /// pulls weights and bias toward it instead of toward zero (a refit on few examples stays near the
    /// combiner it updates); `exampleWeights` weigh the examples.
    public static func fit(
        inputs: [[Double]], labels: [Bool], exampleWeights: [Double]? = nil, l2: Double = 1e-2, prior: StackedCombiner? = nil, iterations: Int = 50
    ) -> StackedCombiner {
        let k = inputs.first?.count ?? 0
        let d = k + 1
        let center = prior.map { $0.weights + [$0.bias] } ?? [Double](repeating: 0, count: d)
        var beta = [Double](repeating: 0, count: d)  // bias last; Newton from zero, as without a prior (from a far start it can diverge)
        for _ in 0..<iterations {
            var gradient = [Double](repeating: 0, count: d)
            var hessian = [Double](repeating: 0, count: d * d)
            for (i, (x, y)) in zip(inputs, labels).enumerated() {
                let w = exampleWeights?[i] ?? 1
                var z = beta[k]
                for j in 0..<k { z += beta[j] * x[j] }
                let p = LinearModel.sigmoid(z)
                let r = (p - (y ? 1 : 0)) * w
                let s = max(p * (1 - p), 1e-12) * w
                for a in 0..<d {
                    let xa = a == k ? 1 : x[a]
                    gradient[a] += r * xa
                    for b in 0..<d { hessian[a * d + b] += s * xa * (b == k ? 1 : x[b]) }
                }
            }
            for j in 0..<(prior == nil ? k : d) {
                gradient[j] += l2 * (beta[j] - center[j])
                hessian[j * d + j] += l2
            }
            guard let step = solve(hessian, gradient, d) else { break }
            var moved = 0.0
            for j in 0..<d {
                beta[j] -= step[j]
                moved = max(moved, abs(step[j]))
            }
            if moved < 1e-9 { break }
        }
        return StackedCombiner(weights: Array(beta[0..<k]), bias: beta[k])
    }

    /// Solves `a x = b` (a is d x d, row-major) by Gaussian elimination with partial pivoting.
    public static func solve(_ a: [Double], _ b: [Double], _ d: Int) -> [Double]? {
        var m = a
        var v = b
        for col in 0..<d {
            let pivot = (col..<d).max { abs(m[$0 * d + col]) < abs(m[$1 * d + col]) }!
            guard abs(m[pivot * d + col]) > 1e-15 else { return nil }
            if pivot != col {
                for j in 0..<d { m.swapAt(pivot * d + j, col * d + j) }
                v.swapAt(pivot, col)
            }
            for row in (col + 1)..<d {
                let f = m[row * d + col] / m[col * d + col]
                for j in col..<d { m[row * d + j] -= f * m[col * d + j] }
                v[row] -= f * v[col]
            }
        }
        var x = [Double](repeating: 0, count: d)
        for row in stride(from: d - 1, through: 0, by: -1) {
            var s = v[row]
            for j in (row + 1)..<d { s -= m[row * d + j] * x[j] }
            x[row] = s / m[row * d + row]
        }
        return x
    }
}
