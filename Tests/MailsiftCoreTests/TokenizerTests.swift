import Testing
@testable import MailsiftCore

@Suite("Tokenizer and feature hashing")
struct TokenizerTests {
    /// Reference values from the xxhash Python package (the C reference implementation).
    @Test func xxh64MatchesReference() {
        #expect(FeatureHash.xxh64("") == 0xEF46_DB37_51D8_E999)
        #expect(FeatureHash.xxh64("a") == 0xD24E_C4F1_A98C_6E5B)
        #expect(FeatureHash.xxh64("abc") == 0x44BC_2CF5_AD77_0999)
        #expect(FeatureHash.xxh64("Nobody inspects the spammish repetition") == 0xFBCE_A83C_8A37_8BF1)
        #expect(FeatureHash.xxh64(String(repeating: "x", count: 100), seed: 7) == 0xAE5A_D321_E4FE_6127)
    }

    @Test func words() {
        #expect(Tokenizer().words("Hello, wörld! 42 日本").map(String.init) == ["Hello", "wörld", "42", "日本"])
    }

    @Test func featuresAreDeterministicAndNamespaced() {
        let t = Tokenizer(options: .init(wordNGrams: 1...1, charNGram: 0))
        var a: [UInt64] = []
        var b: [UInt64] = []
        var c: [UInt64] = []
        t.hash("free money", seed: 1, into: &a)
        t.hash("free money", seed: 1, into: &b)
        t.hash("free money", seed: 2, into: &c)
        #expect(a == b)
        #expect(a.count == 2)
        #expect(Set(a).isDisjoint(with: c))
        #expect(a[0] == FeatureHash.xxh64("free", seed: 1))
    }

    @Test func countsOfEachFeatureKind() {
        let t = Tokenizer(options: .init(wordNGrams: 1...2, charNGram: 4))
        var f: [UInt64] = []
        t.hash("ab cd  ef", seed: 0, into: &f)
        // 3 unigrams, 2 bigrams, and the 4-grams of "ab cd ef" (8 bytes after collapsing): 5.
        #expect(f.count == 3 + 2 + 5)
        var limited: [UInt64] = []
        Tokenizer(options: .init(maxFeatures: 4)).hash(String(repeating: "word ", count: 100), seed: 0, into: &limited)
        #expect(limited.count == 4)
    }

    /// Words alone, n-grams alone and both together take three different loops: they must give the same
    /// features, and the words those of a reference built from ``Tokenizer/words(_:)``.
    @Test(arguments: [
        "", "a", "  Free  money!!  now ", "V1agra... s.p.a.m, wörld 日本 42x",
        "x" + String(repeating: "y", count: 60) + " tail", "end-with-word", "!!!", "ab cd  ef",
    ])
    func wordAndGramLoopsAgree(_ text: String) {
        var words: [UInt64] = []
        var grams: [UInt64] = []
        var both: [UInt64] = []
        Tokenizer(options: .init(wordNGrams: 1...2, charNGram: 0)).hash(text, seed: 3, into: &words)
        Tokenizer(options: .init(wordNGrams: 0...0, charNGram: 4)).hash(text, seed: 3, into: &grams)
        Tokenizer(options: .init(wordNGrams: 1...2, charNGram: 4)).hash(text, seed: 3, into: &both)
        #expect((words + grams).sorted() == both.sorted())
        for limit in [1, 3] {
            var limitedWords: [UInt64] = []
            var limitedGrams: [UInt64] = []
            Tokenizer(options: .init(wordNGrams: 1...2, charNGram: 0, maxFeatures: limit)).hash(text, seed: 3, into: &limitedWords)
            Tokenizer(options: .init(wordNGrams: 0...0, charNGram: 4, maxFeatures: limit)).hash(text, seed: 3, into: &limitedGrams)
            #expect(limitedWords == Array(words.prefix(limit)))
            #expect(limitedGrams == Array(grams.prefix(limit)))
        }

        var expected: [UInt64] = []
        var previous: UInt64? = nil
        for w in Tokenizer().words(text) {
            let h = FeatureHash.xxh64(String(decoding: Array(w.utf8.prefix(40)), as: UTF8.self), seed: 3)
            expected.append(h)
            if let p = previous { expected.append(FeatureHash.combine(p, h) ^ (3 &+ 0x5151)) }
            previous = h
        }
        #expect(words == expected)
    }

    /// The eight-at-a-time classifier agrees with the one-byte one for every byte value in every position.
    @Test func wordByteMaskAgreesWithOneByteTest() {
        for b in 0...255 {
            for position in 0..<8 {
                let w = UInt64(b) << UInt64(8 * position) | (position == 0 ? 0 : 0x2020_2020_2020_2020 >> UInt64(64 - 8 * position))
                let mask = ASCII.wordByteMask(w)
                let expected: UInt64 = ASCII.isWordByte(UInt8(b)) ? 0x80 << UInt64(8 * position) : 0
                #expect(mask & (0xFF << UInt64(8 * position)) == expected, "byte \(b) at \(position)")
            }
        }
        let text: [UInt8] = Array("  ab,,cd\u{00E9}f  12 x".utf8)
        text.withUnsafeBytes { u in
            #expect(ASCII.firstIndex(u, from: 0, wordBytes: true) == 2)
            #expect(ASCII.firstIndex(u, from: 2, wordBytes: false) == 4)
            #expect(ASCII.firstIndex(u, from: 6, wordBytes: false) == 11)
            #expect(ASCII.firstIndex(u, from: 16, wordBytes: false) == u.count)
        }
    }
}
