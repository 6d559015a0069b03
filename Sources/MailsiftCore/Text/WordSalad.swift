/// Word salad: a long run of bare words with no punctuation, the attacker's appended good words ("hash
/// busters"). Prose has commas and full stops every few words; a salad has none. Taken out of the text the text
/// models read (``MessageAnalyzer``), a salad can neither dilute the spam words nor add ham weight; it costs the
/// dev split nothing and cuts the attack's success on the shipped model from 80% to 25% (docs/adversarial.md).
public enum WordSalad {
    /// Least bare words in a row that make a salad.
    public static let minimumWords = 30

    private static let letter: UInt8 = 0, other: UInt8 = 1, space: UInt8 = 2, newline: UInt8 = 3, lead: UInt8 = 4

    /// Each byte's class: an ASCII letter, a blank, a line break, the first byte of a multi-byte scalar, or other
    /// (punctuation, digits, continuation bytes).
    private static let byteClasses: [UInt8] = (0..<256).map { b -> UInt8 in
        switch b {
        case 0x41...0x5A, 0x61...0x7A: letter
        case 0x20, 0x09, 0x0D: space
        case 0x0A: newline
        case 0xC0...0xFF: lead
        default: other
        }
    }

    /// How much of a text is looked at, in bytes: as much as the text views read (``FeatureConfiguration``'s
    /// `maxWordBytes`, 32 KiB by default); a salad past it reaches no view.
    public static let scanBytes = 32 << 10

    /// `text` without runs of at least `minimumWords` bare words in a row (words of letters only; line breaks
    /// continue a run, a blank line ends it), each replaced by one space, and how many words were taken out. Only
    /// the first `limit` bytes (to the end of the word there) are looked at.
    public static func removed(
        from text: String, minimumWords: Int = WordSalad.minimumWords, limit: Int = WordSalad.scanBytes
    ) -> (text: String, words: Int) {
        // Fewer bytes than a salad's shortest (30 one-letter words and their blanks) hold none.
        guard text.utf8.count >= 2 * minimumWords - 1 else { return (text, 0) }
        var text = text
        let cuts = text.withUTF8 { u -> [(start: Int, end: Int, words: Int)] in
            guard mayHoldSalad(u, minimumWords: minimumWords, limit: limit) else { return [] }
            return byteClasses.withUnsafeBufferPointer { classes in runs(in: u, classes: classes, minimumWords: minimumWords, limit: limit) }
        }
        guard !cuts.isEmpty else { return (text, 0) }
        var out: [UInt8] = []
        text.withUTF8 { u in
            out.reserveCapacity(u.count)
            var from = 0
            for cut in cuts {
                out.append(contentsOf: u[from..<cut.start])
                out.append(0x20)
                from = cut.end
            }
            out.append(contentsOf: u[from..<u.count])
        }
        return (String(decoding: out, as: UTF8.self), cuts.reduce(0) { $0 + $1.words })
    }

    /// Whether some stretch of `u` without punctuation or digits has `minimumWords` word starts: a salad needs one,
    /// and prose seldom has one. A branch-free pass (most text has no salad and stops here).
    private static func mayHoldSalad(_ u: UnsafeBufferPointer<UInt8>, minimumWords: Int, limit: Int) -> Bool {
        blankTable.withUnsafeBufferPointer { blank in
            keepTable.withUnsafeBufferPointer { keep in
                var words = 0, most = 0, previousBlank = 1
                for i in 0..<min(u.count, limit) {
                    let b = Int(u[i])
                    let isBlank = Int(blank[b])
                    words = (words + (previousBlank & (1 - isBlank))) * Int(keep[b])
                    previousBlank = isBlank
                    most = max(most, words)
                }
                return most >= minimumWords
            }
        }
    }

    /// 1 for a blank byte (space, tab, CR, LF).
    private static let blankTable: [UInt8] = (0..<256).map { [0x20, 0x09, 0x0D, 0x0A].contains($0) ? 1 : 0 }
    /// 0 for a byte that ends a stretch (ASCII punctuation and digits), 1 for letters, blanks and non-ASCII bytes.
    private static let keepTable: [UInt8] = (0..<256).map { b in
        switch b {
        case 0x41...0x5A, 0x61...0x7A, 0x20, 0x09, 0x0D, 0x0A, 0x80...0xFF: 1
        default: 0
        }
    }

    /// The byte ranges of the salads in `u` and their word counts.
    private static func runs(
        in u: UnsafeBufferPointer<UInt8>, classes: UnsafeBufferPointer<UInt8>, minimumWords: Int, limit: Int
    ) -> [(start: Int, end: Int, words: Int)] {
        var cuts: [(start: Int, end: Int, words: Int)] = []
        var runStart = 0, runEnd = 0, runWords = 0
        var i = 0, newlines = 0
        let n = u.count, end = min(n, limit)
        while i < end {
            let c = classes[Int(u[i])]
            if c == space {
                i += 1
                continue
            }
            if c == newline {
                newlines += 1
                if newlines >= 2 {  // a blank line: a new paragraph
                    if runWords >= minimumWords { cuts.append((runStart, runEnd, runWords)) }
                    runWords = 0
                }
                i += 1
                continue
            }
            newlines = 0
            let start = i
            var bare = true
            while i < n {
                let b = u[i]
                let k = classes[Int(b)]
                if k == letter {
                    i += 1
                } else if k == other {
                    bare = false
                    i += 1
                } else if k == lead {
                    // One scalar: alphabetic or not (CJK and fullwidth punctuation are not letters).
                    let length = b >= 0xF0 ? 4 : b >= 0xE0 ? 3 : 2
                    if bare {
                        var value = UInt32(b) & (length == 2 ? 0x1F : length == 3 ? 0x0F : 0x07)
                        var j = 1
                        while j < length, i + j < n {
                            value = value << 6 | UInt32(u[i + j] & 0x3F)
                            j += 1
                        }
                        if !(Unicode.Scalar(value)?.properties.isAlphabetic ?? false) { bare = false }
                    }
                    i += length
                } else {
                    break  // a blank or a line break ends the word
                }
            }
            if bare {
                if runWords == 0 { runStart = start }
                runEnd = min(i, n)
                runWords += 1
            } else {
                if runWords >= minimumWords { cuts.append((runStart, runEnd, runWords)) }
                runWords = 0
            }
        }
        if runWords >= minimumWords { cuts.append((runStart, runEnd, runWords)) }
        return cuts
    }
}
