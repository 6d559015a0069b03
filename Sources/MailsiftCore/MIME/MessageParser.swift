#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

/// Parses raw RFC 5322 / MIME bytes into a ``Message``.
///
/// The parser is native Swift over the bytes in place: one pass over the header lines, one `memchr`-driven
/// scan of the lines of each multipart body for its delimiters, and decoding only of text leaves (see
/// `docs/architecture.md` for why this, rather than GMime). Every defect is tolerated and flagged; the only
/// errors are an empty or oversized input. Work and memory are bounded by ``ParseLimits``.
public struct MessageParser: Sendable {
    public var limits: ParseLimits

    public init(limits: ParseLimits = .default) {
        self.limits = limits
    }

    public func parse(_ bytes: [UInt8]) throws(ParseError) -> Message {
        guard bytes.count <= limits.maxMessageBytes else {
            throw .messageTooLarge(size: bytes.count, limit: limits.maxMessageBytes)
        }
        var state = ParseState(limits: limits)
        let root: MIMEPart? = bytes.withUnsafeBufferPointer { buf in
            var start = 0
            if buf.hasPrefixIgnoringCase("from ", at: 0, end: buf.count), buf.count > 5, buf[0] == UInt8(ascii: "F") {
                let nl = buf.firstIndex(of: ASCII.lf, from: 0, end: buf.count)
                start = min(nl + 1, buf.count)
                state.flags.insert(.mboxFromLine)
            }
            var k = start
            while k < buf.count, ASCII.isWhitespace(buf[k]) || buf[k] == 0 { k += 1 }
            if k == buf.count { return nil }
            return state.parseEntity(buf, start, buf.count, depth: 0, defaultType: .textPlain)
        }
        guard let root else { throw .emptyMessage }
        var flags = state.flags
        for name in ["from", "date", "subject", "message-id", "sender", "reply-to", "to"] where root.headers.count(name) > 1 {
            flags.insert(.duplicateSingletonHeader)
        }
        if root.bodyRange.isEmpty && root.children.isEmpty { flags.insert(.emptyBody) }
        return Message(bytes: bytes, root: root, flags: flags)
    }
}

/// The mutable state of one parse: flags found and budgets used.
struct ParseState {
    let limits: ParseLimits
    var flags: ParseFlags = []
    var partCount = 0
    var decodedBytes = 0

    init(limits: ParseLimits) { self.limits = limits }

    // MARK: Entities

    mutating func parseEntity(
        _ buf: UnsafeBufferPointer<UInt8>, _ start: Int, _ end: Int, depth: Int, defaultType: ContentType
    ) -> MIMEPart {
        partCount += 1
        let (headers, bodyStart) = parseHeaders(buf, start, end)
        var contentType = defaultType
        if let field = headers.first("content-type") {
            if let parsed = ContentType(parsing: field.rawValue) {
                contentType = parsed
            } else {
                flags.insert(.badContentType)
                contentType = .textPlain
            }
        }
        let encoding = TransferEncoding(value: headers.first("content-transfer-encoding")?.value)
        if case .unknown = encoding { flags.insert(.unknownTransferEncoding) }
        var part = MIMEPart(
            headers: headers, contentType: contentType, transferEncoding: encoding,
            disposition: headers.first("content-disposition").map { ContentDisposition(parsing: $0.rawValue) },
            children: [], bodyRange: bodyStart..<end, depth: depth,
            text: nil, charset: nil, decodedSize: 0, sniffedType: nil
        )

        if contentType.isMultipart {
            guard depth < limits.maxDepth else {
                flags.insert(.depthLimitReached)
                return part
            }
            guard let boundary = contentType.boundary else {
                flags.insert(.missingBoundary)
                decodeLeaf(&part, buf, asText: true)
                return part
            }
            let split = splitMultipart(buf, bodyStart, end, boundary: Array(boundary.utf8))
            if split.parts.isEmpty {
                flags.insert(.emptyMultipart)
                decodeLeaf(&part, buf, asText: true)
                return part
            }
            if !split.closed { flags.insert(.missingClosingBoundary) }
            let childDefault: ContentType = contentType.subtype == "digest" ? .messageRFC822 : .textPlain
            for range in split.parts {
                if partCount >= limits.maxParts {
                    flags.insert(.partLimitReached)
                    break
                }
                part.children.append(parseEntity(buf, range.lowerBound, range.upperBound, depth: depth + 1, defaultType: childDefault))
            }
            return part
        }

        if contentType.isEmbeddedMessage, !encoding.isEncoded {
            guard depth < limits.maxDepth else {
                flags.insert(.depthLimitReached)
                return part
            }
            flags.insert(.embeddedMessage)
            if partCount < limits.maxParts, bodyStart < end {
                part.children = [parseEntity(buf, bodyStart, end, depth: depth + 1, defaultType: .textPlain)]
            }
            return part
        }

        decodeLeaf(&part, buf, asText: contentType.isText || contentType.type == "message")
        return part
    }

    // MARK: Header block

    /// Parses header lines from `start`; returns the fields and where the body begins.
    mutating func parseHeaders(_ buf: UnsafeBufferPointer<UInt8>, _ start: Int, _ end: Int) -> (HeaderFields, Int) {
        var fields = HeaderFields()
        var name: Range<Int>? = nil
        var firstLine = 0..<0
        var continuations: [Range<Int>] = []
        var sawCRLF = false
        var sawLF = false

        func finishField(_ state: inout ParseState) {
            guard let n = name else { return }
            name = nil
            if fields.count >= state.limits.maxHeaderCount {
                state.flags.insert(.tooManyHeaders)
                return
            }
            fields.append(state.makeField(buf, name: n, firstLine: firstLine, continuations: continuations))
        }

        var i = start
        while i < end {
            let nl = buf.firstIndex(of: ASCII.lf, from: i, end: end)
            var lineEnd = nl
            if nl < end {
                if lineEnd > i && buf[lineEnd - 1] == ASCII.cr { lineEnd -= 1; sawCRLF = true } else { sawLF = true }
            }
            let next = nl < end ? nl + 1 : end
            if lineEnd == i || (lineEnd == i + 1 && buf[i] == ASCII.cr) {
                finishField(&self)
                if sawCRLF && sawLF { flags.insert(.mixedLineEndings) }
                return (fields, next)
            }
            let first = buf[i]
            if ASCII.isBlank(first) {
                if name != nil { continuations.append(i..<lineEnd) } else { flags.insert(.orphanContinuation) }
                i = next
                continue
            }
            if lineEnd - i >= 5, buf.hasPrefixIgnoringCase("from ", at: i, end: lineEnd), first == UInt8(ascii: "F") {
                // A misplaced mbox envelope line: ignored.
                i = next
                continue
            }
            var j = i
            while j < lineEnd, buf[j] != ASCII.colon, buf[j] > 0x20, buf[j] < 0x7F { j += 1 }
            var k = j
            while k < lineEnd, ASCII.isBlank(buf[k]) { k += 1 }
            if k < lineEnd, buf[k] == ASCII.colon, j > i {
                finishField(&self)
                name = i..<j
                firstLine = (k + 1)..<lineEnd
                continuations.removeAll(keepingCapacity: true)
                i = next
                continue
            }
            // Neither a field nor a continuation: the body starts on this line.
            flags.insert(.missingHeaderBodySeparator)
            finishField(&self)
            return (fields, i)
        }
        finishField(&self)
        return (fields, end)
    }

    /// Builds a field from its name and value lines: unfolds (drops the line breaks), trims, decodes.
    mutating func makeField(
        _ buf: UnsafeBufferPointer<UInt8>, name: Range<Int>, firstLine: Range<Int>, continuations: [Range<Int>]
    ) -> HeaderField {
        let nameText = String(decoding: UnsafeBufferPointer(rebasing: buf[name]), as: UTF8.self)
        var raw: (String, eightBit: Bool)
        if continuations.isEmpty {
            var s = firstLine.lowerBound
            var e = firstLine.upperBound
            while s < e, ASCII.isWhitespace(buf[s]) { s += 1 }
            while e > s, ASCII.isWhitespace(buf[e - 1]) { e -= 1 }
            if e - s > limits.maxHeaderBytes {
                e = s + limits.maxHeaderBytes
                flags.insert(.headerTruncated)
            }
            raw = CharsetDecoder.decodeHeaderBytes(UnsafeBufferPointer(rebasing: buf[s..<e]))
        } else {
            var bytes: [UInt8] = []
            bytes.append(contentsOf: UnsafeBufferPointer(rebasing: buf[firstLine]))
            for line in continuations {
                if bytes.count + line.count > limits.maxHeaderBytes {
                    flags.insert(.headerTruncated)
                    break
                }
                bytes.append(contentsOf: UnsafeBufferPointer(rebasing: buf[line]))
            }
            if bytes.count > limits.maxHeaderBytes { bytes.removeLast(bytes.count - limits.maxHeaderBytes) }
            var s = 0
            var e = bytes.count
            while s < e, ASCII.isWhitespace(bytes[s]) { s += 1 }
            while e > s, ASCII.isWhitespace(bytes[e - 1]) { e -= 1 }
            raw = bytes.withUnsafeBufferPointer { CharsetDecoder.decodeHeaderBytes(UnsafeBufferPointer(rebasing: $0[s..<e])) }
        }
        if raw.eightBit { flags.insert(.eightBitHeader) }
        let (value, wordFlags) = EncodedWordDecoder.decode(raw.0)
        flags.formUnion(wordFlags)
        var end = (continuations.last ?? firstLine).upperBound
        if end < buf.count, buf[end] == ASCII.cr { end += 1 }
        if end < buf.count, buf[end] == ASCII.lf { end += 1 }
        return HeaderField(name: nameText, rawValue: raw.0, value: value, byteCount: end - name.lowerBound)
    }

    // MARK: Multipart bodies

    /// Finds the parts of a multipart body between `--boundary` delimiter lines (RFC 2046 section 5.1.1).
    /// A delimiter line is `--boundary`, optionally `--`, then only blanks; the line break before it belongs
    /// to the delimiter, not to the part.
    func splitMultipart(
        _ buf: UnsafeBufferPointer<UInt8>, _ start: Int, _ end: Int, boundary: [UInt8]
    ) -> (parts: [Range<Int>], closed: Bool) {
        var parts: [Range<Int>] = []
        var partStart: Int? = nil
        let delimiterLength = boundary.count + 2
        var i = start
        while i < end {
            let nl = buf.firstIndex(of: ASCII.lf, from: i, end: end)
            var lineEnd = nl
            if lineEnd > i && buf[lineEnd - 1] == ASCII.cr { lineEnd -= 1 }
            let next = nl < end ? nl + 1 : end
            if lineEnd - i >= delimiterLength, buf[i] == ASCII.hyphen, buf[i + 1] == ASCII.hyphen,
               boundary.withUnsafeBufferPointer({ memcmp(buf.baseAddress! + i + 2, $0.baseAddress!, $0.count) == 0 }) {
                var k = i + delimiterLength
                var isClose = false
                if k + 2 <= lineEnd, buf[k] == ASCII.hyphen, buf[k + 1] == ASCII.hyphen {
                    isClose = true
                    k += 2
                }
                while k < lineEnd, ASCII.isBlank(buf[k]) { k += 1 }
                if k == lineEnd {
                    if let s = partStart { parts.append(s..<contentEnd(buf, before: i, notBefore: s)) }
                    if isClose { return (parts, true) }
                    partStart = next
                }
            }
            i = next
        }
        if let s = partStart { parts.append(s..<end) }
        return (parts, false)
    }

    /// The end of a part's content: just before the line break that precedes a delimiter at `i`.
    private func contentEnd(_ buf: UnsafeBufferPointer<UInt8>, before i: Int, notBefore s: Int) -> Int {
        var e = i
        if e > s, buf[e - 1] == ASCII.lf { e -= 1 }
        if e > s, buf[e - 1] == ASCII.cr { e -= 1 }
        return e
    }

    // MARK: Leaves

    mutating func decodeLeaf(_ part: inout MIMEPart, _ buf: UnsafeBufferPointer<UInt8>, asText: Bool) {
        let body = UnsafeBufferPointer(rebasing: buf[part.bodyRange])
        if asText {
            let budget = limits.maxDecodedBytes - decodedBytes
            guard budget > 0 else {
                flags.insert(.decodedSizeLimitReached)
                return
            }
            var scratch: [UInt8] = []
            func decode(_ bytes: UnsafeBufferPointer<UInt8>, _ state: inout ParseState) {
                let result = CharsetDecoder.decode(bytes, label: part.contentType.charset)
                part.text = result.text
                part.charset = result.charset
                part.decodedSize = bytes.count
                state.flags.formUnion(result.flags)
                state.decodedBytes += bytes.count
            }
            switch part.transferEncoding {
            case .base64:
                if !Base64Decoder.decode(body, into: &scratch, limit: budget) { flags.insert(.badBase64) }
            case .quotedPrintable:
                if !QuotedPrintableDecoder.decode(body, into: &scratch, limit: budget) { flags.insert(.badQuotedPrintable) }
            default:
                if body.count <= budget {
                    decode(body, &self)
                    return
                }
                scratch.append(contentsOf: body.prefix(budget))
            }
            if scratch.count >= budget { flags.insert(.decodedSizeLimitReached) }
            scratch.withUnsafeBufferPointer { decode($0, &self) }
            return
        }
        // Not text: measure and sniff, without decoding the whole body.
        var head: [UInt8] = []
        switch part.transferEncoding {
        case .base64:
            part.decodedSize = Base64Decoder.decodedSize(body)
            Base64Decoder.decode(UnsafeBufferPointer(rebasing: body.prefix(ContentSniffer.bytesNeeded * 4 / 3 + 8)), into: &head)
        case .quotedPrintable:
            var all: [UInt8] = []
            QuotedPrintableDecoder.decode(body, into: &all)
            part.decodedSize = all.count
            head = Array(all.prefix(ContentSniffer.bytesNeeded))
        default:
            part.decodedSize = body.count
            head = Array(body.prefix(ContentSniffer.bytesNeeded))
        }
        let sniffed = ContentSniffer.sniff(head)
        part.sniffedType = sniffed
        if ContentSniffer.isMismatch(sniffed: sniffed, declared: part.contentType.mimeType, filename: part.filename) {
            flags.insert(.attachmentTypeMismatch)
        }
    }
}

extension TransferEncoding {
    /// Whether the body must be decoded before it can be read as bytes.
    var isEncoded: Bool {
        switch self {
        case .base64, .quotedPrintable: return true
        default: return false
        }
    }
}
