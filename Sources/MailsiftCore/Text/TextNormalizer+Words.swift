/// The word-level steps, over UTF-8 bytes: re-joining split words and folding leetspeak. Both look at ASCII
/// separators, digits and symbols; a non-ASCII scalar is decoded only to ask whether it is a letter.
extension TextNormalizer {
    /// `s.p.a.m`, `v i a g r a`, `f-r-e-e`: runs of single characters with one repeated separator, mostly
    /// letters (so `1.5.0` stays), at least 3 long (4 with spaces, so `a b c` stays).
    func joinSplitWords(_ bytes: inout [UInt8], _ signals: inout ObfuscationSignals) {
        var out: [UInt8] = []
        var copied = 0
        var joined = 0
        bytes.withUnsafeBufferPointer { u in
            let n = u.count
            var p = 1
            // Scan separators; a candidate is `single SEP single`, checked on the bytes around it.
            while p + 1 < n {
                p = TextNormalizer.nextJoinCandidate(u, from: p)
                guard p + 1 < n else { break }
                let sep = u[p]
                // A run of at least three singles has the same separator two bytes on (`s.p.`), unless the
                // middle one is non-ASCII: a cheap, rarely true test before the others.
                guard p + 2 < n, u[p + 2] == sep || u[p + 1] >= 0x80 else { p += 1; continue }
                guard TextNormalizer.isJoinSeparator(sep), TextNormalizer.mayBeSingle(u, before: p),
                      TextNormalizer.mayBeSingle(u, after: p) else { p += 1; continue }
                let first = UTF8Bytes.start(before: p, in: u)
                guard first >= copied, TextNormalizer.isSingle(u, first), TextNormalizer.isSingle(u, p + 1) else { p += 1; continue }
                var count = 1
                var letters = ASCII.isDigit(u[first]) ? 0 : 1
                var last = first
                var next = p + 1
                while true {
                    count += 1
                    if !ASCII.isDigit(u[next]) { letters += 1 }
                    last = next
                    let after = next + UTF8Bytes.length(lead: u[next])
                    guard after + 1 < n, u[after] == sep, TextNormalizer.isSingle(u, after + 1) else { break }
                    next = after + 1
                }
                let end = last + UTF8Bytes.length(lead: u[last])
                let needed = sep == ASCII.space ? 4 : 3
                guard count >= needed, letters * 2 > count else { p += 1; continue }
                if out.isEmpty { out.reserveCapacity(n) }
                out.append(contentsOf: u[copied..<first])
                var q = first
                while q < end {
                    let l = UTF8Bytes.length(lead: u[q])
                    out.append(contentsOf: u[q..<(q + l)])
                    q += l + 1 // skip the separator
                }
                copied = end
                joined += 1
                p = end
            }
            if joined > 0 { out.append(contentsOf: u[copied..<n]) }
        }
        if joined > 0 {
            bytes = out
            signals.splitWordsJoined += joined
        }
    }

    /// Leetspeak inside words of at least two letters whose digits are all leet digits; a digit or symbol
    /// folds when it sits between letters, or in a run of two or more at a word's end (`fr33`), never alone
    /// at an end (`mp3`, `win7` stay). Replacements are ASCII for ASCII, so this works in place.
    func foldLeetspeak(_ bytes: inout [UInt8], _ signals: inout ObfuscationSignals) {
        var words = 0
        bytes.withUnsafeMutableBufferPointer { m in
            let n = m.count
            // Inside a word every non-ASCII byte belongs to a letter (words hold only alphabetic scalars).
            func isLetter(_ k: Int) -> Bool { m[k] >= 0x80 || ASCII.isAlpha(m[k]) }
            var i = 0
            while i < n {
                // Words without a leet character cannot change: find the next one, then its word.
                i = TextNormalizer.nextLeetByte(m, from: i)
                guard i < n else { break }
                while i > 0 {
                    let before = UTF8Bytes.start(before: i, in: UnsafeBufferPointer(m))
                    guard before >= 0, TextNormalizer.leetWordLength(m, at: before) > 0 else { break }
                    i = before
                }
                var e = i
                var letters = 0
                var leet = 0
                var otherDigits = 0
                var hasAt = false
                var otherScript = false
                while e < n {
                    let l = TextNormalizer.leetWordLength(m, at: e)
                    guard l > 0 else { break }
                    let c = m[e]
                    if c >= 0x80 || ASCII.isAlpha(c) {
                        letters += 1
                        if c >= 0x80, !TextNormalizer.isLatinLetter(UTF8Bytes.decode(UnsafeBufferPointer(m), at: e).value) { otherScript = true }
                    } else if TextNormalizer.leet(c) != nil {
                        leet += 1
                        if c == UInt8(ascii: "@") { hasAt = true }
                    } else {
                        otherDigits += 1
                    }
                    e += l
                }
                defer { i = e }
                // Digits among CJK, Cyrillic or other letters are ordinary writing (`2007年1月`), not leetspeak.
                guard leet > 0, letters >= 2, otherDigits == 0, !otherScript else { continue }
                // Trailing punctuation-like symbols ('!', '|') are not part of the word.
                var wordEnd = e
                while wordEnd > i, m[wordEnd - 1] == UInt8(ascii: "!") || m[wordEnd - 1] == UInt8(ascii: "|") { wordEnd -= 1 }
                // An e-mail address: '@' followed by a domain; leave it.
                if hasAt, e < n, m[e] == UInt8(ascii: ".") { continue }
                // Whether some leet run sits between letters: then the word is leetspeak through and through.
                var interior = false
                var q = i
                while q < wordEnd {
                    guard TextNormalizer.leet(m[q]) != nil else { q += 1; continue }
                    var r = q
                    while r < wordEnd, TextNormalizer.leet(m[r]) != nil { r += 1 }
                    if q > i, r < wordEnd, isLetter(q - 1), isLetter(r) { interior = true }
                    q = r
                }
                var changed = false
                var k = i
                while k < wordEnd {
                    guard TextNormalizer.leet(m[k]) != nil else { k += 1; continue }
                    var r = k
                    var symbolOnly = true
                    var symbolRun = true
                    while r < wordEnd, TextNormalizer.leet(m[r]) != nil {
                        let c = m[r]
                        if c != UInt8(ascii: "!") && c != UInt8(ascii: "|") { symbolOnly = false }
                        if c != UInt8(ascii: "@") && c != UInt8(ascii: "$") { symbolRun = false }
                        r += 1
                    }
                    let before = k > i && isLetter(k - 1)
                    let after = r < wordEnd && isLetter(r)
                    if (before && after) || ((before || after) && (r - k >= 2 || interior || symbolRun) && !symbolOnly) {
                        for x in k..<r { m[x] = TextNormalizer.leet(m[x])! }
                        changed = true
                    }
                    k = r
                }
                if changed { words += 1 }
            }
        }
        signals.leetWords += words
    }

    /// `. - _ * space / ~ + | , :` as a bit set over ASCII.
    @inline(__always)
    static func isJoinSeparator(_ b: UInt8) -> Bool {
        b < 64 ? (0x0400_FC01_0000_0000 as UInt64) >> b & 1 != 0 : b < 128 && (0x5000_0000_8000_0000 as UInt64) >> (b - 64) & 1 != 0
    }

    /// Leet digits `0 1 3 4 5 7 8` and symbols `@ $ ! |` as a bit set over ASCII.
    @inline(__always)
    static func isLeetByte(_ b: UInt8) -> Bool {
        b < 64 ? (0x01BB_0012_0000_0000 as UInt64) >> b & 1 != 0 : b < 128 && (0x1000_0000_0000_0001 as UInt64) >> (b - 64) & 1 != 0
    }

    /// Index of the next leet byte at or after `from` (or the count). Eight bytes at a time: a word with
    /// no ASCII digit, `!`, `$`, `@` or `|` is skipped without looking at its bytes one by one.
    /// The first position at or after `from` that passes the cheap test of ``joinSplitWords``: the same
    /// byte two on (`s.p.`), or a non-ASCII byte next (a single letter of another script). Eight positions
    /// at a time; returns a position at which the caller's own test holds, or one near the end it tests itself.
    @inline(__always)
    static func nextJoinCandidate(_ u: UnsafeBufferPointer<UInt8>, from: Int) -> Int {
        let n = u.count
        guard let base = u.baseAddress else { return n }
        let raw = UnsafeRawPointer(base)
        let lows: UInt64 = 0x7F7F_7F7F_7F7F_7F7F
        let highs: UInt64 = 0x8080_8080_8080_8080
        var p = from
        while p + 10 <= n {
            let x = raw.loadUnaligned(fromByteOffset: p, as: UInt64.self)
                ^ raw.loadUnaligned(fromByteOffset: p + 2, as: UInt64.self)
            // Exact per byte: the high bit marks a zero byte of x (no borrow crosses bytes).
            let same = ~(((x & lows) &+ lows) | x) & highs
            let nonASCII = raw.loadUnaligned(fromByteOffset: p + 1, as: UInt64.self) & highs
            let candidates = (same | nonASCII).littleEndian
            if candidates != 0 { return p + candidates.trailingZeroBitCount / 8 }
            p += 8
        }
        return p
    }

    static func nextLeetByte(_ m: UnsafeMutableBufferPointer<UInt8>, from: Int) -> Int {
        let n = m.count
        guard let base = m.baseAddress else { return n }
        let raw = UnsafeRawPointer(base)
        let ones: UInt64 = 0x0101_0101_0101_0101
        let highs: UInt64 = 0x8080_8080_8080_8080
        @inline(__always) func hasZeroByte(_ v: UInt64) -> Bool { (v &- ones) & ~v & highs != 0 }
        var i = from
        while true {
            while i + 8 <= n {
                let w = raw.loadUnaligned(fromByteOffset: i, as: UInt64.self)
                let low = w & ~highs // high bits cleared so the additions below cannot carry across bytes
                let digit = (low &+ ones &* (0x80 - 0x30)) & ~(low &+ ones &* (0x80 - 0x3A)) & ~w & highs
                if digit != 0 || hasZeroByte(w ^ (ones &* 0x40)) || hasZeroByte(w ^ (ones &* 0x24))
                    || hasZeroByte(w ^ (ones &* 0x21)) || hasZeroByte(w ^ (ones &* 0x7C)) { break }
                i += 8
            }
            // The block that may hold one (a `2`, `6` or `9` passes the test above too), or the tail.
            let end = min(i + 8, n)
            while i < end {
                if isLeetByte(m[i]) { return i }
                i += 1
            }
            if i >= n { return n }
        }
    }

    /// Byte-level pre-checks for ``isSingle(_:_:)`` on the scalar ending at `p` (or starting at `p + 1`):
    /// false when an ASCII neighbour already rules it out.
    @inline(__always)
    static func mayBeSingle(_ u: UnsafeBufferPointer<UInt8>, before p: Int) -> Bool {
        let a = u[p - 1]
        guard a < 0x80 else { return true }
        guard ASCII.isAlpha(a) || ASCII.isDigit(a) else { return false }
        return p < 2 || u[p - 2] >= 0x80 || !(ASCII.isAlpha(u[p - 2]) || ASCII.isDigit(u[p - 2]))
    }

    @inline(__always)
    static func mayBeSingle(_ u: UnsafeBufferPointer<UInt8>, after p: Int) -> Bool {
        let a = u[p + 1]
        guard a < 0x80 else { return true }
        guard ASCII.isAlpha(a) || ASCII.isDigit(a) else { return false }
        return p + 2 >= u.count || u[p + 2] >= 0x80 || !(ASCII.isAlpha(u[p + 2]) || ASCII.isDigit(u[p + 2]))
    }

    /// Whether the scalar at `i` is a word scalar with no word scalar on either side.
    @inline(__always)
    static func isSingle(_ u: UnsafeBufferPointer<UInt8>, _ i: Int) -> Bool {
        let l = wordLength(u, at: i)
        guard l > 0 else { return false }
        if i > 0, wordLength(u, at: UTF8Bytes.start(before: i, in: u)) > 0 { return false }
        return i + l >= u.count || wordLength(u, at: i + l) == 0
    }

    /// Length of the scalar at `i` when it is a letter or digit (any script), else 0.
    @inline(__always)
    static func wordLength(_ u: UnsafeBufferPointer<UInt8>, at i: Int) -> Int {
        let b = u[i]
        if b < 0x80 { return ASCII.isAlpha(b) || ASCII.isDigit(b) ? 1 : 0 }
        let (v, l) = UTF8Bytes.decode(u, at: i)
        return isWordScalar(v) ? l : 0
    }

    /// Like ``wordLength(_:at:)`` but also taking the leet symbols `@ $ ! |`.
    @inline(__always)
    static func leetWordLength(_ m: UnsafeMutableBufferPointer<UInt8>, at i: Int) -> Int {
        let b = m[i]
        if b < 0x80 {
            return ASCII.isAlpha(b) || ASCII.isDigit(b) || b == 0x40 || b == 0x24 || b == 0x21 || b == 0x7C ? 1 : 0
        }
        return wordLength(UnsafeBufferPointer(m), at: i)
    }

    /// Latin-1 Supplement and Latin Extended-A/B letters, and Latin Extended Additional (`é`, `ł`, `ạ`).
    @inline(__always)
    static func isLatinLetter(_ v: UInt32) -> Bool {
        (0xC0...0x24F).contains(v) || (0x1E00...0x1EFF).contains(v)
    }

    @inline(__always)
    static func leet(_ b: UInt8) -> UInt8? {
        switch b {
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
}
