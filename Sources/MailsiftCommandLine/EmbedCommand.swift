import Foundation
import MailsiftCore
import MailsiftEncoder

/// `mailsift embed`: what the transformer stage reads of each message, its token ids and its embedding, one
/// JSON object a line (for `scripts/check-encoder.py`, which compares them with the reference tokenizer and
/// model, and for looking at what the stage sees).
public enum EmbedCommand {
    struct Line: Encodable {
        var file: String
        var text: String
        var tokens: [Int32]
        var embedding: [Float]?
        var error: String?
    }

    public static func run(
        files: [String], encoderFolder: String, precision: BertEncoder.Precision, maxTokens: Int, textOnly: Bool,
        analyzer: MessageAnalyzer = MessageAnalyzer(), write: @escaping @Sendable (String) -> Void
    ) throws {
        let encoder = try BertEncoder(folder: URL(fileURLWithPath: encoderFolder), precision: precision)
        let json = JSONEncoder()
        json.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        for file in files {
            guard let bytes = ParseCommand.read(file) else { throw ParseCommand.ReadError(path: file) }
            var line: Line
            do {
                let analyzed = try analyzer.analyze(bytes)
                let text = TransformerInput.text(of: analyzed)
                let tokens = encoder.tokenizer.encode(text, maxTokens: maxTokens)
                line = Line(file: file, text: text, tokens: tokens, embedding: textOnly ? nil : encoder.embed(tokens))
            } catch {
                line = Line(file: file, text: "", tokens: [], error: String(describing: error))
            }
            write(String(decoding: try json.encode(line), as: UTF8.self))
        }
    }
}
