import Foundation
import MailsiftCore
import MailsiftFiles
import MailsiftTrees

/// `mailsift classify`: one JSON object per message with the label, calibrated probability, action, the
/// stage that decided and why, the model version and the time taken. Like `parse`, it exits non-zero only
/// when a file cannot be read.
public enum ClassifyCommand {
    struct Output: Encodable {
        var file: String
        var label: String?
        var probability: Double?
        var action: String?
        var stage: String?
        var reasons: [Cascade.Reason]?
        var language: LanguageGuess?
        var modelVersion: String
        var microseconds: Int?
        var error: String?
    }

    public static func run(
        files: [String], model source: ModelLoader.Source, loader: ModelLoader = ModelLoader(trees: XGBoostTreeLoader()), trust: AuthenticationTrust = .none,
        reasons: Int = 8,
        emit: (String) -> Void
    ) throws {
        let cascade = try loader.cascade(source)
        let model = cascade.bundle
        var scratch = cascade.makeScratch()
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        encoder.keyEncodingStrategy = .convertToSnakeCase
        let clock = ContinuousClock()
        var unreadable: [String] = []
        for file in files {
            guard let bytes = ParseCommand.read(file) else {
                unreadable.append(file)
                continue
            }
            var out = Output(file: file, modelVersion: model.manifest.version)
            let start = clock.now
            do {
                let a = try cascade.extractor.analyze(bytes, trust: trust)
                let verdict = cascade.classify(a, scratch: &scratch)
                let elapsed = clock.now - start
                out.label = verdict.label
                out.probability = verdict.probability
                out.action = verdict.action.rawValue
                out.stage = verdict.stage.rawValue
                out.microseconds = Int(elapsed.seconds * 1e6)
                out.reasons = cascade.reasons(a, verdict: verdict, count: reasons, scratch: &scratch)
                out.language = a.language
            } catch {
                out.error = "\(error)"
            }
            emit(String(decoding: try encoder.encode(out), as: UTF8.self))
        }
        if let first = unreadable.first { throw ParseCommand.ReadError(path: first) }
    }
}
