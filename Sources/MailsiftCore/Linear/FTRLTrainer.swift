import Foundation

/// FTRL-Proximal (McMahan et al., "Ad Click Prediction: a View from the Trenches", 2013): online logistic
/// or softmax regression with a per-coordinate learning rate and L1/L2 regularisation, over binary hashed
/// features. The state (`z`, `n`) is what incremental training resumes from; the model is derived from it.
public struct FTRLTrainer: Sendable {
    public struct Parameters: Codable, Sendable, Hashable {
        public var alpha: Double
        public var beta: Double
        public var l1: Double
        public var l2: Double

        public init(alpha: Double = 0.1, beta: Double = 1, l1: Double = 0, l2: Double = 1e-4) {
            self.alpha = alpha
            self.beta = beta
            self.l1 = l1
            self.l2 = l2
        }
    }

    public let hashBits: Int
    public let outputs: Int
    public let parameters: Parameters
    public private(set) var z: [Float]
    public private(set) var n: [Float]
    public private(set) var biasZ: [Float]
    public private(set) var biasN: [Float]
    private var scratch: [Double] = []

    public init(hashBits: Int, outputs: Int, parameters: Parameters = Parameters()) {
        self.hashBits = hashBits
        self.outputs = outputs
        self.parameters = parameters
        z = [Float](repeating: 0, count: outputs << hashBits)
        n = z
        biasZ = [Float](repeating: 0, count: outputs)
        biasN = biasZ
    }

    /// Resumes from saved state (incremental training).
    public init(hashBits: Int, outputs: Int, parameters: Parameters, z: [Float], n: [Float], biasZ: [Float], biasN: [Float]) {
        precondition(z.count == outputs << hashBits && n.count == z.count && biasZ.count == outputs && biasN.count == outputs)
        self.hashBits = hashBits
        self.outputs = outputs
        self.parameters = parameters
        self.z = z
        self.n = n
        self.biasZ = biasZ
        self.biasN = biasN
    }

    @inline(__always)
    private func weight(_ z: Float, _ n: Float) -> Double {
        let zd = Double(z)
        let p = parameters
        if abs(zd) <= p.l1 { return 0 }
        return -(zd - (zd < 0 ? -p.l1 : p.l1)) / ((p.beta + Double(n).squareRoot()) / p.alpha + p.l2)
    }

    /// A binary model's margin for `x` with the weights as they are now (what ``update(_:label:weight:)``
    /// scores before its step: a prequential, out-of-sample margin for an example not yet learned).
    public func margin(_ x: SparseFeatures) -> Double {
        var m = weight(biasZ[0], biasN[0])
        for (r, v) in zip(x.rows, x.values) { m += weight(z[Int(r)], n[Int(r)]) * Double(v) }
        return m
    }

    /// One online step on one example (`label` is the class index; for a binary model 1 = positive), with
    /// an example weight (for reweighting after downsampling). Returns the log loss before the step.
    @discardableResult
    public mutating func update(_ x: SparseFeatures, label: Int, weight exampleWeight: Double = 1) -> Double {
        outputs == 1 ? updateBinary(x, label: label, exampleWeight) : updateSoftmax(x, label: label, exampleWeight)
    }

    private mutating func updateBinary(_ x: SparseFeatures, label: Int, _ exampleWeight: Double) -> Double {
        var margin = weight(biasZ[0], biasN[0])
        scratch.removeAll(keepingCapacity: true)
        z.withUnsafeBufferPointer { zp in
            n.withUnsafeBufferPointer { np in
                for (r, v) in zip(x.rows, x.values) {
                    let w = weight(zp[Int(r)], np[Int(r)])
                    scratch.append(w)
                    margin += w * Double(v)
                }
            }
        }
        margin = min(max(margin, -35), 35)
        let p = LinearModel.sigmoid(margin)
        let y = label == 1 ? 1.0 : 0.0
        let g = (p - y) * exampleWeight
        let g2 = g * g
        let alpha = parameters.alpha
        z.withUnsafeMutableBufferPointer { zp in
            n.withUnsafeMutableBufferPointer { np in
                for k in x.rows.indices {
                    let i = Int(x.rows[k])
                    let gi = g * Double(x.values[k])
                    let nOld = Double(np[i])
                    let sigma = ((nOld + gi * gi).squareRoot() - nOld.squareRoot()) / alpha
                    zp[i] += Float(gi - sigma * scratch[k])
                    np[i] = Float(nOld + gi * gi)
                }
            }
        }
        let bw = weight(biasZ[0], biasN[0])
        let bn = Double(biasN[0])
        biasZ[0] += Float(g - ((bn + g2).squareRoot() - bn.squareRoot()) / alpha * bw)
        biasN[0] = Float(bn + g2)
        return -(y * log(max(p, 1e-15)) + (1 - y) * log(max(1 - p, 1e-15)))
    }

    private mutating func updateSoftmax(_ x: SparseFeatures, label: Int, _ exampleWeight: Double) -> Double {
        let k = outputs
        var m = (0..<k).map { weight(biasZ[$0], biasN[$0]) }
        scratch.removeAll(keepingCapacity: true)
        z.withUnsafeBufferPointer { zp in
            n.withUnsafeBufferPointer { np in
                for (r, v) in zip(x.rows, x.values) {
                    let base = Int(r) * k
                    for c in 0..<k {
                        let w = weight(zp[base + c], np[base + c])
                        scratch.append(w)
                        m[c] += w * Double(v)
                    }
                }
            }
        }
        LinearModel.softmax(&m)
        let g = (0..<k).map { (m[$0] - ($0 == label ? 1 : 0)) * exampleWeight }
        let alpha = parameters.alpha
        z.withUnsafeMutableBufferPointer { zp in
            n.withUnsafeMutableBufferPointer { np in
                for j in x.rows.indices {
                    let base = Int(x.rows[j]) * k
                    let v = Double(x.values[j])
                    for c in 0..<k {
                        let i = base + c
                        let gc = g[c] * v
                        let nOld = Double(np[i])
                        let sigma = ((nOld + gc * gc).squareRoot() - nOld.squareRoot()) / alpha
                        zp[i] += Float(gc - sigma * scratch[j * k + c])
                        np[i] = Float(nOld + gc * gc)
                    }
                }
            }
        }
        for c in 0..<k {
            let bw = weight(biasZ[c], biasN[c])
            let bn = Double(biasN[c])
            biasZ[c] += Float(g[c] - ((bn + g[c] * g[c]).squareRoot() - bn.squareRoot()) / alpha * bw)
            biasN[c] = Float(bn + g[c] * g[c])
        }
        return -log(max(m[label], 1e-15))
    }

    /// The model the current state defines.
    public func model() -> LinearModel {
        var w = [Float](repeating: 0, count: z.count)
        for i in w.indices where n[i] > 0 { w[i] = Float(weight(z[i], n[i])) }
        let b = (0..<outputs).map { Float(weight(biasZ[$0], biasN[$0])) }
        return LinearModel(hashBits: hashBits, outputs: outputs, weights: w, bias: b)
    }
}
