import Foundation

/// Maps a model's margin (log-odds) to a calibrated probability. Fitted on scores of messages the model did
/// not train on (out-of-fold scores from the training side), never on the test side.
public enum Calibration: Codable, Sendable, Hashable {
    /// The logistic of the margin, unchanged.
    case identity
    /// Platt scaling: sigmoid(a * margin + b).
    case platt(a: Double, b: Double)
    /// Isotonic regression (pool adjacent violators), interpolated linearly between the centres of its
    /// blocks so the map stays strictly increasing inside the fitted range.
    case isotonic(margins: [Double], probabilities: [Double])

    public enum Method: String, Codable, Sendable, CaseIterable {
        case platt, isotonic
    }

    public func probability(margin: Double) -> Double {
        switch self {
        case .identity:
            return LinearModel.sigmoid(margin)
        case .platt(let a, let b):
            return LinearModel.sigmoid(a * margin + b)
        case .isotonic(let xs, let ys):
            guard let first = xs.first, let last = xs.last else { return LinearModel.sigmoid(margin) }
            if margin <= first { return ys[0] }
            if margin >= last { return ys[ys.count - 1] }
            var lo = 0
            var hi = xs.count - 1
            while hi - lo > 1 {
                let mid = (lo + hi) / 2
                if xs[mid] <= margin { lo = mid } else { hi = mid }
            }
            let t = (margin - xs[lo]) / (xs[hi] - xs[lo])
            return ys[lo] + t * (ys[hi] - ys[lo])
        }
    }

    public static func fit(_ method: Method, margins: [Double], labels: [Bool]) -> Calibration {
        switch method {
        case .platt: return fitPlatt(margins: margins, labels: labels)
        case .isotonic: return fitIsotonic(margins: margins, labels: labels)
        }
    }

    /// Platt's method with his smoothed targets ((N+ + 1)/(N+ + 2), 1/(N- + 2)), fitted by Newton's method
    /// with backtracking (Lin, Lin and Weng's robust version).
    public static func fitPlatt(margins: [Double], labels: [Bool]) -> Calibration {
        let positives = Double(labels.filter { $0 }.count)
        let negatives = Double(labels.count) - positives
        guard positives > 0, negatives > 0 else { return .identity }
        let hi = (positives + 1) / (positives + 2)
        let lo = 1 / (negatives + 2)
        let t = labels.map { $0 ? hi : lo }
        var a = 1.0
        var b = 0.0
        func loss(_ a: Double, _ b: Double) -> Double {
            var f = 0.0
            for (m, ti) in zip(margins, t) {
                let z = a * m + b
                // log(1 + exp(-z)) and friends, computed without overflow.
                f += z >= 0 ? (1 - ti) * z + log1p(exp(-z)) : -ti * z + log1p(exp(z))
            }
            return f
        }
        var f = loss(a, b)
        for _ in 0..<100 {
            var gA = 0.0, gB = 0.0, hAA = 1e-12, hAB = 0.0, hBB = 1e-12
            for (m, ti) in zip(margins, t) {
                let p = LinearModel.sigmoid(a * m + b)
                let d = p - ti
                let w = p * (1 - p)
                gA += d * m
                gB += d
                hAA += w * m * m
                hAB += w * m
                hBB += w
            }
            if abs(gA) < 1e-9 && abs(gB) < 1e-9 { break }
            let det = hAA * hBB - hAB * hAB
            guard det > 0 else { break }
            let dA = -(hBB * gA - hAB * gB) / det
            let dB = -(-hAB * gA + hAA * gB) / det
            var step = 1.0
            var improved = false
            while step >= 1e-10 {
                let nf = loss(a + step * dA, b + step * dB)
                if nf < f + 1e-4 * step * (gA * dA + gB * dB) {
                    a += step * dA
                    b += step * dB
                    f = nf
                    improved = true
                    break
                }
                step /= 2
            }
            if !improved { break }
        }
        return .platt(a: a, b: b)
    }

    /// Pool adjacent violators over the margins in increasing order.
    public static func fitIsotonic(margins: [Double], labels: [Bool]) -> Calibration {
        guard !margins.isEmpty else { return .identity }
        let order = margins.indices.sorted { margins[$0] < margins[$1] }
        // Blocks: sum of margins, sum of labels, count.
        var sx: [Double] = [], sy: [Double] = [], count: [Double] = []
        for i in order {
            sx.append(margins[i])
            sy.append(labels[i] ? 1 : 0)
            count.append(1)
            while sy.count >= 2, sy[sy.count - 2] / count[count.count - 2] >= sy[sy.count - 1] / count[count.count - 1] {
                let x = sx.removeLast(), y = sy.removeLast(), c = count.removeLast()
                sx[sx.count - 1] += x
                sy[sy.count - 1] += y
                count[count.count - 1] += c
            }
        }
        let xs = zip(sx, count).map { $0 / $1 }
        let ys = zip(sy, count).map { $0 / $1 }
        return .isotonic(margins: xs, probabilities: ys)
    }
}
