#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

/// A thin wrapper over iconv(3) that converts to UTF-8, replacing undecodable bytes with U+FFFD.
enum IconvConverter {
    enum Outcome {
        case converted(String, errors: Int)
        case unsupported
    }

    /// Whether iconv can convert from `charset`.
    static func isSupported(_ charset: String) -> Bool {
        let cd = iconv_open("UTF-8", charset)
        if cd == iconv_t(bitPattern: -1) { return false }
        iconv_close(cd)
        return true
    }

    static func convert(_ bytes: UnsafeBufferPointer<UInt8>, from charset: String) -> Outcome {
        let cd = iconv_open("UTF-8", charset)
        if cd == iconv_t(bitPattern: -1) { return .unsupported }
        defer { iconv_close(cd) }
        guard let base = bytes.baseAddress, bytes.count > 0 else { return .converted("", errors: 0) }

        var output = [UInt8](repeating: 0, count: bytes.count * 3 + 16)
        var errors = 0
        var produced = 0
        var inPtr = UnsafeMutablePointer<CChar>(mutating: UnsafeRawPointer(base).assumingMemoryBound(to: CChar.self))
        var inLeft = bytes.count
        let replacement: [UInt8] = [0xEF, 0xBF, 0xBD]
        while true {
            let status: Int = output.withUnsafeMutableBytes { out in
                var outPtr: UnsafeMutablePointer<CChar>? = out.baseAddress!.advanced(by: produced)
                    .assumingMemoryBound(to: CChar.self)
                var outLeft = out.count - produced
                var inOpt: UnsafeMutablePointer<CChar>? = inPtr
                let r = iconv(cd, &inOpt, &inLeft, &outPtr, &outLeft)
                produced = out.count - outLeft
                inPtr = inOpt ?? inPtr
                return r
            }
            if status != -1 {
                if inLeft == 0 {
                    // Flush any shift state of stateful encodings.
                    let flushed: Int = output.withUnsafeMutableBytes { out in
                        var outPtr: UnsafeMutablePointer<CChar>? = out.baseAddress!.advanced(by: produced)
                            .assumingMemoryBound(to: CChar.self)
                        var outLeft = out.count - produced
                        _ = iconv(cd, nil, nil, &outPtr, &outLeft)
                        return out.count - outLeft
                    }
                    produced = flushed
                    break
                }
                continue
            }
            let err = errno
            if err == E2BIG {
                output.append(contentsOf: repeatElement(0, count: max(64, inLeft * 4)))
                continue
            }
            // EILSEQ or EINVAL: skip one byte, emit U+FFFD, and go on.
            errors += 1
            if produced + 3 > output.count { output.append(contentsOf: repeatElement(0, count: 64)) }
            output.replaceSubrange(produced..<(produced + 3), with: replacement)
            produced += 3
            inPtr += 1
            inLeft -= 1
            if inLeft == 0 { break }
        }
        return .converted(String(decoding: output[0..<produced], as: UTF8.self), errors: errors)
    }
}
