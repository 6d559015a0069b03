/// Splits normalised text into words and hashes words, word bigrams and character n-grams into 64-bit
/// feature ids. Output goes into a caller-owned buffer (no allocation per message once it has grown).
public struct Tokenizer: Sendable {
    public struct Options: Sendable, Hashable {
        /// Word n-gram orders to emit (1 = unigrams, 2 = bigrams).
        public var wordNGrams: ClosedRange<Int>
        /// Byte n-gram length over the normalised text (0 disables; 4 is the TREC 2007 choice).
        public var charNGram: Int
        /// Longest word kept, in bytes; longer runs are cut (base64 blobs, hashes).
        public var maxWordBytes: Int
        /// Most features per text.
        public var maxFeatures: Int

        public init(wordNGrams: ClosedRange<Int> = 1...2, charNGram: Int = 4, maxWordBytes: Int = 40, maxFeatures: Int = 50_000) {
            self.wordNGrams = wordNGrams
            self.charNGram = charNGram
            self.maxWordBytes = maxWordBytes
            self.maxFeatures = maxFeatures
        }
    }

    public var options: Options

    public init(options: Options = Options()) {
        self.options = options
    }

    /// Words of the text: maximal runs of letters and digits (any script), as UTF-8 ranges.
    public func words(_ text: String) -> [Substring] {
        var out: [Substring] = []
        var start: String.Index? = nil
        var i = text.startIndex
        while i < text.endIndex {
            let c = text[i]
            if c.isLetter || c.isNumber {
                if start == nil { start = i }
            } else if let s = start {
                out.append(text[s..<i])
                start = nil
            }
            i = text.index(after: i)
        }
        if let s = start { out.append(text[s...]) }
        return out
    }

    /// Appends the hashed features of `text` to `features`, each namespaced by `seed` (so the same word in
    /// the subject and the body are different features).
    public func hash(_ text: String, seed: UInt64, into features: inout [UInt64]) {
        var t = text
        t.withUTF8 { hash(UnsafeRawBufferPointer($0), seed: seed, into: &features) }
    }

    public func hash(_ u: UnsafeRawBufferPointer, seed: UInt64, into features: inout [UInt64]) {
        let n = u.count
        let k = options.charNGram
        let grams = k > 0 && k <= 8 && n >= k
        // At most one unigram and one bigram per word (a word takes at least two bytes with its separator,
        // or is the last one), and one n-gram per byte.
        let bound = min(options.maxFeatures, n + 2 + (grams ? n : 0))
        guard n > 0, bound > 0 else { return }
        let produced = [UInt64](unsafeUninitializedCapacity: bound) { out, count in
            count = hashWordsAndGrams(u, k: grams ? k : 0, seed: seed, into: out.baseAddress!, capacity: bound)
        }
        features.append(contentsOf: produced)
    }

    /// One pass over the text: word unigrams and bigrams as each word ends, and byte n-grams of length `k`
    /// (0 for none) over the text with each run of non-word bytes collapsed to one space. Returns how many
    /// features were written; stops at `capacity`.
    private func hashWordsAndGrams(
        _ u: UnsafeRawBufferPointer, k: Int, seed: UInt64, into out: UnsafeMutablePointer<UInt64>, capacity: Int
    ) -> Int {
        let n = u.count
        let bigrams = options.wordNGrams.contains(2)
        let unigrams = options.wordNGrams.contains(1)
        let maxWord = options.maxWordBytes
        let bigramSeed = seed &+ 0x5151
        let gramSeed = (seed ^ 0xC4A2_0000) &* 0x9E37_79B1_85EB_CA87
        let mask: UInt64 = k >= 8 ? ~0 : (1 << UInt64(8 * k)) - 1
        var count = 0
        var previous: UInt64? = nil
        var wordStart = -1
        var window: UInt64 = 0
        var filled = 0
        var lastWasSpace = true

        @inline(__always) func endWord(_ end: Int) {
            let length = min(end - wordStart, maxWord)
            let h = FeatureHash.xxh64(UnsafeRawBufferPointer(rebasing: u[wordStart..<(wordStart + length)]), seed: seed)
            if unigrams, count < capacity {
                out[count] = h
                count += 1
            }
            if bigrams, let p = previous, count < capacity {
                out[count] = FeatureHash.combine(p, h) ^ bigramSeed
                count += 1
            }
            previous = h
            wordStart = -1
        }

        for j in 0..<n {
            var b = u[j]
            // Word characters: ASCII letters and digits, and every non-ASCII byte (letters of other scripts;
            // normalised text has no non-ASCII punctuation worth splitting on).
            if Tokenizer.isWordByte(b) {
                if wordStart < 0 { wordStart = j }
                lastWasSpace = false
            } else {
                if wordStart >= 0 { endWord(j) }
                // Whitespace runs and punctuation become one space, so n-grams see word shapes.
                if lastWasSpace { continue }
                b = 0x20
                lastWasSpace = true
            }
            guard k > 0 else { continue }
            window = ((window << 8) | UInt64(b)) & mask
            filled += 1
            if filled >= k, count < capacity {
                // One multiply and a fold: the n-gram is at most eight bytes, so this mixes enough for hashing.
                let x = (window ^ gramSeed) &* 0x9E37_79B9_7F4A_7C15
                out[count] = x ^ (x >> 29)
                count += 1
            }
            if count >= capacity { break }
        }
        if wordStart >= 0, count < capacity { endWord(n) }
        return count
    }

    /// The features of ``hash(_:seed:into:)`` with the text each one stands for (`viagra`, `free money`,
    /// `agra`), for explanations. Slower; never on the scoring path.
    public func namedFeatures(_ text: String, seed: UInt64) -> [(hash: UInt64, name: String)] {
        var hashes: [UInt64] = []
        hash(text, seed: seed, into: &hashes)
        let u = Array(text.utf8)
        let n = u.count
        var names: [String] = []
        names.reserveCapacity(hashes.count)
        var previous: String? = nil
        var collapsed: [UInt8] = []
        var lastWasSpace = true
        var i = 0
        let k = options.charNGram
        let gramsOn = k > 0 && k <= 8 && n >= k
        // Names in the order the single pass emits them: a word's features when it ends, an n-gram per byte.
        var wordStart = -1
        func endWord(_ end: Int) {
            let word = String(decoding: u[wordStart..<min(end, wordStart + options.maxWordBytes)], as: UTF8.self)
            if options.wordNGrams.contains(1) { names.append(word) }
            if options.wordNGrams.contains(2), let p = previous { names.append(p + " " + word) }
            previous = word
            wordStart = -1
        }
        while i < n {
            var b = u[i]
            if Tokenizer.isWordByte(b) {
                if wordStart < 0 { wordStart = i }
                lastWasSpace = false
            } else {
                if wordStart >= 0 { endWord(i) }
                if lastWasSpace { i += 1; continue }
                b = 0x20
                lastWasSpace = true
            }
            if gramsOn {
                collapsed.append(b)
                if collapsed.count >= k { names.append(String(decoding: collapsed.suffix(k), as: UTF8.self)) }
            }
            i += 1
        }
        if wordStart >= 0 { endWord(n) }
        return zip(hashes, names).map { ($0, $1) }
    }

    @inline(__always)
    static func isWordByte(_ b: UInt8) -> Bool {
        b >= 0x80 || (b >= 0x30 && b <= 0x39) || ((b | 0x20) >= 0x61 && (b | 0x20) <= 0x7A)
    }
}
