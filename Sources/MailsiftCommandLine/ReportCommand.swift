import Foundation
import MailsiftCore
import MailsiftFiles
import MailsiftTraining

/// `mailsift report`: one HTML file with the evaluation of one or more score files (`eval --scores`), overlaid
/// (``EvaluationReport``); the actions at the thresholds of a model (the shipped one by default).
public enum ReportCommand {
    public static func run(scores: [String], names: [String], stageScores: [String], model: String?, title: String, out: String) throws -> String {
        guard !scores.isEmpty else { throw ValidationFailure("give at least one --scores file") }
        guard names.isEmpty || names.count == scores.count else { throw ValidationFailure("give one --name per --scores file, or none") }
        guard stageScores.isEmpty || stageScores.count == scores.count else { throw ValidationFailure("give one --stage-scores per --scores file, or none") }
        var sets: [EvaluationReport.ScoreSet] = []
        for (i, path) in scores.enumerated() {
            let text = try String(contentsOfFile: path, encoding: .utf8)
            let stages = stageScores.isEmpty ? [] : EvaluationReport.stageShares(tsv: try String(contentsOfFile: stageScores[i], encoding: .utf8))
            do {
                sets.append(.init(name: names.isEmpty ? (path as NSString).lastPathComponent : names[i], scores: try EvaluationReport.scores(tsv: text), stages: stages))
            } catch {
                throw ValidationFailure("\(path): \(error)")
            }
        }
        let bundle = try ModelFile.load(model)
        let report = EvaluationReport(title: title, sets: sets, operatingPoints: bundle.manifest.operatingPoints)
        try report.html(generated: ISO8601DateFormatter().string(from: Date())).write(toFile: out, atomically: true, encoding: .utf8)
        return "wrote \(out): \(sets.count) score set(s), \(sets.map(\.scores.count).reduce(0, +)) rows; actions at the thresholds of \(bundle.manifest.version)"
    }
}
