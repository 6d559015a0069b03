import Foundation

/// The steps that only non-ASCII text needs: NFKC, format characters, confusables, diacritics, full case
/// folding.
extension TextNormalizer {
    /// NFKC, applied only to the runs of non-ASCII bytes that hold a scalar NFKC can change (with the ASCII
    /// byte before each run, which a combining mark may compose with). ASCII is stable under NFKC and never
    /// composes with what precedes it, so normalising run by run equals normalising the whole text.
    /// No-break spaces become spaces directly (common in legitimate mail, so not counted as obfuscation).
    /// Only letters and digits in compatibility forms count as obfuscation (``isLookAlikeLetter(_:)``):
    /// NFKC also rewrites ellipses, `™` and fullwidth punctuation, which legitimate mail uses freely; and
    /// in text that holds CJK, fullwidth letters and digits and halfwidth katakana are ordinary typography.
    func compatibilityFold(_ bytes: inout [UInt8], _ signals: inout ObfuscationSignals) {
        var out: [UInt8] = []
        var copied = 0
        var lookAlikes = 0
        var widthForms = 0
        var cjk = false
        bytes.withUnsafeBufferPointer { u in
            let n = u.count
            var i = 0
            while i < n {
                guard u[i] >= 0x80 else { i = UTF8Bytes.firstNonASCII(u, from: i); continue }
                let runStart = i
                var full = false
                var spaces = false
                while i < n, u[i] >= 0x80 {
                    let (v, l) = UTF8Bytes.decode(u, at: i)
                    if v == 0xA0 {
                        spaces = true
                    } else if !TextNormalizer.isStableUnderNFKC(v) {
                        full = true
                        if TextNormalizer.isCJK(v) {
                            cjk = true
                        } else if TextNormalizer.isWidthForm(v) {
                            widthForms += 1
                        } else if TextNormalizer.isLookAlikeLetter(v) {
                            lookAlikes += 1
                        }
                    } else if !cjk, v >= 0x3000, TextNormalizer.isCJK(v) {
                        cjk = true
                    }
                    i += l
                }
                guard full || spaces else { continue }
                let segmentStart = runStart > 0 ? runStart - 1 : runStart
                if out.isEmpty { out.reserveCapacity(n + 16) }
                out.append(contentsOf: u[copied..<segmentStart])
                copied = i
                if full {
                    let segment = String(decoding: u[segmentStart..<i], as: UTF8.self)
                    out.append(contentsOf: segment.precomposedStringWithCompatibilityMapping.utf8)
                } else {
                    var k = segmentStart
                    while k < i {
                        if u[k] == 0xC2, k + 1 < i, u[k + 1] == 0xA0 {
                            out.append(ASCII.space)
                            k += 2
                        } else {
                            out.append(u[k])
                            k += 1
                        }
                    }
                }
            }
            if copied > 0 { out.append(contentsOf: u[copied..<n]) }
        }
        if copied > 0 { bytes = out }
        if lookAlikes > 0 || (widthForms > 0 && !cjk) { signals.compatibilityChanged = true }
    }

    /// Han, kana and Hangul (with the CJK punctuation block): text in which fullwidth forms are typography.
    static func isCJK(_ v: UInt32) -> Bool {
        (0x3000...0x30FF).contains(v) || (0x3400...0x4DBF).contains(v) || (0x4E00...0x9FFF).contains(v)
            || (0xAC00...0xD7A3).contains(v) || (0x1100...0x11FF).contains(v) || (0x3130...0x318F).contains(v)
    }

    /// Fullwidth Latin letters and digits, and halfwidth katakana and Hangul.
    static func isWidthForm(_ v: UInt32) -> Bool {
        (0xFF10...0xFF19).contains(v) || (0xFF21...0xFF3A).contains(v) || (0xFF41...0xFF5A).contains(v) || (0xFF66...0xFFDC).contains(v)
    }

    /// A letter or digit that NFKC rewrites: mathematical alphanumerics (`𝐕`), circled and parenthesised
    /// letters (`Ⓥ`), ligatures (`ﬁ`), superscript letters. Symbols and punctuation (`…`, `™`, `！`) are not.
    /// Hebrew and Arabic presentation forms are shaping, not disguise.
    static func isLookAlikeLetter(_ v: UInt32) -> Bool {
        guard !(0xFB1D...0xFDFF).contains(v), !(0xFE70...0xFEFF).contains(v), let s = Unicode.Scalar(v) else { return false }
        return s.properties.isAlphabetic || s.properties.generalCategory == .decimalNumber
    }

    /// Format-character removal, then per word: confusables and diacritics, and full case folding. Words
    /// of ASCII letters and digits (most words even in non-ASCII text) are only lower-cased; a word with a
    /// non-ASCII letter is decoded to scalars and mapped as a whole.
    func unicodeSteps(_ bytes: inout [UInt8], _ signals: inout ObfuscationSignals) {
        if options.contains(.removeFormatCharacters) { removeFormatCharacters(&bytes, &signals) }
        let mapping = options.contains(.mapConfusables) || options.contains(.foldDiacritics)
        let fold = options.contains(.caseFold)
        var out: [UInt8] = []
        out.reserveCapacity(bytes.count + 16)
        bytes.withUnsafeBufferPointer { u in
            let n = u.count
            var mostlyLatin: Bool? = nil
            var word: [UInt32] = []
            var i = 0
            while i < n {
                let b = u[i]
                // ASCII up to the word that holds the next non-ASCII byte maps as it is, lower-cased: in bulk.
                if b < 0x80 {
                    let q = UTF8Bytes.firstNonASCII(u, from: i)
                    var plainEnd = q
                    if q < n { while plainEnd > i, ASCII.isAlpha(u[plainEnd - 1]) || ASCII.isDigit(u[plainEnd - 1]) { plainEnd -= 1 } }
                    if plainEnd > i {
                        let start = out.count
                        out.append(contentsOf: u[i..<plainEnd])
                        if fold {
                            out.withUnsafeMutableBufferPointer { o in
                                var tail = UnsafeMutableBufferPointer(rebasing: o[start...])
                                ASCII.lowercaseInPlace(&tail)
                            }
                        }
                        i = plainEnd
                        continue
                    }
                }
                if b < 0x80 && !(ASCII.isAlpha(b) || ASCII.isDigit(b)) {
                    out.append(b)
                    i += 1
                    continue
                }
                var e = i
                var asciiOnly = true
                while e < n {
                    let c = u[e]
                    if c < 0x80 {
                        guard ASCII.isAlpha(c) || ASCII.isDigit(c) else { break }
                        e += 1
                    } else {
                        let (v, l) = UTF8Bytes.decode(u, at: e)
                        guard TextNormalizer.isWordScalar(v) else { break }
                        asciiOnly = false
                        e += l
                    }
                }
                if e == i {
                    // A non-ASCII scalar that is not a letter: only case folding applies.
                    let (v, l) = UTF8Bytes.decode(u, at: i)
                    if fold { TextNormalizer.appendLowercased(v, to: &out) } else { out.append(contentsOf: u[i..<(i + l)]) }
                    i += l
                    continue
                }
                if asciiOnly {
                    if fold { for k in i..<e { out.append(ASCII.lower(u[k])) } } else { out.append(contentsOf: u[i..<e]) }
                    i = e
                    continue
                }
                word.removeAll(keepingCapacity: true)
                var k = i
                while k < e {
                    let (v, l) = UTF8Bytes.decode(u, at: k)
                    word.append(v)
                    k += l
                }
                if mapping {
                    mapWord(&word, &signals) {
                        if let known = mostlyLatin { return known }
                        let computed = TextNormalizer.isMostlyLatin(u)
                        mostlyLatin = computed
                        return computed
                    }
                }
                for v in word {
                    if fold { TextNormalizer.appendLowercased(v, to: &out) } else { appendUTF8(&out, v) }
                }
                i = e
            }
        }
        bytes = out
    }

    /// Removes zero-width and other format characters (before words are found, so `vi\u{200B}agra` is one).
    func removeFormatCharacters(_ bytes: inout [UInt8], _ signals: inout ObfuscationSignals) {
        var out: [UInt8] = []
        var copied = 0
        var removed = 0
        bytes.withUnsafeBufferPointer { u in
            var i = 0
            while i < u.count {
                guard u[i] >= 0xC2 else { i = u[i] < 0x80 ? UTF8Bytes.firstNonASCII(u, from: i) : i + 1; continue }
                let (v, l) = UTF8Bytes.decode(u, at: i)
                if v >= 0xAD, let s = Unicode.Scalar(v), TextNormalizer.isFormatCharacter(s) {
                    if out.isEmpty { out.reserveCapacity(u.count) }
                    out.append(contentsOf: u[copied..<i])
                    copied = i + l
                    removed += 1
                }
                i += l
            }
            if removed > 0 { out.append(contentsOf: u[copied...]) }
        }
        if removed > 0 {
            bytes = out
            signals.formatCharacters += removed
        }
    }

    /// Whether Latin letters outnumber Cyrillic and Greek ones more than two to one in the whole text.
    static func isMostlyLatin(_ u: UnsafeBufferPointer<UInt8>) -> Bool {
        var latin = 0
        var other = 0
        var i = 0
        while i < u.count {
            let (v, l) = UTF8Bytes.decode(u, at: i)
            switch Confusables.script(v) {
            case .latin: latin += 1
            case .cyrillic, .greek: other += 1
            case .other: break
            }
            i += l
        }
        return latin > other * 2
    }

    /// One word's confusables to Latin where scripts mix (or where a wholly lookalike word sits in mostly
    /// Latin text), and diacritics off Latin letters.
    func mapWord(_ s: inout [UInt32], _ signals: inout ObfuscationSignals, mostlyLatin: () -> Bool) {
        var latin = 0
        var other = 0
        var allConfusable = true
        for v in s {
            switch Confusables.script(v) {
            case .latin: latin += 1
            case .cyrillic, .greek:
                other += 1
                if Confusables.toLatin[v] == nil { allConfusable = false }
            case .other: break
            }
        }
        let mixed = latin > 0 && other > 0
        if options.contains(.mapConfusables), other > 0, mixed || (allConfusable && mostlyLatin()) {
            if mixed { signals.mixedScriptWords += 1 }
            for k in s.indices {
                if let l = Confusables.toLatin[s[k]] {
                    s[k] = UInt32(l)
                    signals.confusablesMapped += 1
                }
            }
        }
        if options.contains(.foldDiacritics) {
            for k in s.indices where s[k] >= 0xC0 && s[k] < 0x250 {
                let base = TextNormalizer.diacriticBase[Int(s[k] - 0xC0)]
                if base != 0 {
                    s[k] = UInt32(base)
                    signals.diacriticsFolded += 1
                }
            }
        }
    }

    @inline(__always)
    static func appendLowercased(_ v: UInt32, to out: inout [UInt8]) {
        if v < 0x80 {
            out.append(ASCII.lower(UInt8(v)))
        } else if let scalar = Unicode.Scalar(v), scalar.properties.changesWhenLowercased {
            for l in scalar.properties.lowercaseMapping.unicodeScalars { appendUTF8(&out, l.value) }
        } else {
            appendUTF8(&out, v)
        }
    }

    /// Whether NFKC leaves `v` alone in any context: it has no compatibility or canonical decomposition and
    /// never composes with what precedes it. Measured once with Foundation for U+0080..U+2FFF; CJK
    /// ideographs and Hangul syllables are stable; anything else is treated as possibly changing.
    static func isStableUnderNFKC(_ v: UInt32) -> Bool {
        if v < 0x3000 { return stableBelow3000[Int(v >> 6)] & (1 << (v & 63)) != 0 }
        return (0x4E00...0x9FFF).contains(v) || (0xAC00...0xD7A3).contains(v)
    }

    private static let stableBelow3000: [UInt64] = {
        var bits = [UInt64](repeating: 0, count: 0x3000 / 64)
        for v in UInt32(0)..<0x3000 {
            guard let s = Unicode.Scalar(v) else { continue }
            // Scripts whose vowel signs and jamo compose with a preceding starter.
            if (0x0900...0x0DFF).contains(v) || (0x1000...0x11FF).contains(v) || (0x1B00...0x1B7F).contains(v) { continue }
            guard s.properties.canonicalCombiningClass == .notReordered else { continue }
            let text = String(s)
            guard text.precomposedStringWithCompatibilityMapping == text,
                  text.decomposedStringWithCanonicalMapping.unicodeScalars.count == 1 else { continue }
            bits[Int(v >> 6)] |= 1 << (v & 63)
        }
        return bits
    }()

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

    @inline(__always)
    static func isWordScalar(_ v: UInt32) -> Bool {
        if v < 0x80 { return ASCII.isAlpha(UInt8(v)) || ASCII.isDigit(UInt8(v)) }
        return Unicode.Scalar(v)?.properties.isAlphabetic ?? false
    }
}
