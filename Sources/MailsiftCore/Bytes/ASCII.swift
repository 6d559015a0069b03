/// Byte constants and small classifiers used by every parser in the core.
@usableFromInline
enum ASCII {
    static let tab: UInt8 = 0x09
    static let lf: UInt8 = 0x0A
    static let cr: UInt8 = 0x0D
    static let space: UInt8 = 0x20
    static let quote: UInt8 = 0x22
    static let hyphen: UInt8 = 0x2D
    static let colon: UInt8 = 0x3A
    static let semicolon: UInt8 = 0x3B
    static let equals: UInt8 = 0x3D
    static let question: UInt8 = 0x3F
    static let backslash: UInt8 = 0x5C

    @inline(__always)
    static func isWhitespace(_ b: UInt8) -> Bool { b == space || b == tab || b == cr || b == lf }

    @inline(__always)
    static func isBlank(_ b: UInt8) -> Bool { b == space || b == tab }

    @inline(__always)
    static func lower(_ b: UInt8) -> UInt8 { (b >= 0x41 && b <= 0x5A) ? b | 0x20 : b }

    @inline(__always)
    static func isAlpha(_ b: UInt8) -> Bool { let l = b | 0x20; return l >= 0x61 && l <= 0x7A }

    @inline(__always)
    static func isDigit(_ b: UInt8) -> Bool { b >= 0x30 && b <= 0x39 }

    /// A word byte for tokenising: an ASCII letter or digit, or any non-ASCII byte (letters of other
    /// scripts; normalised text has no non-ASCII punctuation worth splitting on).
    @inline(__always)
    static func isWordByte(_ b: UInt8) -> Bool { b >= 0x80 || isDigit(b) || isAlpha(b) }

    /// ``isWordByte(_:)`` for the eight bytes of `w` at once: the high bit of each byte of the result is
    /// set where that byte of `w` is a word byte, every other bit is clear.
    @inline(__always)
    static func wordByteMask(_ w: UInt64) -> UInt64 {
        let ones: UInt64 = 0x0101_0101_0101_0101
        let highs: UInt64 = 0x8080_8080_8080_8080
        // With the high bits cleared, adding 0x80 - lo sets a byte's high bit exactly when it is >= lo,
        // and no addition carries into the next byte.
        let low = w & ~highs
        let digit = (low &+ ones &* (0x80 - 0x30)) & ~(low &+ ones &* (0x80 - 0x3A))
        let folded = low | (ones &* 0x20)
        let alpha = (folded &+ ones &* (0x80 - 0x61)) & ~(folded &+ ones &* (0x80 - 0x7B))
        return (digit | alpha | w) & highs
    }

    /// Lower-cases the ASCII capitals of `u` in place, eight bytes at a time; other bytes are left alone.
    static func lowercaseInPlace(_ u: inout UnsafeMutableBufferPointer<UInt8>) {
        let n = u.count
        guard let base = u.baseAddress else { return }
        let raw = UnsafeMutableRawPointer(base)
        let ones: UInt64 = 0x0101_0101_0101_0101
        let highs: UInt64 = 0x8080_8080_8080_8080
        var i = 0
        while i + 8 <= n {
            let w = raw.loadUnaligned(fromByteOffset: i, as: UInt64.self)
            let low = w & ~highs
            // High bit set where the byte is in 0x41...0x5A (and was ASCII); shifted down it is 0x20.
            let upper = (low &+ ones &* (0x80 - 0x41)) & ~(low &+ ones &* (0x80 - 0x5B)) & ~w & highs
            if upper != 0 { raw.storeBytes(of: w | upper >> 2, toByteOffset: i, as: UInt64.self) }
            i += 8
        }
        while i < n {
            u[i] = lower(u[i])
            i += 1
        }
    }

    /// The first index at or after `from` whose byte is a word byte (`wordBytes`) or is not one; the
    /// buffer's count if none. Eight bytes at a time.
    @inline(__always)
    static func firstIndex(_ u: UnsafeRawBufferPointer, from: Int, wordBytes: Bool) -> Int {
        let n = u.count
        var i = from
        while i + 8 <= n {
            let m = wordByteMask(u.loadUnaligned(fromByteOffset: i, as: UInt64.self).littleEndian)
            let hits = wordBytes ? m : ~m & 0x8080_8080_8080_8080
            if hits != 0 { return i + hits.trailingZeroBitCount >> 3 }
            i += 8
        }
        while i < n, isWordByte(u[i]) != wordBytes { i += 1 }
        return i
    }

    @inline(__always)
    static func hexValue(_ b: UInt8) -> UInt8? {
        switch b {
        case 0x30...0x39: return b - 0x30
        case 0x41...0x46: return b - 0x41 + 10
        case 0x61...0x66: return b - 0x61 + 10
        default: return nil
        }
    }
}

extension ASCII {
    /// `u` as a string, ASCII letters lower-cased; other bytes (UTF-8 sequences included) are kept.
    static func lowercasedString(_ u: UnsafeBufferPointer<UInt8>) -> String {
        guard u.contains(where: { $0 >= 0x41 && $0 <= 0x5A }) else { return String(decoding: u, as: UTF8.self) }
        return String(unsafeUninitializedCapacity: u.count) { out in
            for i in 0..<u.count { out[i] = lower(u[i]) }
            return u.count
        }
    }

    /// `lowercased()` of UTF-8 bytes: by byte when they are ASCII, through Unicode case mapping otherwise.
    static func lowercased(_ u: UnsafeBufferPointer<UInt8>) -> String {
        UTF8Bytes.isASCII(u) ? lowercasedString(u) : String(decoding: u, as: UTF8.self).lowercased()
    }

    /// Up to four ASCII letters packed into one integer, lower-cased: a dictionary key for short words
    /// (month and zone names, second-level labels) that needs no string.
    static func packedKey(_ word: some Sequence<UInt8>) -> UInt32 {
        word.reduce(UInt32(0)) { $0 << 8 | UInt32(lower($1)) }
    }

    /// A decimal integer with an optional sign, read as `Int(String)` reads it: nil on any other byte or on overflow.
    static func integer(_ t: UnsafeBufferPointer<UInt8>) -> Int? {
        var i = 0
        var negative = false
        if let first = t.first, first == UInt8(ascii: "+") || first == hyphen {
            negative = first == hyphen
            i = 1
        }
        guard i < t.count else { return nil }
        var n = 0
        while i < t.count {
            guard isDigit(t[i]) else { return nil }
            let (times, o1) = n.multipliedReportingOverflow(by: 10)
            let (sum, o2) = times.addingReportingOverflow(Int(t[i] - 0x30))
            guard !o1, !o2 else { return nil }
            n = sum
            i += 1
        }
        return negative ? -n : n
    }
}

extension UnsafeBufferPointer where Element == UInt8 {
    /// Index of the next `byte` at or after `from`, or `end` when there is none (memchr).
    @inline(__always)
    func firstIndex(of byte: UInt8, from: Int, end: Int) -> Int {
        guard from < end, let base = baseAddress else { return end }
        guard let hit = memchr(base + from, Int32(byte), end - from) else { return end }
        return base.distance(to: hit.assumingMemoryBound(to: UInt8.self))
    }

    /// `r` without the blanks and line breaks at its ends.
    func trimmingWhitespace(_ r: Range<Int>) -> Range<Int> {
        var lo = r.lowerBound, hi = r.upperBound
        while lo < hi, ASCII.isWhitespace(self[lo]) { lo += 1 }
        while hi > lo, ASCII.isWhitespace(self[hi - 1]) { hi -= 1 }
        return lo..<hi
    }

    /// Whether the bytes at `at` equal `ascii`, ignoring ASCII case (`ascii` must be lower case).
    @inline(__always)
    func hasPrefixIgnoringCase(_ ascii: StaticString, at: Int, end: Int) -> Bool {
        let n = ascii.utf8CodeUnitCount
        guard at + n <= end else { return false }
        let p = ascii.utf8Start
        for i in 0..<n where ASCII.lower(self[at + i]) != p[i] { return false }
        return true
    }
}

#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

extension StringProtocol {
    /// `lowercased()`, by byte when the text is ASCII (header names, media types, charset labels): the
    /// same result without Unicode case tables.
    func fastLowercased() -> String {
        var s = String(self)
        return s.withUTF8 { ASCII.lowercased($0) }
    }
}
