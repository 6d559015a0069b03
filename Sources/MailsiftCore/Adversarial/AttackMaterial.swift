/// What an attacker brings to ``AttackEdit``: words and text from legitimate mail, and a seed for the made-up
/// identifiers. ``learned(from:hamLabel:goodWords:seed:)`` takes them from ham the attacker has (the attack
/// command: the split's train rows); training takes the same kind of material to make attacked copies of its
/// spam (`train --augment-attacks`).
public struct AttackMaterial: Sendable {
    /// Words common in ham and rare in spam, most common first.
    public var goodWords: [String]
    public var paragraphs: [String]
    public var subjects: [String]
    public var seed: UInt64

    public init(goodWords: [String], paragraphs: [String], subjects: [String], seed: UInt64) {
        self.goodWords = goodWords
        self.paragraphs = paragraphs
        self.subjects = subjects
        self.seed = seed
    }

    /// One of `items`, picked by the seed and `salt` (each message gets its own).
    func pick(_ items: [String], _ salt: UInt64) -> String? {
        items.isEmpty ? nil : items[Int(AttackEdit.mix(seed ^ salt) % UInt64(items.count))]
    }

    /// The material in analysed messages: the `goodWords` words (3 to 10 ASCII letters) in the most hams' bodies
    /// among those at least three times as frequent in ham as in spam and in 1% of the hams, paragraphs of ham
    /// text (250 to 700 characters of words, no quotes or addresses) and ham subjects without reply prefixes.
    public static func learned(from messages: [(AnalyzedMessage, ham: Bool)], goodWords count: Int = 120, seed: UInt64) -> AttackMaterial {
        var hamDocs = [String: Int](), spamDocs = [String: Int]()
        var hams = 0, spams = 0
        var paragraphs: [String] = [], subjects: [String] = []
        for (a, ham) in messages {
            if ham { hams += 1 } else { spams += 1 }
            var words = Set<String>()
            for w in a.bodyText.lowercased().split(whereSeparator: { !$0.isLetter }) where (3...10).contains(w.count) && w.allSatisfy(\.isASCII) {
                words.insert(String(w))
            }
            for w in words {
                if ham { hamDocs[w, default: 0] += 1 } else { spamDocs[w, default: 0] += 1 }
            }
            guard ham else { continue }
            if let s = a.message.subject, !ReplyClaim.hasReplyPrefix(s), (12...70).contains(s.count), s.allSatisfy(\.isASCII) { subjects.append(s) }
            for p in a.bodyText.split(separator: "\n\n") {
                let text = p.split(whereSeparator: \.isNewline).joined(separator: " ")
                let letters = text.count { $0.isLetter || $0 == " " }
                if (250...700).contains(text.count), !text.contains(">"), !text.contains("@"), Double(letters) > 0.9 * Double(text.count) {
                    paragraphs.append(text)
                }
            }
        }
        let minimum = max(2, hams / 100)
        var candidates: [(word: String, ham: Double)] = []
        for (word, n) in hamDocs where n >= minimum {
            let ham = Double(n) / Double(max(hams, 1))
            let spam = Double(spamDocs[word] ?? 0) / Double(max(spams, 1))
            if ham > 3 * spam { candidates.append((word, ham)) }
        }
        candidates.sort { $0.ham != $1.ham ? $0.ham > $1.ham : $0.word < $1.word }
        return AttackMaterial(goodWords: candidates.prefix(count).map(\.word), paragraphs: paragraphs, subjects: subjects, seed: seed)
    }
}
