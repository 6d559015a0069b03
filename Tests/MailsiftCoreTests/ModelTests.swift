import Foundation
import Testing
@testable import MailsiftCore

@Suite("Linear model, calibration, thresholds")
struct ModelTests {
    /// Feature 0..9 mean spam, 10..19 ham; each example carries three of its class's features.
    static func separable(count: Int, seed: UInt64) -> [(SparseFeatures, Int)] {
        var rng = SplitMix64(seed: seed)
        return (0..<count).map { _ in
            let label = Int(rng.next() % 2)
            let rows = (0..<3).map { _ in UInt32(label == 1 ? rng.next() % 10 : 10 + rng.next() % 10) }
            let distinct = Array(Set(rows))
            return (SparseFeatures(rows: distinct, values: distinct.map { _ in 1 }), label)
        }
    }

    @Test func ftrlSolvesASeparableProblem() {
        var trainer = FTRLTrainer(hashBits: 8, outputs: 1, parameters: .init(alpha: 0.5))
        for (x, y) in ModelTests.separable(count: 400, seed: 7) { trainer.update(x, label: y) }
        let model = trainer.model()
        let test = ModelTests.separable(count: 200, seed: 99)
        let correct = test.filter { (model.margin($0.0) > 0) == ($0.1 == 1) }.count
        #expect(correct == test.count)
        // Deterministic: the same data in the same order gives the same weights.
        var again = FTRLTrainer(hashBits: 8, outputs: 1, parameters: .init(alpha: 0.5))
        for (x, y) in ModelTests.separable(count: 400, seed: 7) { again.update(x, label: y) }
        #expect(again.model().weights == model.weights)
    }

    @Test func softmaxSolvesThreeClasses() {
        var trainer = FTRLTrainer(hashBits: 8, outputs: 3, parameters: .init(alpha: 0.5))
        var rng = SplitMix64(seed: 3)
        func example() -> (SparseFeatures, Int) {
            let label = Int(rng.next() % 3)
            let row = UInt32(label * 10) + UInt32(rng.next() % 10)
            return (SparseFeatures(rows: [row], values: [1]), label)
        }
        for _ in 0..<600 {
            let (x, y) = example()
            trainer.update(x, label: y)
        }
        let model = trainer.model()
        var margins: [Double] = []
        for _ in 0..<100 {
            let (x, y) = example()
            model.margins(x, into: &margins)
            #expect(margins.indices.max { margins[$0] < margins[$1] } == y)
        }
    }

    @Test func incrementalTrainingResumesFromState() {
        var trainer = FTRLTrainer(hashBits: 8, outputs: 1)
        let data = ModelTests.separable(count: 100, seed: 1)
        for (x, y) in data.prefix(50) { trainer.update(x, label: y) }
        var resumed = FTRLTrainer(
            hashBits: 8, outputs: 1, parameters: trainer.parameters, z: trainer.z, n: trainer.n, biasZ: trainer.biasZ, biasN: trainer.biasN
        )
        for (x, y) in data.suffix(50) {
            trainer.update(x, label: y)
            resumed.update(x, label: y)
        }
        #expect(resumed.model().weights == trainer.model().weights)
    }

    @Test func plattIsMonotoneAndCalibrated() {
        // Margins 2x the true log-odds: Platt must find a ~ 0.5.
        var rng = SplitMix64(seed: 5)
        var margins: [Double] = []
        var labels: [Bool] = []
        for _ in 0..<20_000 {
            let logOdds = Double(rng.next() % 1000) / 100 - 5
            let p = LinearModel.sigmoid(logOdds)
            margins.append(2 * logOdds)
            labels.append(Double(rng.next() % 1_000_000) / 1_000_000 < p)
        }
        let c = Calibration.fitPlatt(margins: margins, labels: labels)
        guard case .platt(let a, let b) = c else { Issue.record("not Platt"); return }
        #expect(abs(a - 0.5) < 0.05)
        #expect(abs(b) < 0.1)
        let grid = stride(from: -10.0, through: 10, by: 0.5).map { c.probability(margin: $0) }
        #expect(zip(grid, grid.dropFirst()).allSatisfy { $0 < $1 })
    }

    @Test func isotonicPoolsViolators() {
        let c = Calibration.fitIsotonic(margins: [1, 2, 3, 4], labels: [false, true, false, true])
        guard case .isotonic(let xs, let ys) = c else { Issue.record("not isotonic"); return }
        // [0], [1, 0] pooled to 0.5, [1].
        #expect(ys == [0, 0.5, 1])
        #expect(xs == [1, 2.5, 4])
        #expect(c.probability(margin: 0) == 0)
        #expect(c.probability(margin: 1.75) == 0.25)
        #expect(c.probability(margin: 9) == 1)
    }

    @Test func thresholdsHoldTheTargetFalsePositiveRate() {
        // 1000 hams at 0.000, 0.001, ..., 0.999: at 0.1% FPR one ham may score at or above the threshold.
        let hams = (0..<1000).map { Double($0) / 1000 }
        let spams = [0.9985, 0.95, 0.5]
        let points = OperatingPoints.choose(probabilities: hams + spams, labels: hams.map { _ in false } + spams.map { _ in true }, targetFPR: 0.001)
        #expect(points.quarantine == 0.998.nextUp)
        #expect(hams.filter { $0 >= points.quarantine }.count == 1)
        #expect(points.tag <= points.quarantine && points.quarantine <= points.reject)
        #expect(points.action(probability: 0.9985) == .quarantine)
        #expect(points.action(probability: 0.5) == .inbox)
        #expect(points.action(probability: 1) == .reject)
        #expect(hams.filter { $0 >= points.tag }.count <= 10)
    }

    /// A separable training side (every ham near 0) would put the thresholds at its hams' edge; none goes below
    /// even odds.
    @Test func thresholdsNeverActOnMoreLikelyHam() {
        let hams = (0..<1000).map { Double($0) / 1_000_000 }
        let spams = [0.97, 0.999, 0.9999]
        let points = OperatingPoints.choose(probabilities: hams + spams, labels: hams.map { _ in false } + spams.map { _ in true }, targetFPR: 0.001)
        #expect(points.tag == 0.5 && points.quarantine == 0.5 && points.reject == 0.5)
        #expect(points.action(probability: 0.3) == .inbox && points.action(probability: 0.97) == .reject)
    }
}
