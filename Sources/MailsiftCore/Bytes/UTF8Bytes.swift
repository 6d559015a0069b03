#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

/// UTF-8 over raw bytes, for code that works on a `String`'s bytes (always valid UTF-8) rather than on
/// `Unicode.Scalar` arrays: decoding one scalar, stepping back, appending, and a fast all-ASCII check.
enum UTF8Bytes {
    /// Whether `needle`'s bytes occur in `haystack` (memchr for the first byte, then memcmp).
    static func contains(_ haystack: UnsafeRawBufferPointer, _ needle: String) -> Bool {
        guard let base = haystack.baseAddress, !needle.isEmpty, haystack.count >= needle.utf8.count else { return false }
        var n = needle
        return n.withUTF8 { p in
            let first = Int32(p[0])
            let last = haystack.count - p.count
            var i = 0
            while i <= last {
                guard let hit = memchr(base + i, first, last - i + 1) else { return false }
                i = UnsafeRawPointer(hit) - base
                if memcmp(base + i, p.baseAddress!, p.count) == 0 { return true }
                i += 1
            }
            return false
        }
    }

    /// Length of the scalar whose lead byte is `b`.
    @inline(__always)
    static func length(lead b: UInt8) -> Int { b < 0x80 ? 1 : b < 0xE0 ? 2 : b < 0xF0 ? 3 : 4 }

    @inline(__always)
    static func isContinuation(_ b: UInt8) -> Bool { b & 0xC0 == 0x80 }

    /// The scalar starting at `i` (valid UTF-8 assumed) and its length in bytes.
    @inline(__always)
    static func decode(_ u: UnsafeBufferPointer<UInt8>, at i: Int) -> (value: UInt32, length: Int) {
        let b = u[i]
        if b < 0x80 { return (UInt32(b), 1) }
        let n = length(lead: b)
        guard i + n <= u.count else { return (0xFFFD, 1) }
        var v = UInt32(b) & (n == 2 ? 0x1F : n == 3 ? 0x0F : 0x07)
        for k in 1..<n { v = (v << 6) | (UInt32(u[i + k]) & 0x3F) }
        return (v, n)
    }

    /// Start of the scalar that ends just before `i` (`i` > 0).
    @inline(__always)
    static func start(before i: Int, in u: UnsafeBufferPointer<UInt8>) -> Int {
        var k = i - 1
        while k > 0, isContinuation(u[k]), i - k < 4 { k -= 1 }
        return k
    }

    /// The index of the first byte >= 0x80 at or after `from`, or the count; eight bytes at a time.
    @inline(__always)
    static func firstNonASCII(_ u: UnsafeBufferPointer<UInt8>, from: Int) -> Int {
        guard let base = u.baseAddress else { return u.count }
        let n = u.count
        let raw = UnsafeRawPointer(base)
        var i = from
        while i + 8 <= n {
            let high = raw.loadUnaligned(fromByteOffset: i, as: UInt64.self).littleEndian & 0x8080_8080_8080_8080
            if high != 0 { return i + high.trailingZeroBitCount >> 3 }
            i += 8
        }
        while i < n, u[i] < 0x80 { i += 1 }
        return i
    }

    /// Whether every byte is below 0x80 (eight at a time).
    static func isASCII(_ u: UnsafeBufferPointer<UInt8>) -> Bool { firstNonASCII(u, from: 0) == u.count }
}

@inline(__always)
func appendUTF8(_ out: inout [UInt8], _ v: UInt32) {
    switch v {
    case 0..<0x80: out.append(UInt8(v))
    case 0x80..<0x800:
        out.append(UInt8(0xC0 | (v >> 6)))
        out.append(UInt8(0x80 | (v & 0x3F)))
    case 0x800..<0x10000:
        out.append(UInt8(0xE0 | (v >> 12)))
        out.append(UInt8(0x80 | ((v >> 6) & 0x3F)))
        out.append(UInt8(0x80 | (v & 0x3F)))
    default:
        out.append(UInt8(0xF0 | (v >> 18)))
        out.append(UInt8(0x80 | ((v >> 12) & 0x3F)))
        out.append(UInt8(0x80 | ((v >> 6) & 0x3F)))
        out.append(UInt8(0x80 | (v & 0x3F)))
    }
}

extension String {
    /// Whether `needle`'s UTF-8 bytes occur in this string's: no grapheme rules, so far cheaper than `contains`.
    func containsBytes(_ needle: String) -> Bool {
        var s = self
        return s.withUTF8 { UTF8Bytes.contains(UnsafeRawBufferPointer($0), needle) }
    }
}
