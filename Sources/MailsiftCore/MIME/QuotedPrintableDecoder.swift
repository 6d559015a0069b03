/// A lenient quoted-printable decoder (RFC 2045 section 6.7).
///
/// `=XX` (either case) decodes to a byte; `=` at the end of a line is a soft line break; trailing blanks
/// before a line break are dropped; an `=` not followed by hex digits is kept literally and reported.
/// With `headerMode` (RFC 2047 "Q" encoding) `_` decodes to a space.
public enum QuotedPrintableDecoder {
    @discardableResult
    public static func decode(
        _ input: UnsafeBufferPointer<UInt8>, into output: inout [UInt8], headerMode: Bool = false, limit: Int = .max
    ) -> Bool {
        // Decoded text is never longer than its input: write through a pointer into a buffer of that size.
        let capacity = min(input.count, limit)
        guard capacity > 0 else { return true }
        var clean = true
        let decoded = [UInt8](unsafeUninitializedCapacity: capacity) { out, count in
            let n = input.count
            var w = 0
            var i = 0
            // Output before `kept` is never trimmed: decoded escapes, blanks before an `=`, line breaks.
            var kept = 0
            while i < n, w < capacity {
                // Plain bytes up to the next `=`, line break (or `_` in a header) are copied in bulk.
                let next = QuotedPrintableDecoder.nextSpecial(input, from: i, headerMode: headerMode)
                if next > i {
                    let run = min(next - i, capacity - w)
                    (out.baseAddress! + w).initialize(from: input.baseAddress! + i, count: run)
                    w += run
                    i += run
                    continue
                }
                let b = input[i]
                if b == ASCII.equals {
                    kept = w
                    if i + 2 < n, let hi = ASCII.hexValue(input[i + 1]), let lo = ASCII.hexValue(input[i + 2]) {
                        out[w] = hi << 4 | lo
                        w += 1
                        kept = w
                        i += 3
                        continue
                    }
                    // Soft line break: '=' then optional blanks then CRLF / LF / end of input.
                    var j = i + 1
                    while j < n, ASCII.isBlank(input[j]) { j += 1 }
                    if j == n { i = n; continue }
                    if input[j] == ASCII.lf { i = j + 1; continue }
                    if input[j] == ASCII.cr {
                        i = (j + 1 < n && input[j + 1] == ASCII.lf) ? j + 2 : j + 1
                        continue
                    }
                    clean = false
                    out[w] = b
                    w += 1
                    kept = w
                    i += 1
                } else if b == UInt8(ascii: "_") {
                    // Only special in a header ("Q" encoding).
                    out[w] = ASCII.space
                    w += 1
                    i += 1
                } else {
                    // A line break: blanks that end a line are dropped (RFC 2045 rule 3).
                    while !headerMode, w > kept, ASCII.isBlank(out[w - 1]) { w -= 1 }
                    out[w] = b
                    w += 1
                    kept = w
                    i += 1
                }
            }
            if i >= n && !headerMode {
                while w > kept, ASCII.isBlank(out[w - 1]) { w -= 1 }
            }
            count = w
        }
        if output.isEmpty { output = decoded } else { output.append(contentsOf: decoded) }
        return clean
    }

    /// The first `=`, CR or LF (and `_` in header mode) at or after `from`, or the count; eight bytes at a
    /// time (the lowest flagged byte of each test is always a true match).
    @inline(__always)
    static func nextSpecial(_ u: UnsafeBufferPointer<UInt8>, from: Int, headerMode: Bool) -> Int {
        guard let base = u.baseAddress else { return u.count }
        let n = u.count
        let raw = UnsafeRawPointer(base)
        let ones: UInt64 = 0x0101_0101_0101_0101
        let highs: UInt64 = 0x8080_8080_8080_8080
        @inline(__always) func zeros(_ v: UInt64) -> UInt64 { (v &- ones) & ~v & highs }
        var i = from
        while i + 8 <= n {
            let v = raw.loadUnaligned(fromByteOffset: i, as: UInt64.self).littleEndian
            var hits = zeros(v ^ (ones &* 0x3D)) | zeros(v ^ (ones &* 0x0A)) | zeros(v ^ (ones &* 0x0D))
            if headerMode { hits |= zeros(v ^ (ones &* 0x5F)) }
            if hits != 0 { return i + hits.trailingZeroBitCount >> 3 }
            i += 8
        }
        while i < n {
            let b = u[i]
            if b == ASCII.equals || b == ASCII.lf || b == ASCII.cr || (headerMode && b == UInt8(ascii: "_")) { return i }
            i += 1
        }
        return n
    }
}
