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
}
