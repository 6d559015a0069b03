#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

/// Converts bytes in a declared charset to Unicode text, and says when the declaration was wrong.
///
/// ASCII, UTF-8 and Windows-1252 (with ISO-8859-1) are decoded natively, since they carry almost all mail;
/// every other charset goes through glibc's iconv. When the bytes do not fit the declared charset (or none
/// is declared), the decoder sniffs: valid UTF-8 is read as UTF-8, anything else as Windows-1252, which maps
/// every byte. NUL bytes are dropped. Decoding never fails.
public enum CharsetDecoder {
    public struct Result: Sendable {
        public var text: String
        /// The charset actually used.
        public var charset: String
        public var flags: ParseFlags
    }

    /// Decodes `bytes` declared as `label` (nil: undeclared, read as US-ASCII then sniffed).
    public static func decode(_ bytes: UnsafeBufferPointer<UInt8>, label: String?) -> Result {
        let declared = label.flatMap(Charset.init(label:))
        var flags: ParseFlags = []
        if memchr(bytes.baseAddress ?? UnsafePointer(bitPattern: 1)!, 0, bytes.count) != nil, bytes.count > 0 {
            flags.insert(.nulBytes)
            let cleaned = bytes.filter { $0 != 0 }
            var result = cleaned.withUnsafeBufferPointer { decode($0, charset: declared ?? .ascii, declaredLabel: label) }
            result.flags.formUnion(flags)
            return result
        }
        return decode(bytes, charset: declared ?? .ascii, declaredLabel: label)
    }

    private static func decode(_ bytes: UnsafeBufferPointer<UInt8>, charset: Charset, declaredLabel: String?) -> Result {
        if charset.asciiCompatible && UTF8Bytes.isASCII(bytes) {
            var flags: ParseFlags = []
            if case .iconv(let name, _) = charset, !IconvConverter.isSupported(name) { flags.insert(.unknownCharset) }
            return Result(text: String(decoding: bytes, as: UTF8.self), charset: flags.isEmpty ? charset.name : "us-ascii", flags: flags)
        }
        switch charset {
        case .utf8:
            if let text = String(validating: bytes, as: UTF8.self) {
                return Result(text: text, charset: "utf-8", flags: [])
            }
            return sniff(bytes, flags: .charsetMismatch)
        case .ascii:
            // Undeclared or US-ASCII with 8-bit bytes: a mislabel, unless nothing was declared at all.
            return sniff(bytes, flags: declaredLabel == nil ? [] : .charsetMismatch)
        case .windows1252:
            return Result(text: windows1252(bytes), charset: "windows-1252", flags: [])
        case .iconv(let name, _):
            switch IconvConverter.convert(bytes, from: name) {
            case .converted(let text, let errors):
                // A few bad bytes are tolerated (replaced); a text mostly wrong means a mislabel.
                if errors > 0 && errors * 20 > bytes.count {
                    return sniff(bytes, flags: .charsetMismatch)
                }
                return Result(text: text, charset: charset.name, flags: errors > 0 ? .charsetMismatch : [])
            case .unsupported:
                return sniff(bytes, flags: .unknownCharset)
            }
        }
    }

    /// UTF-8 when the bytes are valid UTF-8, else Windows-1252.
    static func sniff(_ bytes: UnsafeBufferPointer<UInt8>, flags: ParseFlags) -> Result {
        if let text = String(validating: bytes, as: UTF8.self) {
            return Result(text: text, charset: "utf-8", flags: flags)
        }
        return Result(text: windows1252(bytes), charset: "windows-1252", flags: flags)
    }

    /// Decodes header bytes outside encoded-words: UTF-8 when valid (RFC 6532), else Windows-1252.
    static func decodeHeaderBytes(_ bytes: UnsafeBufferPointer<UInt8>) -> (String, eightBit: Bool) {
        if UTF8Bytes.isASCII(bytes) { return (String(decoding: bytes, as: UTF8.self), false) }
        if let text = String(validating: bytes, as: UTF8.self) { return (text, false) }
        return (windows1252(bytes), true)
    }


    /// Windows-1252 to String; the five bytes it leaves undefined map to the C1 controls, as in WHATWG.
    static func windows1252(_ bytes: UnsafeBufferPointer<UInt8>) -> String {
        // Written straight into the string's storage: at most three UTF-8 bytes per input byte.
        String(unsafeUninitializedCapacity: max(bytes.count * 3, 1)) { out in
            var w = 0
            for b in bytes {
                if b < 0x80 {
                    out[w] = b
                    w += 1
                    continue
                }
                let scalar: UInt32 = b < 0xA0 ? UInt32(cp1252High[Int(b) - 0x80]) : UInt32(b)
                if scalar < 0x800 {
                    out[w] = UInt8(0xC0 | (scalar >> 6))
                    out[w + 1] = UInt8(0x80 | (scalar & 0x3F))
                    w += 2
                } else {
                    out[w] = UInt8(0xE0 | (scalar >> 12))
                    out[w + 1] = UInt8(0x80 | ((scalar >> 6) & 0x3F))
                    out[w + 2] = UInt8(0x80 | (scalar & 0x3F))
                    w += 3
                }
            }
            return w
        }
    }

    private static let cp1252High: [UInt16] = [
        0x20AC, 0x0081, 0x201A, 0x0192, 0x201E, 0x2026, 0x2020, 0x2021, 0x02C6, 0x2030, 0x0160, 0x2039, 0x0152, 0x008D, 0x017D, 0x008F,
        0x0090, 0x2018, 0x2019, 0x201C, 0x201D, 0x2022, 0x2013, 0x2014, 0x02DC, 0x2122, 0x0161, 0x203A, 0x0153, 0x009D, 0x017E, 0x0178,
    ]
}
