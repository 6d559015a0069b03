import Testing
@testable import MailsiftCore

@Suite("Normalisation")
struct NormalizerTests {
    let all = TextNormalizer()

    @Test func leetspeak() {
        #expect(all.normalize("V1agr@ now").text == "viagra now")
        #expect(all.normalize("Fr33 c4sh!").text == "free cash!")
        #expect(all.normalize("h3ll0 w0rld").text == "hello world")
        #expect(all.normalize("V1agr@").signals.leetWords == 1)
        // Not leetspeak: numbers, versions, model names, e-mail addresses.
        #expect(all.normalize("mp3 win7 2024 $100 ipv4").text == "mp3 win7 2024 $100 ipv4")
        #expect(all.normalize("mail me at john@example.com").text == "mail me at john@example.com")
        var off = TextNormalizer()
        off.options.remove(.foldLeetspeak)
        #expect(off.normalize("V1agr@").text == "v1agr@")
    }

    @Test func splitWords() {
        #expect(all.normalize("S.P.A.M offer").text == "spam offer")
        #expect(all.normalize("buy v i a g r a today").text == "buy viagra today")
        #expect(all.normalize("f-r-e-e").text == "free")
        #expect(all.normalize("v.1.a.g.r.a").text == "viagra")
        // Left alone: versions, short runs, initials in names.
        #expect(all.normalize("Mutt/1.5.0 and a b c").text == "mutt/1.5.0 and a b c")
        #expect(all.normalize("J. R. R. Tolkien").text == "j. r. r. tolkien")
        var off = TextNormalizer()
        off.options.remove(.joinSplitWords)
        #expect(off.normalize("S.P.A.M").text == "s.p.a.m")
    }

    @Test func zeroWidthAndFormatCharacters() {
        let r = all.normalize("vi\u{200B}ag\u{200D}ra\u{00AD}\u{FEFF}")
        #expect(r.text == "viagra")
        #expect(r.signals.formatCharacters == 4)
        var off = TextNormalizer()
        off.options.remove(.removeFormatCharacters)
        #expect(off.normalize("a\u{200B}b").text == "a\u{200B}b")
    }

    @Test func compatibilityForms() {
        #expect(all.normalize("ＦＲＥＥ ｍｏｎｅｙ").text == "free money")
        #expect(all.normalize("𝐕𝐢𝐚𝐠𝐫𝐚 ﬁnance").text == "viagra finance")
        #expect(all.normalize("Ⓥⓘⓐⓖⓡⓐ").text == "viagra")
        var off = TextNormalizer()
        off.options.remove(.compatibilityFold)
        #expect(off.normalize("ＦＲＥＥ").text == "ｆｒｅｅ")
    }

    @Test func compatibilityFormsAsEvidence() {
        // Look-alike letters and digits are obfuscation...
        #expect(all.normalize("ＦＲＥＥ ｍｏｎｅｙ").signals.compatibilityChanged)
        #expect(all.normalize("𝐕𝐢𝐚𝐠𝐫𝐚").signals.compatibilityChanged)
        #expect(all.normalize("Ⓥⓘⓐⓖⓡⓐ").signals.compatibilityChanged)
        // ...punctuation and symbols NFKC rewrites are not, nor fullwidth forms in CJK text (folded all the same).
        let symbols = all.normalize("Wait\u{2026} Acme\u{2122} \u{FF01}")
        #expect(symbols.text == "wait... acmetm !")
        #expect(!symbols.signals.compatibilityChanged)
        let japanese = all.normalize("\u{FF13}\u{FF17}日の会議です\u{FF01} ＯｐｅｎＴｅｘｔ")
        #expect(japanese.text == "37日の会議です! opentext")
        #expect(!japanese.signals.compatibilityChanged)
        // Digits among CJK letters are dates and counts, not leetspeak.
        let date = all.normalize("2007年1月3日")
        #expect(date.text == "2007年1月3日")
        #expect(date.signals.leetWords == 0)
        #expect(all.normalize("caf\u{00E9} v1agra").signals.leetWords == 1)
    }

    @Test func confusablesInMixedScriptWords() {
        // "PayPal" with Cyrillic Р and а.
        let r = all.normalize("Your \u{0420}ay\u{0420}\u{0430}l account")
        #expect(r.text == "your paypal account")
        #expect(r.signals.mixedScriptWords == 1)
        // Greek omicron inside a Latin word.
        #expect(all.normalize("g\u{03BF}\u{03BF}gle").text == "google")
        // Real Russian text is left alone.
        #expect(all.normalize("Привет, как дела?").text == "привет, как дела?")
        var off = TextNormalizer()
        off.options.remove(.mapConfusables)
        #expect(off.normalize("\u{0420}ay\u{0420}al").text == "\u{0440}ay\u{0440}al")
    }

    @Test func diacritics() {
        #expect(all.normalize("Vìágrá Ünïcödé").text == "viagra unicode")
        var off = TextNormalizer()
        off.options.remove(.foldDiacritics)
        #expect(off.normalize("Café").text == "café")
    }

    @Test func htmlTricksInPlainText() {
        let r = all.normalize("buy via<!-- xyz -->gra and ci<b></b>alis now <b>bold</b>")
        #expect(r.text == "buy viagra and cialis now <b>bold</b>")
        #expect(r.signals.htmlTricks == 2)
    }

    @Test func caseFolding() {
        #expect(all.normalize("ÉCOLE STRASSE Straße").text == "ecole strasse straße")
        var off = TextNormalizer()
        off.options.remove(.caseFold)
        #expect(off.normalize("FREE").text == "FREE")
    }

    @Test func legitimateTextIsUnchanged() {
        let text = "hi bob, the meeting moved to 3pm in room 4b. agenda: q3 budget, hiring (2 roles)."
        let r = all.normalize(text)
        #expect(r.text == text)
        #expect(!r.signals.any)
    }

    /// The eight-at-a-time ASCII lower-caser changes exactly the capitals, in every position.
    @Test func lowercaseInPlaceChangesOnlyCapitals() {
        var bytes = (0...255).map(UInt8.init) + (0...255).reversed().map(UInt8.init) + [0x41, 0x5A, 0x40]
        let expected = bytes.map { $0 >= 0x41 && $0 <= 0x5A ? $0 | 0x20 : $0 }
        bytes.withUnsafeMutableBufferPointer(ASCII.lowercaseInPlace)
        #expect(bytes == expected)
    }

    @Test func htmlTricksRemovedBetweenPlainRuns() {
        let n = TextNormalizer().normalize("plain text first, then vi<!-- x -->agra and ci<b></b>alis, a < b stays")
        #expect(n.text.contains("viagra"))
        #expect(n.text.contains("cialis"))
        #expect(n.text.hasSuffix("a < b stays"))
        #expect(n.signals.htmlTricks == 2)
    }
}
