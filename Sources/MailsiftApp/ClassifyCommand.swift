import Foundation
import MailsiftCore

/// `mailsift classify`: one JSON object per message with the label, calibrated probability, action, the
/// features that weighed most, the model version and the time taken. Like `parse`, it exits non-zero only
/// when a file cannot be read.
public enum ClassifyCommand {
    struct Output: Encodable {
        var file: String
        var label: String?
        var probability: Double?
        var action: String?
        var reasons: [Classifier.Reason]?
        var modelVersion: String
        var microseconds: Int?
        var error: String?
    }

    public static func run(files: [String], model: ModelBundle, reasons: Int = 8, emit: (String) -> Void) throws {
        let classifier = Classifier(bundle: model)
        var scratch = classifier.makeScratch()
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
                let a = try classifier.extractor.analyze(bytes)
                let score = classifier.score(a, scratch: &scratch)
                let elapsed = clock.now - start
                out.label = score.label
                out.probability = score.probability
                out.action = score.action?.rawValue
                out.microseconds = Int(elapsed.seconds * 1e6)
                out.reasons = classifier.reasons(a, score: score, count: reasons)
            } catch {
                out.error = "\(error)"
            }
            emit(String(decoding: try encoder.encode(out), as: UTF8.self))
        }
        if let first = unreadable.first { throw ParseCommand.ReadError(path: first) }
    }
}
