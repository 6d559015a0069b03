/// The analysis' fast path for the commonest mail, plain English: a text in Latin letters without accents in which
/// English function words are common is English, without asking the detector (CLD2 takes about 17 us for 512 bytes,
/// this about 1 us). Checked against CLD2 on the labelled set of scripts/language-eval.sh and on the corpora
/// (`mailsift language --labelled`, `--corpus`; docs/content.md): it must never fire on another language.
public enum PlainEnglish {
    /// Function words of English that other common Latin-script languages do not use as words (not `a`, `in`, `is`,
    /// `to`, `of`, `we`, `for`, `at`, `her`, `was`, `will`, `has`, `my`, `by`, `all`, `just`, which are Spanish, Dutch,
    /// German, Danish, Norwegian, Swedish or Polish words too).
    static let words: Set<UInt64> = Set([
        "the", "and", "you", "your", "with", "this", "that", "are", "have", "our", "not", "from", "would", "which", "there",
        "their", "been", "what", "about", "they", "she", "it", "if", "be", "were", "had", "but", "who", "when", "should",
        "could", "can", "his", "more",
    ].map(pack))

    /// At least this many function words, and this share of all words.
    static let minimumWords = 6
    static let minimumShare = 0.1

    /// Whether `text` is plain English by these tests: every letter Latin and unaccented but for one in a hundred, at
    /// least ``minimumWords`` function words, and they are at least ``minimumShare`` of the words.
    public static func matches(_ text: String, census: ScriptCensus) -> Bool {
        guard census.letters >= 20, census.counts[0] == census.letters else { return false }
        var text = text
        return text.withUTF8 { b -> Bool in
            var words = 0, function = 0, accented = 0
            var packed: UInt64 = 0, length = 0
            func endWord() {
                if length > 0 {
                    words += 1
                    if length <= 8 && Self.words.contains(packed) { function += 1 }
                }
                packed = 0
                length = 0
            }
            for byte in b {
                let lower = byte | 0x20
                if lower &- 0x61 < 26 {
                    if length < 8 { packed = packed << 8 | UInt64(lower) }
                    length += 1
                } else {
                    if byte >= 0xC0 { accented += 1 }
                    endWord()
                }
            }
            endWord()
            return accented * 100 <= census.letters && function >= minimumWords && Double(function) >= minimumShare * Double(words)
        }
    }

    /// The lower-case ASCII word packed into an integer (up to 8 letters), as ``matches(_:census:)`` reads words.
    static func pack(_ word: String) -> UInt64 { word.utf8.prefix(8).reduce(0) { $0 << 8 | UInt64($1) } }
}
