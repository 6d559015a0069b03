/// Decodes RFC 2047 encoded-words (`=?charset?B?...?=`, `=?charset?Q?...?=`) in header text.
///
/// Whitespace between adjacent encoded-words is dropped (RFC 2047 section 6.2), and adjacent words in the same
/// charset are joined before charset decoding, so a multi-byte character split across two words survives.
/// A language suffix (`=?utf-8*en?Q?...?=`, RFC 2231) is ignored. Malformed words are left as written and
/// reported.
public enum EncodedWordDecoder {
    public static func decode(_ text: String) -> (String, ParseFlags) {
        guard text.utf8.count >= 8, containsEncodedWordStart(text) else { return (text, []) }
        var flags: ParseFlags = []
        let bytes = Array(text.utf8)
        var out = ""
        out.reserveCapacity(bytes.count)
        var pendingBytes: [UInt8] = []
        var pendingCharset: String? = nil
        var literalStart = 0
        var i = 0
        var lastWordEnd = -1 // end of the previous encoded word, when only whitespace followed it so far

        func flushPending() {
            guard let charset = pendingCharset else { return }
            let result = pendingBytes.withUnsafeBufferPointer { CharsetDecoder.decode($0, label: charset) }
            if result.flags.contains(.unknownCharset) { flags.insert(.badEncodedWord) }
            out += result.text
            pendingBytes.removeAll(keepingCapacity: true)
            pendingCharset = nil
        }

        while i + 1 < bytes.count {
            guard bytes[i] == ASCII.equals, bytes[i + 1] == ASCII.question, let word = parseWord(bytes, at: i) else {
                i += 1
                continue
            }
            // Literal text between the previous point and this word.
            let between = bytes[literalStart..<i]
            let onlyWhitespace = between.allSatisfy(ASCII.isWhitespace)
            if !(lastWordEnd == literalStart && onlyWhitespace) {
                flushPending()
                out += String(decoding: between, as: UTF8.self)
            }
            var decoded: [UInt8] = []
            let clean = bytes.withUnsafeBufferPointer { buf -> Bool in
                let payload = UnsafeBufferPointer(rebasing: buf[word.payload])
                return word.isBase64
                    ? Base64Decoder.decode(payload, into: &decoded)
                    : QuotedPrintableDecoder.decode(payload, into: &decoded, headerMode: true)
            }
            if !clean { flags.insert(.badEncodedWord) }
            if pendingCharset != nil && pendingCharset != word.charset { flushPending() }
            pendingCharset = word.charset
            pendingBytes.append(contentsOf: decoded)
            i = word.end
            literalStart = i
            lastWordEnd = i
        }
        flushPending()
        if literalStart < bytes.count {
            out += String(decoding: bytes[literalStart...], as: UTF8.self)
        }
        return (out, flags)
    }

    /// Whether `=?` occurs (a byte scan: much cheaper than a substring search on String).
    static func containsEncodedWordStart(_ text: String) -> Bool {
        var copy = text
        return copy.withUTF8 { u in
            var i = 0
            while i < u.count {
                i = u.firstIndex(of: ASCII.equals, from: i, end: u.count)
                if i + 1 < u.count, u[i + 1] == ASCII.question { return true }
                i += 1
            }
            return false
        }
    }

    private struct Word {
        var charset: String
        var isBase64: Bool
        var payload: Range<Int>
        var end: Int
    }

    /// Parses `=?charset?X?payload?=` at `start`.
    private static func parseWord(_ b: [UInt8], at start: Int) -> Word? {
        var i = start + 2
        let charsetStart = i
        while i < b.count, b[i] != ASCII.question, !ASCII.isWhitespace(b[i]) { i += 1 }
        guard i < b.count, b[i] == ASCII.question, i > charsetStart, i + 2 < b.count, b[i + 2] == ASCII.question else {
            return nil
        }
        var charset = String(decoding: b[charsetStart..<i], as: UTF8.self)
        if let star = charset.firstIndex(of: "*") { charset = String(charset[..<star]) }
        let encoding = ASCII.lower(b[i + 1])
        guard encoding == UInt8(ascii: "b") || encoding == UInt8(ascii: "q") else { return nil }
        let payloadStart = i + 3
        var j = payloadStart
        while j + 1 < b.count {
            if b[j] == ASCII.question && b[j + 1] == ASCII.equals { break }
            if b[j] == ASCII.lf { return nil }
            j += 1
        }
        guard j + 1 < b.count else { return nil }
        return Word(charset: charset, isBase64: encoding == UInt8(ascii: "b"), payload: payloadStart..<j, end: j + 2)
    }
}
