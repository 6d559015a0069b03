/// Maps text to a canonical form in which obfuscation cannot hide words, and counts what it undid.
///
/// The steps run in this order, each switchable (``NormalizationOptions``): strip HTML tricks, NFKC, remove
/// format characters, map confusables (per word, only where scripts mix or the text is mostly Latin), fold
/// diacritics, case-fold, re-join split words, fold leetspeak. The work is done on the text's UTF-8 bytes:
/// ASCII text (most mail) never leaves them, and the Unicode steps run only when a non-ASCII scalar remains.
/// The original text is not changed; callers keep it for display.
public struct TextNormalizer: Sendable {
    public var options: NormalizationOptions

    public init(options: NormalizationOptions = .all) {
        self.options = options
    }

    public func normalize(_ input: String) -> NormalizedText {
        var signals = ObfuscationSignals()
        var bytes = Array(input.utf8)
        if options.contains(.stripHTMLTricks), bytes.contains(UInt8(ascii: "<")) {
            stripHTMLTricks(&bytes, &signals)
        }
        var isASCII = bytes.withUnsafeBufferPointer(UTF8Bytes.isASCII)
        if !isASCII && options.contains(.compatibilityFold) {
            compatibilityFold(&bytes, &signals)
            isASCII = bytes.withUnsafeBufferPointer(UTF8Bytes.isASCII)
        }
        if !isASCII {
            unicodeSteps(&bytes, &signals)
        } else if options.contains(.caseFold) {
            bytes.withUnsafeMutableBufferPointer(ASCII.lowercaseInPlace)
        }
        if options.contains(.joinSplitWords) { joinSplitWords(&bytes, &signals) }
        if options.contains(.foldLeetspeak) { foldLeetspeak(&bytes, &signals) }
        return NormalizedText(text: String(decoding: bytes, as: UTF8.self), signals: signals)
    }

    /// Removes `<!-- ... -->` and `<tag ...>` when a letter touches them on both sides (in place).
    func stripHTMLTricks(_ bytes: inout [UInt8], _ signals: inout ObfuscationSignals) {
        var tricks = 0
        let kept = bytes.withUnsafeMutableBufferPointer { m -> Int in
            // Writes never overtake reads (`w <= i`), so the compaction works in place.
            let n = m.count
            var w = 0
            var i = 0
            func tagEnd(_ from: Int) -> Int? {
                var j = from + 1
                while j < n, j - from < 200, m[j] != UInt8(ascii: ">"), m[j] != UInt8(ascii: "<"), m[j] != ASCII.lf { j += 1 }
                return j < n && m[j] == UInt8(ascii: ">") ? j + 1 : nil
            }
            func opensTag(_ k: Int) -> Bool { k + 1 < n && m[k] == UInt8(ascii: "<") && (ASCII.isAlpha(m[k + 1]) || m[k + 1] == UInt8(ascii: "/")) }
            while i < n {
                // Bytes up to the next `<` stay: skip to it (moving them down once something was removed).
                if m[i] != UInt8(ascii: "<") {
                    let next = UnsafeBufferPointer(m).firstIndex(of: UInt8(ascii: "<"), from: i, end: n)
                    if w != i { (m.baseAddress! + w).update(from: m.baseAddress! + i, count: next - i) }
                    w += next - i
                    i = next
                    continue
                }
                if w > 0, ASCII.isWordByte(m[w - 1]) {
                    var end: Int? = nil
                    if i + 3 < n, m[i + 1] == UInt8(ascii: "!"), m[i + 2] == ASCII.hyphen, m[i + 3] == ASCII.hyphen {
                        var j = i + 4
                        while j + 2 < n, !(m[j] == ASCII.hyphen && m[j + 1] == ASCII.hyphen && m[j + 2] == UInt8(ascii: ">")) { j += 1 }
                        if j + 2 < n { end = j + 3 }
                    } else if opensTag(i) {
                        end = tagEnd(i)
                    }
                    // Several tags in a row (`ci<b></b>alis`) count as one trick.
                    while let e = end, opensTag(e), let next = tagEnd(e) { end = next }
                    if let e = end, e < n, ASCII.isWordByte(m[e]) {
                        tricks += 1
                        i = e
                        continue
                    }
                }
                m[w] = m[i]
                w += 1
                i += 1
            }
            return w
        }
        bytes.removeSubrange(kept...)
        signals.htmlTricks += tricks
    }
}
