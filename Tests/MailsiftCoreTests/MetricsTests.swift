import Foundation
import MailsiftTraining
import Testing
@testable import MailsiftCore

@Suite("Evaluation metrics")
struct MetricsTests {
    @Test func knownSmallCase() throws {
        // Spam 0.9, 0.8, 0.4; ham 0.7, 0.3, 0.1, 0.4 (a tie with a spam).
        let scores: [(Double, Bool)] = [(0.9, true), (0.8, true), (0.4, true), (0.7, false), (0.3, false), (0.1, false), (0.4, false)]
        let m = try #require(SpamMetrics(scores: scores))
        // Pairs won: 0.9 and 0.8 beat all four hams, 0.4 beats two and ties one: (4 + 4 + 2.5) / 12.
        #expect(abs(m.auc - (4 + 4 + 2.5) / 12) < 1e-12)
        #expect(m.recallAt1 == 2.0 / 3.0) // no ham allowed: above 0.7 only
    }

    /// The reference script must print the same table for the same scores file.
    @Test(.enabled(if: MetricsTests.referenceScript != nil, "../shared/eval/metrics.py or python3 missing"))
    func agreesWithTheReferenceScript() throws {
        var rng = SplitMix64(seed: 11)
        var lines = ["id\tlabel\tscore\tverdict"]
        var scores: [(Double, Bool)] = []
        var verdicts: [Bool] = []
        for i in 0..<3000 {
            let spam = rng.next() % 3 == 0
            // Rounded scores so that ties occur.
            let raw = Double(rng.next() % 10_000) / 10_000
            let score = spam ? min(1, (raw + 0.6 * Double(rng.next() % 2)).rounded(toPlaces: 3)) : (raw * 0.8).rounded(toPlaces: 3)
            scores.append((score, spam))
            verdicts.append(score >= 0.7)
            lines.append("m\(i)\t\(spam ? "spam" : "ham")\t\(score)\t\(score >= 0.7 ? "spam" : "ham")")
        }
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("mailsift-metrics-\(getpid()).tsv").path
        try (lines.joined(separator: "\n") + "\n").write(toFile: path, atomically: true, encoding: .utf8)
        defer { try? FileManager.default.removeItem(atPath: path) }
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = ["python3", MetricsTests.referenceScript!, path]
        let pipe = Pipe()
        process.standardOutput = pipe
        try process.run()
        let output = String(decoding: pipe.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        process.waitUntilExit()
        let ours = SpamMetrics.table([try #require(SpamMetrics(scores: scores, verdicts: verdicts)).formatted(file: path)])
        #expect(ours == output.trimmingCharacters(in: .newlines))
    }

    static var referenceScript: String? {
        let path = TestSupport.repositoryRoot.deletingLastPathComponent().appendingPathComponent("shared/eval/metrics.py").path
        return FileManager.default.fileExists(atPath: path) && FileManager.default.fileExists(atPath: "/usr/bin/python3") ? path : nil
    }

    @Test func classMetrics() throws {
        let m = try #require(ClassMetrics(pairs: [("a", "a"), ("a", "b"), ("b", "b"), ("c", "b")]))
        #expect(m.accuracy == 0.5)
        // F1: a = 2/3, b = 2*1/(2+2) = 0.5, c = 0.
        #expect(abs(m.macroF1 - (2.0 / 3 + 0.5) / 3) < 1e-12)
    }
}

extension Double {
    func rounded(toPlaces places: Int) -> Double {
        let f = pow(10, Double(places))
        return (self * f).rounded() / f
    }
}
