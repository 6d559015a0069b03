import Foundation

/// BERT's uncased WordPiece tokeniser, as the `tokenizers` package's `BertNormalizer`, `BertPreTokenizer` and
/// `WordPiece` model run it for all-MiniLM-L6-v2 (checked token for token against it:
/// `scripts/check-encoder.py`, `WordPieceTokenizerTests`):
/// - **normalise**: drop NUL, U+FFFD and control characters (category C*, but tab, newline and carriage
///   return), white space to a space, a space on each side of a CJK ideograph, accents stripped (NFD, then no
///   non-spacing marks), lower case;
/// - **pre-tokenise**: split at white space, and each punctuation character (ASCII punctuation or Unicode P*)
///   a word of its own;
/// - **WordPiece**: the longest vocabulary entry from the start of each word, then the longest `##` entry
///   from where it ended, and so on; a word longer than 100 characters, or one that cannot be covered,
///   is `[UNK]`.
/// ``encode(_:maxTokens:)`` stops once it has `maxTokens`: the start of a text gives the same tokens whatever
/// follows, so a long message costs no more than a short one.
public struct WordPieceTokenizer: Sendable {
    public let vocabulary: [String: Int32]
    public let unknown: Int32
    public let classify: Int32
    public let separator: Int32
    public let padding: Int32
    public static let maxWordCharacters = 100

    public enum VocabularyError: Error, Equatable {
        case missingToken(String)
    }

    /// `vocabulary`: the tokens in id order (the lines of `vocab.txt`).
    public init(vocabulary tokens: [String]) throws(VocabularyError) {
        var map: [String: Int32] = [:]
        map.reserveCapacity(tokens.count)
        for (id, token) in tokens.enumerated() where map[token] == nil { map[token] = Int32(id) }
        func id(_ token: String) throws(VocabularyError) -> Int32 {
            guard let id = map[token] else { throw VocabularyError.missingToken(token) }
            return id
        }
        vocabulary = map
        unknown = try id("[UNK]")
        classify = try id("[CLS]")
        separator = try id("[SEP]")
        padding = try id("[PAD]")
    }

    /// `[CLS]`, the ids of the first word pieces of `text` (at most `maxTokens - 2`), `[SEP]`.
    public func encode(_ text: String, maxTokens: Int) -> [Int32] {
        var ids: [Int32] = [classify]
        let limit = max(0, maxTokens - 2)
        var word: [Unicode.Scalar] = []
        func flush() {
            guard !word.isEmpty else { return }
            pieces(of: word, into: &ids, limit: limit + 1)
            word.removeAll(keepingCapacity: true)
        }
        scan: for scalar in text.unicodeScalars {
            if ids.count > limit { break scan }
            if WordPieceTokenizer.isRemoved(scalar) { continue }
            if WordPieceTokenizer.isSpace(scalar) {
                flush()
                continue
            }
            // Accents stripped, then lower case (the order `BertNormalizer` uses).
            for s in WordPieceTokenizer.folded(scalar) {
                if WordPieceTokenizer.isPunctuation(s) || WordPieceTokenizer.isIdeograph(s) {
                    flush()
                    word.append(s)
                    flush()
                } else if WordPieceTokenizer.isSpace(s) {
                    flush()
                } else {
                    word.append(s)
                }
            }
        }
        if ids.count <= limit { flush() }
        if ids.count > limit + 1 { ids.removeLast(ids.count - limit - 1) }
        ids.append(separator)
        return ids
    }

    /// WordPiece on one word; appends at most until `ids` has `limit` entries.
    private func pieces(of word: [Unicode.Scalar], into ids: inout [Int32], limit: Int) {
        guard word.count <= WordPieceTokenizer.maxWordCharacters else {
            ids.append(unknown)
            return
        }
        var found: [Int32] = []
        var start = 0
        while start < word.count {
            var end = word.count
            var match: Int32?
            while end > start {
                var piece = start > 0 ? "##" : ""
                piece.unicodeScalars.append(contentsOf: word[start..<end])
                if let id = vocabulary[piece] {
                    match = id
                    break
                }
                end -= 1
            }
            guard let id = match else {
                ids.append(unknown)
                return
            }
            found.append(id)
            start = end
        }
        for id in found where ids.count < limit { ids.append(id) }
    }

    /// NUL, U+FFFD and the control, format, private-use, surrogate and unassigned characters (but tab, newline
    /// and carriage return, which are white space): dropped.
    static func isRemoved(_ s: Unicode.Scalar) -> Bool {
        if s.value == 0 || s.value == 0xFFFD { return true }
        if s == "\t" || s == "\n" || s == "\r" { return false }
        switch s.properties.generalCategory {
        case .control, .format, .privateUse, .surrogate, .unassigned: return true
        default: return false
        }
    }

    /// Unicode White_Space (Rust's `char::is_whitespace`, which `tokenizers` uses).
    static func isSpace(_ s: Unicode.Scalar) -> Bool {
        s.properties.isWhitespace
    }

    /// ASCII punctuation (which counts `$`, `+`, `<`, `=`, `>`, `^`, `` ` ``, `|` and `~`) or Unicode P*.
    static func isPunctuation(_ s: Unicode.Scalar) -> Bool {
        let v = s.value
        if (33...47).contains(v) || (58...64).contains(v) || (91...96).contains(v) || (123...126).contains(v) { return true }
        switch s.properties.generalCategory {
        case .connectorPunctuation, .dashPunctuation, .openPunctuation, .closePunctuation, .initialPunctuation, .finalPunctuation,
             .otherPunctuation:
            return true
        default: return false
        }
    }

    /// The CJK ideograph blocks BERT splits around.
    static func isIdeograph(_ s: Unicode.Scalar) -> Bool {
        switch s.value {
        case 0x4E00...0x9FFF, 0x3400...0x4DBF, 0x20000...0x2A6DF, 0x2A700...0x2B73F, 0x2B740...0x2B81F, 0x2B820...0x2CEAF,
             0xF900...0xFAFF, 0x2F800...0x2FA1F:
            return true
        default: return false
        }
    }

    /// The scalar decomposed (NFD) without its non-spacing marks, then lower-cased. ASCII takes a fast path.
    static func folded(_ s: Unicode.Scalar) -> [Unicode.Scalar] {
        if s.isASCII {
            let v = s.value
            return [(65...90).contains(v) ? Unicode.Scalar(v + 32)! : s]
        }
        var out: [Unicode.Scalar] = []
        for d in String(s).decomposedStringWithCanonicalMapping.unicodeScalars where d.properties.generalCategory != .nonspacingMark {
            out.append(contentsOf: d.properties.lowercaseMapping.unicodeScalars)
        }
        return out
    }
}
