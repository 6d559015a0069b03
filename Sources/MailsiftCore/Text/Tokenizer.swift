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
        let hashes = Hashes(seed: seed, k: grams ? k : 0, maxWord: options.maxWordBytes)
        let unigrams = options.wordNGrams.contains(1)
        let bigrams = options.wordNGrams.contains(2)
        let produced = [UInt64](unsafeUninitializedCapacity: bound) { buffer, count in
            let out = buffer.baseAddress!
            // Words alone, or n-grams alone (words are then only separators), each take a faster loop.
            if !grams {
                count = unigrams || bigrams ? hashWords(u, hashes, unigrams, bigrams, into: out, capacity: bound) : 0
            } else if !unigrams && !bigrams {
                count = hashGrams(u, hashes, into: out, capacity: bound)
            } else {
                count = hashWordsAndGrams(u, hashes, unigrams, bigrams, into: out, capacity: bound)
            }
        }
        features.append(contentsOf: produced)
    }

    /// How one text's features are hashed, namespaced by the view's seed.
    private struct Hashes {
        let seed: UInt64
        let bigramSeed: UInt64
        let gramSeed: UInt64
        let k: Int
        let gramMask: UInt64
        let maxWord: Int

        init(seed: UInt64, k: Int, maxWord: Int) {
            self.seed = seed
            bigramSeed = seed &+ 0x5151
            gramSeed = (seed ^ 0xC4A2_0000) &* 0x9E37_79B1_85EB_CA87
            self.k = k
            gramMask = k >= 8 ? ~0 : (1 << UInt64(8 * k)) - 1
            self.maxWord = maxWord
        }

        /// A word (cut at `maxWord` bytes) from `start` to `end`.
        @inline(__always)
        func word(_ u: UnsafeRawBufferPointer, _ start: Int, _ end: Int) -> UInt64 {
            FeatureHash.xxh64(UnsafeRawBufferPointer(rebasing: u[start..<(start + min(end - start, maxWord))]), seed: seed)
        }

        /// Writes a word's unigram and its bigram with the word before, as far as `capacity` allows.
        @inline(__always)
        func emitWord(
            _ h: UInt64, after previous: inout UInt64?, _ unigrams: Bool, _ bigrams: Bool,
            _ out: UnsafeMutablePointer<UInt64>, _ count: inout Int, _ capacity: Int
        ) {
            if unigrams, count < capacity {
                out[count] = h
                count += 1
            }
            if bigrams, let p = previous, count < capacity {
                out[count] = FeatureHash.combine(p, h) ^ bigramSeed
                count += 1
            }
            previous = h
        }

        /// The n-gram ending in the low byte of `window`: one multiply and a fold (the n-gram is at most
        /// eight bytes, so this mixes enough for hashing).
        @inline(__always)
        func gram(_ window: UInt64) -> UInt64 {
            let x = (window ^ gramSeed) &* 0x9E37_79B9_7F4A_7C15
            return x ^ (x >> 29)
        }
    }

    /// One pass over the text: word unigrams and bigrams as each word ends, and byte n-grams of length `k`
    /// over the text with each run of non-word bytes collapsed to one space. Returns how many features were
    /// written; stops at `capacity`.
    private func hashWordsAndGrams(
        _ u: UnsafeRawBufferPointer, _ hashes: Hashes, _ unigrams: Bool, _ bigrams: Bool,
        into out: UnsafeMutablePointer<UInt64>, capacity: Int
    ) -> Int {
        var count = 0
        var previous: UInt64? = nil
        var wordStart = -1
        var window: UInt64 = 0
        var filled = 0
        var lastWasSpace = true

        @inline(__always) func endWord(_ end: Int) {
            hashes.emitWord(hashes.word(u, wordStart, end), after: &previous, unigrams, bigrams, out, &count, capacity)
            wordStart = -1
        }

        for j in 0..<u.count {
            var b = u[j]
            if ASCII.isWordByte(b) {
                if wordStart < 0 { wordStart = j }
                lastWasSpace = false
            } else {
                if wordStart >= 0 { endWord(j) }
                // Whitespace runs and punctuation become one space, so n-grams see word shapes.
                if lastWasSpace { continue }
                b = 0x20
                lastWasSpace = true
            }
            window = ((window << 8) | UInt64(b)) & hashes.gramMask
            filled += 1
            if filled >= hashes.k, count < capacity {
                out[count] = hashes.gram(window)
                count += 1
            }
            if count >= capacity { break }
        }
        if wordStart >= 0, count < capacity { endWord(u.count) }
        return count
    }

    /// ``hashWordsAndGrams(_:_:_:_:into:capacity:)`` without words: the same n-grams, from runs of word
    /// bytes (found eight bytes at a time) stepped through without a branch on each byte's kind, and one
    /// space for each run of separators.
    private func hashGrams(
        _ u: UnsafeRawBufferPointer, _ hashes: Hashes, into out: UnsafeMutablePointer<UInt64>, capacity: Int
    ) -> Int {
        let n = u.count
        var count = 0
        var window: UInt64 = 0
        var filled = 0
        @inline(__always) func step(_ b: UInt8) {
            window = ((window << 8) | UInt64(b)) & hashes.gramMask
            filled &+= 1
            out[count] = hashes.gram(window)
            count &+= filled >= hashes.k ? 1 : 0
        }
        var j = 0
        while count < capacity {
            let start = ASCII.firstIndex(u, from: j, wordBytes: true)
            // Separators before this word (or at the end) become one space, none before the first word.
            if start > j, filled > 0 {
                step(0x20)
                guard count < capacity else { break }
            }
            guard start < n else { break }
            j = ASCII.firstIndex(u, from: start + 1, wordBytes: false)
            var i = start
            while i < j, count < capacity {
                step(u[i])
                i += 1
            }
        }
        return count
    }

    /// ``hashWordsAndGrams(_:_:_:_:into:capacity:)`` without n-grams: skips to each word and to its end
    /// eight bytes at a time. Same features in the same order.
    private func hashWords(
        _ u: UnsafeRawBufferPointer, _ hashes: Hashes, _ unigrams: Bool, _ bigrams: Bool,
        into out: UnsafeMutablePointer<UInt64>, capacity: Int
    ) -> Int {
        var count = 0
        var previous: UInt64? = nil
        var j = 0
        while count < capacity {
            j = ASCII.firstIndex(u, from: j, wordBytes: true)
            guard j < u.count else { break }
            let start = j
            j = ASCII.firstIndex(u, from: j + 1, wordBytes: false)
            hashes.emitWord(hashes.word(u, start, j), after: &previous, unigrams, bigrams, out, &count, capacity)
        }
        return count
    }

    /// The features of ``hash(_:seed:into:)`` with the text each one stands for (`viagra`, `free money`,
    /// `agra`), for explanations. Slower; never on the scoring path. With `only`, just the features whose
    /// hash it accepts are named and returned (a string is made for those alone).
    public func namedFeatures(_ text: String, seed: UInt64, only: ((UInt64) -> Bool)? = nil) -> [(hash: UInt64, name: String)] {
        var hashes: [UInt64] = []
        hash(text, seed: seed, into: &hashes)
        if let only, !hashes.contains(where: only) { return [] }
        let u = Array(text.utf8)
        let n = u.count
        var out: [(hash: UInt64, name: String)] = []
        if only == nil { out.reserveCapacity(hashes.count) }
        // The index of the next feature in `hashes`: names come in the order the single pass emits them.
        var next = 0
        @inline(__always) func emit(_ name: () -> String) {
            guard next < hashes.count else { return }
            let h = hashes[next]
            next += 1
            if only?(h) ?? true { out.append((h, name())) }
        }
        var previous: Range<Int>? = nil
        var collapsed: [UInt8] = []
        var lastWasSpace = true
        var i = 0
        let k = options.charNGram
        let gramsOn = k > 0 && k <= 8 && n >= k
        // A word's features when it ends, an n-gram per byte.
        var wordStart = -1
        func endWord(_ end: Int) {
            let word = wordStart..<min(end, wordStart + options.maxWordBytes)
            if options.wordNGrams.contains(1) { emit { String(decoding: u[word], as: UTF8.self) } }
            if options.wordNGrams.contains(2), let p = previous {
                emit { String(decoding: u[p], as: UTF8.self) + " " + String(decoding: u[word], as: UTF8.self) }
            }
            previous = word
            wordStart = -1
        }
        while i < n {
            var b = u[i]
            if ASCII.isWordByte(b) {
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
                if collapsed.count >= k { emit { String(decoding: collapsed.suffix(k), as: UTF8.self) } }
            }
            i += 1
        }
        if wordStart >= 0 { endWord(n) }
        return out
    }

}
