import Foundation
import MailsiftCore
import MailsiftTestKit
import MailsiftTraining
import Testing

/// `mailsift report` and `eval --report`: the page's figures are those of the metrics, its plots are drawn, names are
/// escaped, and it loads in headless Chromium with nothing on the console.
@Suite struct EvaluationReportTests {
    /// Scores of two made-up models: spam scored high, hams low, a few hams high.
    static func sets() -> [EvaluationReport.ScoreSet] {
        var rng = SplitMix64(seed: 3)
        func set(_ name: String, noise: Double) -> EvaluationReport.ScoreSet {
            let scores = (0..<4_000).map { i -> (Double, Bool) in
                let spam = i % 3 == 0
                let u = Double(rng.next() % 1_000_000) / 1_000_000
                return (spam ? 0.6 + 0.4 * u : (u < noise ? 0.9 * u / noise : 0.3 * u), spam)
            }
            return .init(name: name, scores: scores, stages: [("trees", 0.7), ("combined", 0.3)])
        }
        return [set("model <A> & co", noise: 0.01), set("model B", noise: 0.05)]
    }

    static func page() -> String {
        EvaluationReport(title: "Test report", sets: sets(), operatingPoints: OperatingPoints(targetFPR: 0.001, tag: 0.5, quarantine: 0.8, reject: 0.95))
            .html(generated: "now")
    }

    @Test func theFiguresAreTheMetricsAndEveryPlotIsDrawn() throws {
        let html = Self.page()
        for set in Self.sets() {
            let m = try #require(SpamMetrics(scores: set.scores))
            #expect(html.contains(String(format: "<td>%.6f</td><td>%.6f</td>", m.auc, m.averagePrecision)))
            #expect(html.contains(String(format: "<td>%.2f%%</td>", 100 * m.recallAt01)))
        }
        // ROC, precision-recall, reliability, a histogram per set, stages.
        #expect(html.components(separatedBy: "<svg ").count - 1 == 6)
        #expect(html.contains("model &lt;A&gt; &amp; co") && !html.contains("<A>"))
        #expect(html.contains("<td>quarantine+</td>"))
        // Self-contained: no script, nothing fetched (the only URL is SVG's namespace).
        #expect(!html.contains("<script"))
        #expect(!html.replacingOccurrences(of: "http://www.w3.org/2000/svg", with: "").contains("http"))
    }

    @Test func scoreFilesAreRead() throws {
        let scores = try EvaluationReport.scores(tsv: "id\tlabel\tscore\tverdict\na\tspam\t0.9\tspam\nb\tham\t0.1\tham\n")
        #expect(scores.map(\.0) == [0.9, 0.1] && scores.map(\.1) == [true, false])
        #expect(throws: EvaluationReport.ReportError.self) { try EvaluationReport.scores(tsv: "a\tspam\tnot-a-number\n") }
        let stages = EvaluationReport.stageShares(tsv: "id\tlabel\tp\taction\tstage\na\tspam\t1\treject\ttrees\nb\tham\t0\tinbox\tcombined\nc\tham\t0\tinbox\ttrees\n")
        #expect(stages.map(\.0) == ["combined", "trees"] && abs(stages[1].1 - 2.0 / 3) < 1e-9)
    }

    /// In a real browser: the page loads, its six charts are in the DOM, and nothing is written to the console. The
    /// console capture is checked first on a page that does write to it.
    @Test(.enabled(if: Chromium.executable != nil, "chromium is not installed")) func theReportLoadsInChromium() throws {
        let dir = NSTemporaryDirectory() + "mailsift-report-\(UUID().uuidString)"
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let probe = dir + "/probe.html"
        try "<!DOCTYPE html><html><body><script>console.error('probe-error')</script></body></html>".write(toFile: probe, atomically: true, encoding: .utf8)
        let probed = try Chromium.load("file://" + probe, screenshot: "report-probe")
        #expect(probed.console.contains { $0.contains("probe-error") }, "the console capture must see a page's errors")

        let path = dir + "/report.html"
        try Self.page().write(toFile: path, atomically: true, encoding: .utf8)
        let page = try Chromium.load("file://" + path, screenshot: "evaluation-report")
        #expect(page.dom.contains("<h1>Test report</h1>"))
        #expect(page.dom.components(separatedBy: "<svg ").count - 1 == 6)
        #expect(page.console.isEmpty, "\(page.console)")
        #expect(FileManager.default.fileExists(atPath: page.screenshot))
    }
}
