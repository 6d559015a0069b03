/// What the transformer stage reads of a message: the normalised subject, then the normalised visible body
/// (obfuscation undone, word salad taken out: ``MessageAnalyzer``), of which the encoder sees the first
/// tokens only. The start of a message is what its sender wants read; text pasted at the end to dilute it
/// does not reach the encoder.
public enum TransformerInput {
    /// The text, cut to `maxCharacters` UTF-8 bytes (generous: BERT's pieces average about four characters, and
    /// the tokenizer stops at its token count anyway).
    public static func text(of a: AnalyzedMessage, maxCharacters: Int = 4096) -> String {
        var text = a.normalizedSubject.text
        text += "\n"
        text += a.normalizedBody.text.utf8.count > maxCharacters
            ? String(decoding: a.normalizedBody.text.utf8.prefix(maxCharacters), as: UTF8.self) : a.normalizedBody.text
        return text
    }
}
