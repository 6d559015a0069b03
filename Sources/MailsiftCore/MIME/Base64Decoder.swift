/// A lenient base64 decoder (RFC 2045 section 6.8): characters outside the alphabet are skipped, as the RFC
/// says, but reported; decoding stops at the first `=` padding; a trailing partial quantum is decoded as far
/// as it goes.
public enum Base64Decoder {
    /// Decodes `input`, appending to `output`; returns whether the input was clean base64.
    @discardableResult
    public static func decode(_ input: UnsafeBufferPointer<UInt8>, into output: inout [UInt8], limit: Int = .max) -> Bool {
        output.reserveCapacity(output.count + input.count / 4 * 3 + 3)
        var clean = true
        var acc: UInt32 = 0
        var bits = 0
        var sawPadding = false
        var written = 0
        for b in input {
            let v = table[Int(b)]
            if v < 64 {
                if sawPadding { clean = false; continue }
                acc = (acc << 6) | UInt32(v)
                bits += 6
                if bits >= 8 {
                    bits -= 8
                    if written < limit { output.append(UInt8(truncatingIfNeeded: acc >> UInt32(bits))); written += 1 }
                }
            } else if v == padding {
                sawPadding = true
            } else if v == whitespace {
                continue
            } else {
                clean = false
            }
        }
        if bits >= 6 { clean = false } // a lone sextet cannot make a byte
        return clean
    }

    /// Size of the decoded content without decoding it (counts alphabet characters up to any padding).
    public static func decodedSize(_ input: UnsafeBufferPointer<UInt8>) -> Int {
        var sextets = 0
        for b in input {
            let v = table[Int(b)]
            if v < 64 { sextets += 1 } else if v == padding { break }
        }
        return sextets * 6 / 8
    }

    private static let padding: UInt8 = 0xFE
    private static let whitespace: UInt8 = 0xFD
    private static let table: [UInt8] = {
        var t = [UInt8](repeating: 0xFF, count: 256)
        let alphabet = Array("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/".utf8)
        for (i, c) in alphabet.enumerated() { t[Int(c)] = UInt8(i) }
        // URL-safe variants appear in the wild; accept them too.
        t[Int(UInt8(ascii: "-"))] = 62
        t[Int(UInt8(ascii: "_"))] = 63
        t[Int(UInt8(ascii: "="))] = padding
        for w in [UInt8(ascii: " "), 0x09, 0x0A, 0x0D] { t[Int(w)] = whitespace }
        return t
    }()
}
