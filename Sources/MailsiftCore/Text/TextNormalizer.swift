import Foundation

/// Maps text to a canonical form in which obfuscation cannot hide words, and counts what it undid.
///
/// The steps run in this order, each switchable (``NormalizationOptions``): strip HTML tricks, remove
/// format characters, NFKC, map confusables (per word, only where scripts mix or the text is mostly Latin),
/// fold diacritics, case-fold, re-join split words, fold leetspeak. ASCII text skips the Unicode steps.
/// The original text is not changed; callers keep it for display.
public struct TextNormalizer: Sendable {
    public var options: NormalizationOptions

    public init(options: NormalizationOptions = .all) {
        self.options = options
    }

    public func normalize(_ input: String) -> NormalizedText {
        var signals = ObfuscationSignals()
        var text = input
        if options.contains(.stripHTMLTricks), text.utf8.contains(UInt8(ascii: "<")) {
            text = stripHTMLTricks(text, &signals)
        }
        var isASCII = text.utf8.allSatisfy { $0 < 0x80 }
        if !isASCII && options.contains(.compatibilityFold) && TextNormalizer.mayChangeUnderNFKC(text) {
            let folded = text.precomposedStringWithCompatibilityMapping
            if folded != text { signals.compatibilityChanged = true }
            text = folded
        }
        var scalars: [UInt32] = []
        scalars.reserveCapacity(text.utf8.count)
        if isASCII {
            for b in text.utf8 { scalars.append(UInt32(b)) }
        } else {
            let removeFormat = options.contains(.removeFormatCharacters)
            for s in text.unicodeScalars {
                if removeFormat && TextNormalizer.isFormatCharacter(s) {
                    signals.formatCharacters += 1
                    continue
                }
                scalars.append(s.value)
            }
            isASCII = !scalars.contains { $0 >= 0x80 }
        }
        if !isASCII && (options.contains(.mapConfusables) || options.contains(.foldDiacritics)) {
            mapWords(&scalars, &signals)
        }
        if options.contains(.caseFold) { caseFold(&scalars, ascii: isASCII) }
        if options.contains(.joinSplitWords) { joinSplitWords(&scalars, &signals) }
        if options.contains(.foldLeetspeak) { foldLeetspeak(&scalars, &signals) }
        var out: [UInt8] = []
        out.reserveCapacity(scalars.count)
        for v in scalars { appendUTF8(&out, v) }
        return NormalizedText(text: String(decoding: out, as: UTF8.self), signals: signals)
    }

    // MARK: Steps

    /// False when every scalar is ASCII or a precomposed Latin letter that NFKC leaves alone (most European
    /// text), so the costly normalisation can be skipped.
    static func mayChangeUnderNFKC(_ text: String) -> Bool {
        for s in text.unicodeScalars {
            let v = s.value
            if v < 0x80 { continue }
            if v >= 0xC0 && v < 0x250 && v != 0xD7 && v != 0xF7 && !(0x132...0x133).contains(v) && !(0x13F...0x140).contains(v)
                && v != 0x149 && v != 0x17F && !(0x1C4...0x1CC).contains(v) && !(0x1F1...0x1F3).contains(v) {
                continue
            }
            return true
        }
        return false
    }

    static func isFormatCharacter(_ s: Unicode.Scalar) -> Bool {
        switch s.value {
        case 0x00AD, 0x034F, 0x061C, 0x115F, 0x1160, 0x17B4, 0x17B5, 0x180E, 0x200B...0x200F, 0x202A...0x202E,
             0x2060...0x206F, 0x3164, 0xFE00...0xFE0F, 0xFEFF, 0xFFA0, 0xE0000...0xE0FFF:
            return true
        default:
            // Every other format character lies at U+0600 or above; skip the property lookup below it.
            return s.value >= 0x600 && s.properties.generalCategory == .format
        }
    }

    /// Removes `<!-- ... -->` and `<tag ...>` when a letter touches them on both sides.
    func stripHTMLTricks(_ text: String, _ signals: inout ObfuscationSignals) -> String {
        let u = Array(text.utf8)
        var out: [UInt8] = []
        out.reserveCapacity(u.count)
        var i = 0
        while i < u.count {
            if u[i] == UInt8(ascii: "<"), let last = out.last, HTMLTextExtractor.isWordByte(last) {
                var end: Int? = nil
                if i + 3 < u.count, u[i + 1] == UInt8(ascii: "!"), u[i + 2] == ASCII.hyphen, u[i + 3] == ASCII.hyphen {
                    var j = i + 4
                    while j + 2 < u.count, !(u[j] == ASCII.hyphen && u[j + 1] == ASCII.hyphen && u[j + 2] == UInt8(ascii: ">")) { j += 1 }
                    if j + 2 < u.count { end = j + 3 }
                } else if i + 1 < u.count, ASCII.isAlpha(u[i + 1]) || u[i + 1] == UInt8(ascii: "/") {
                    var j = i + 1
                    while j < u.count, j - i < 200, u[j] != UInt8(ascii: ">"), u[j] != UInt8(ascii: "<"), u[j] != ASCII.lf { j += 1 }
                    if j < u.count, u[j] == UInt8(ascii: ">") { end = j + 1 }
                }
                // Several tags in a row (`ci<b></b>alis`) count as one trick.
                while let e = end, e + 1 < u.count, u[e] == UInt8(ascii: "<"), ASCII.isAlpha(u[e + 1]) || u[e + 1] == UInt8(ascii: "/") {
                    var j = e + 1
                    while j < u.count, j - e < 200, u[j] != UInt8(ascii: ">"), u[j] != UInt8(ascii: "<"), u[j] != ASCII.lf { j += 1 }
                    guard j < u.count, u[j] == UInt8(ascii: ">") else { break }
                    end = j + 1
                }
                if let e = end, e < u.count, HTMLTextExtractor.isWordByte(u[e]) {
                    signals.htmlTricks += 1
                    i = e
                    continue
                }
            }
            out.append(u[i])
            i += 1
        }
        return String(decoding: out, as: UTF8.self)
    }

    /// Per word: confusables to Latin where scripts mix (or where a wholly lookalike word sits in Latin
    /// text), and diacritics off Latin letters.
    func mapWords(_ s: inout [UInt32], _ signals: inout ObfuscationSignals) {
        var latinTotal = 0
        var otherTotal = 0
        for v in s {
            switch Confusables.script(v) {
            case .latin: latinTotal += 1
            case .cyrillic, .greek: otherTotal += 1
            case .other: break
            }
        }
        let mostlyLatin = latinTotal > otherTotal * 2
        var i = 0
        while i < s.count {
            guard TextNormalizer.isWordScalar(s[i]) else { i += 1; continue }
            var e = i
            var latin = 0
            var other = 0
            var allConfusable = true
            while e < s.count, TextNormalizer.isWordScalar(s[e]) {
                switch Confusables.script(s[e]) {
                case .latin: latin += 1
                case .cyrillic, .greek:
                    other += 1
                    if Confusables.toLatin[s[e]] == nil { allConfusable = false }
                case .other: break
                }
                e += 1
            }
            let mixed = latin > 0 && other > 0
            if options.contains(.mapConfusables), other > 0, mixed || (allConfusable && mostlyLatin) {
                if mixed { signals.mixedScriptWords += 1 }
                for k in i..<e {
                    if let l = Confusables.toLatin[s[k]] {
                        s[k] = UInt32(l)
                        signals.confusablesMapped += 1
                    }
                }
            }
            if options.contains(.foldDiacritics) {
                for k in i..<e where s[k] >= 0xC0 && s[k] < 0x250 {
                    let base = TextNormalizer.diacriticBase[Int(s[k] - 0xC0)]
                    if base != 0 {
                        s[k] = UInt32(base)
                        signals.diacriticsFolded += 1
                    }
                }
            }
            i = e
        }
    }

    /// Base letters of U+00C0..U+024F (0 where the letter has no ASCII base), from canonical decomposition.
    static let diacriticBase: [UInt8] = {
        var table = [UInt8](repeating: 0, count: 0x250 - 0xC0)
        for v in UInt32(0xC0)..<0x250 {
            guard let scalar = Unicode.Scalar(v) else { continue }
            let decomposed = String(scalar).decomposedStringWithCanonicalMapping.unicodeScalars
            if let first = decomposed.first, first.value < 0x80, ASCII.isAlpha(UInt8(first.value)), decomposed.count > 1 {
                table[Int(v - 0xC0)] = UInt8(first.value)
            }
        }
        // Letters without a decomposition but with an obvious base.
        for (v, c) in [(0xD8, "O"), (0xF8, "o"), (0x141, "L"), (0x142, "l"), (0x110, "D"), (0x111, "d"), (0x131, "i")] as [(Int, Character)] {
            table[v - 0xC0] = c.asciiValue!
        }
        return table
    }()

    func caseFold(_ s: inout [UInt32], ascii: Bool) {
        if ascii {
            for k in s.indices where s[k] >= 0x41 && s[k] <= 0x5A { s[k] |= 0x20 }
            return
        }
        var out: [UInt32] = []
        out.reserveCapacity(s.count)
        for v in s {
            if v < 0x80 {
                out.append(v >= 0x41 && v <= 0x5A ? v | 0x20 : v)
            } else if let scalar = Unicode.Scalar(v) {
                let props = scalar.properties
                if props.changesWhenLowercased {
                    for l in props.lowercaseMapping.unicodeScalars { out.append(l.value) }
                } else {
                    out.append(v)
                }
            }
        }
        s = out
    }

    /// `s.p.a.m`, `v i a g r a`, `f-r-e-e`: runs of single characters with one repeated separator, mostly
    /// letters (so `1.5.0` stays), at least 3 long (4 with spaces, so `a b c` stays).
    func joinSplitWords(_ s: inout [UInt32], _ signals: inout ObfuscationSignals) {
        let separators: Set<UInt32> = [0x2E, 0x2D, 0x5F, 0x2A, 0x20, 0x2F, 0x7E, 0x2B, 0x7C, 0x2C, 0x3A]
        let n = s.count
        func isWord(_ k: Int) -> Bool { k >= 0 && k < n && TextNormalizer.isWordScalar(s[k]) }
        func isSingle(_ k: Int) -> Bool { isWord(k) && !isWord(k - 1) && !isWord(k + 1) }
        // Most text has no candidate at all: find the first before copying anything.
        var first = 0
        while first + 2 < n, !(isSingle(first) && separators.contains(s[first + 1]) && isSingle(first + 2)) { first += 1 }
        guard first + 2 < n else { return }
        var out: [UInt32] = Array(s[..<first])
        out.reserveCapacity(n)
        var i = first
        while i < n {
            if isSingle(i), i + 2 < n, separators.contains(s[i + 1]), isSingle(i + 2) {
                let sep = s[i + 1]
                var positions = [i]
                var k = i
                while k + 2 < n, s[k + 1] == sep, isSingle(k + 2) {
                    positions.append(k + 2)
                    k += 2
                }
                let letters = positions.reduce(0) { $0 + (TextNormalizer.isLetterScalar(s[$1]) ? 1 : 0) }
                let needed = sep == 0x20 ? 4 : 3
                if positions.count >= needed, letters * 2 > positions.count {
                    for p in positions { out.append(s[p]) }
                    signals.splitWordsJoined += 1
                    i = k + 1
                    continue
                }
            }
            out.append(s[i])
            i += 1
        }
        s = out
    }

    /// Leetspeak inside words of at least two letters whose digits are all leet digits; a digit or symbol
    /// folds when it sits between letters, or in a run of two or more at a word's end (`fr33`), never alone
    /// at an end (`mp3`, `win7` stay).
    func foldLeetspeak(_ s: inout [UInt32], _ signals: inout ObfuscationSignals) {
        var i = 0
        let n = s.count
        while i < n {
            guard TextNormalizer.isLeetWordScalar(s[i]) else { i += 1; continue }
            var e = i
            var letters = 0
            var leet = 0
            var otherDigits = 0
            while e < n, TextNormalizer.isLeetWordScalar(s[e]) {
                let v = s[e]
                if v < 0x80 && ASCII.isAlpha(UInt8(v)) { letters += 1 } else if TextNormalizer.leet(v) != nil { leet += 1 } else if v < 0x80 && ASCII.isDigit(UInt8(v)) {
                    otherDigits += 1
                } else if v >= 0x80 { letters += 1 }
                e += 1
            }
            // Trailing punctuation-like symbols ('!', '|', '$') are not part of the word.
            var wordEnd = e
            while wordEnd > i, s[wordEnd - 1] == 0x21 || s[wordEnd - 1] == 0x7C { wordEnd -= 1 }
            // An e-mail address: '@' followed by a domain; leave it.
            let isEmail = s[i..<e].contains(0x40) && e < n && s[e] == 0x2E
            if letters >= 2, leet > 0, otherDigits == 0, !isEmail {
                var changed = false
                // Whether some leet run sits between letters: then the word is leetspeak through and through.
                var interior = false
                var q = i
                while q < wordEnd {
                    if TextNormalizer.leet(s[q]) != nil {
                        var r = q
                        while r < wordEnd, TextNormalizer.leet(s[r]) != nil { r += 1 }
                        if q > i, r < wordEnd, TextNormalizer.isLetterScalar(s[q - 1]), TextNormalizer.isLetterScalar(s[r]) { interior = true }
                        q = r
                    } else {
                        q += 1
                    }
                }
                var k = i
                while k < wordEnd {
                    if TextNormalizer.leet(s[k]) != nil {
                        var r = k
                        while r < wordEnd, TextNormalizer.leet(s[r]) != nil { r += 1 }
                        let before = k > i && TextNormalizer.isLetterScalar(s[k - 1])
                        let after = r < wordEnd && TextNormalizer.isLetterScalar(s[r])
                        let runLength = r - k
                        let symbolOnly = s[k..<r].allSatisfy { $0 == 0x21 || $0 == 0x7C }
                        let symbolRun = s[k..<r].allSatisfy { $0 == 0x40 || $0 == 0x24 }
                        if (before && after) || ((before || after) && (runLength >= 2 || interior || symbolRun) && !symbolOnly) {
                            for m in k..<r { s[m] = UInt32(TextNormalizer.leet(s[m])!) }
                            changed = true
                        }
                        k = r
                    } else {
                        k += 1
                    }
                }
                if changed { signals.leetWords += 1 }
            }
            i = e
        }
    }

    @inline(__always)
    static func leet(_ v: UInt32) -> UInt8? {
        switch v {
        case 0x30: return UInt8(ascii: "o")
        case 0x31: return UInt8(ascii: "i")
        case 0x33: return UInt8(ascii: "e")
        case 0x34: return UInt8(ascii: "a")
        case 0x35: return UInt8(ascii: "s")
        case 0x37: return UInt8(ascii: "t")
        case 0x38: return UInt8(ascii: "b")
        case 0x40: return UInt8(ascii: "a")
        case 0x24: return UInt8(ascii: "s")
        case 0x21: return UInt8(ascii: "i")
        case 0x7C: return UInt8(ascii: "l")
        default: return nil
        }
    }

    @inline(__always)
    static func isLetterScalar(_ v: UInt32) -> Bool {
        if v < 0x80 { return ASCII.isAlpha(UInt8(v)) }
        return Unicode.Scalar(v)?.properties.isAlphabetic ?? false
    }

    @inline(__always)
    static func isWordScalar(_ v: UInt32) -> Bool {
        if v < 0x80 { return ASCII.isAlpha(UInt8(v)) || ASCII.isDigit(UInt8(v)) }
        return Unicode.Scalar(v)?.properties.isAlphabetic ?? false
    }

    @inline(__always)
    static func isLeetWordScalar(_ v: UInt32) -> Bool {
        isWordScalar(v) || v == 0x40 || v == 0x24 || v == 0x21 || v == 0x7C
    }
}
