import MailsiftCore

/// Attacked copies of the training spam (`train --augment-attacks K`): each spam gets K copies, each with a
/// random set of the attack's text and header edits (``AttackEdit``: good words, a ham paragraph, a plain
/// subject, list headers, a common mailer), made with material taken from the training ham, and keeps its
/// label. The text models then see spam that carries ham words and still is spam. Reply headers are not among
/// the edits: a reply the site cannot verify never reaches the model (``ReplyClaim``). A copy has its original's
/// Message-ID and dates, so it falls in the same fold.
enum AttackAugmentation {
    static let defaultEdits: [AttackEdit] = [.goodWords, .hamParagraph, .plainSubject, .list, .mailer]
    /// The pool a copy's good words are drawn from, and how many it takes.
    static let pool = 500
    static let wordsPerCopy = 40...160

    static func copies(
        of messages: [CorpusMessage], spamLabel: String, copies k: Int, edits: [AttackEdit] = defaultEdits, seed: UInt64
    ) -> [CorpusMessage] {
        guard k > 0, !edits.isEmpty else { return [] }
        let analyzer = MessageAnalyzer()
        let analysed = ParallelMap.map(messages, progress: nil, makeScratch: { () }) { m, _ in
            (try? analyzer.analyze(m.bytes, lists: .asWritten)).map { ($0, ham: m.label != spamLabel) }
        }
        let material = AttackMaterial.learned(from: analysed.compactMap { $0 }, goodWords: pool, seed: seed)
        let spam = messages.filter { $0.label == spamLabel }
        let made = ParallelMap.map(spam, progress: nil, makeScratch: { () }) { m, _ -> [CorpusMessage] in
            var out: [CorpusMessage] = []
            for c in 0..<k {
                var rng = SplitMix(seed: FeatureHash.xxh64(m.corpus + "/" + m.id, seed: seed &+ UInt64(c) &* 0x9E37))
                var chosen = edits.filter { _ in rng.next() & 1 == 1 }
                if chosen.isEmpty { chosen = [edits[Int(rng.next() % UInt64(edits.count))]] }
                var words = material.goodWords
                for i in words.indices.reversed() where i > 0 { words.swapAt(i, Int(rng.next() % UInt64(i + 1))) }
                let count = wordsPerCopy.lowerBound + Int(rng.next() % UInt64(wordsPerCopy.count))
                let mine = AttackMaterial(
                    goodWords: Array(words.prefix(count)), paragraphs: material.paragraphs, subjects: material.subjects, seed: rng.next())
                var bytes = m.bytes
                for edit in chosen {
                    if let edited = edit.apply(to: bytes, material: mine, salt: rng.next()) { bytes = edited }
                }
                guard bytes != m.bytes else { continue }
                out.append(CorpusMessage(corpus: m.corpus, id: "\(m.id)#attacked\(c)", label: m.label, bytes: bytes))
            }
            return out
        }
        return made.flatMap { $0 }
    }

    struct SplitMix {
        var state: UInt64
        init(seed: UInt64) { state = seed }
        mutating func next() -> UInt64 {
            state &+= 0x9E37_79B9_7F4A_7C15
            return AttackEdit.mix(state)
        }
    }
}
