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
            var w = 0
            var i = 0
            let n = input.count
            while i < n, w < capacity {
                let b = input[i]
                if b == ASCII.equals {
                    if i + 2 < n, let hi = ASCII.hexValue(input[i + 1]), let lo = ASCII.hexValue(input[i + 2]) {
                        out[w] = hi << 4 | lo
                        w += 1
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
                    i += 1
                } else if headerMode && b == UInt8(ascii: "_") {
                    out[w] = ASCII.space
                    w += 1
                    i += 1
                } else if ASCII.isBlank(b) && !headerMode {
                    // Drop blanks that end a line (RFC 2045 rule 3).
                    var j = i
                    while j < n, ASCII.isBlank(input[j]) { j += 1 }
                    if j == n || input[j] == ASCII.lf || input[j] == ASCII.cr {
                        i = j
                    } else {
                        while i < j, w < capacity {
                            out[w] = input[i]
                            w += 1
                            i += 1
                        }
                    }
                } else {
                    out[w] = b
                    w += 1
                    i += 1
                }
            }
            count = w
        }
        if output.isEmpty { output = decoded } else { output.append(contentsOf: decoded) }
        return clean
    }
}
