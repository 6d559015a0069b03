/// A sentence encoder: token ids (``WordPieceTokenizer``'s, with `[CLS]` and `[SEP]`) to one unit-length
/// embedding. The port through which the transformer stage reads text; `MailsiftEncoder`'s `BertEncoder` runs
/// all-MiniLM-L6-v2 on OpenBLAS. Conformers are immutable and safe to call from many threads at once.
public protocol SentenceEncoder: Sendable {
    /// The embedding's length.
    var dimension: Int { get }
    /// The longest input, in tokens, the encoder takes (its position table).
    var maxTokens: Int { get }
    var tokenizer: WordPieceTokenizer { get }
    /// What the encoder is, for logs and manifests (model name and precision).
    var identity: String { get }
    func embed(_ tokens: [Int32]) -> [Float]
    /// Several sequences in one pass (the same results as one at a time).
    func embed(batch: [[Int32]]) -> [[Float]]
}

extension SentenceEncoder {
    public func embed(batch: [[Int32]]) -> [[Float]] { batch.map(embed) }
}
