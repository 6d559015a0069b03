import Testing
@testable import MailsiftCore

@Suite("MIME structure and decoding")
struct MIMEStructureTests {
    @Test func nestedMultipart() throws {
        let m = try MessageParser().parse(try TestSupport.fixture("nested-multipart.eml"))
        #expect(m.root.contentType.mimeType == "multipart/mixed")
        #expect(m.root.children.map(\.contentType.mimeType) == ["multipart/alternative", "application/pdf", "application/pdf"])
        let alternative = m.root.children[0]
        #expect(alternative.children.map(\.contentType.mimeType) == ["text/plain", "text/html"])
        // Quoted-printable with a soft line break; the line break before the delimiter is not content.
        #expect(alternative.children[0].text == "Café crème, soft break.")
        #expect(alternative.children[0].charset == "utf-8")
        #expect(!m.flags.contains(.missingClosingBoundary))
    }

    @Test func attachmentsAreSizedAndSniffedLazily() throws {
        let m = try MessageParser().parse(try TestSupport.fixture("nested-multipart.eml"))
        let attachments = m.attachments
        #expect(attachments.map(\.filename) == ["report.pdf", "invoice.pdf"])
        #expect(attachments[0].sniffedType == "application/pdf")
        #expect(attachments[0].text == nil)
        #expect(attachments[0].decodedSize == m.decodedBody(of: attachments[0]).count)
        #expect(m.decodedBody(of: attachments[0]).starts(with: Array("%PDF-1.4".utf8)))
        // An executable disguised as a PDF.
        #expect(attachments[1].sniffedType == "application/x-msdownload")
        #expect(m.flags.contains(.attachmentTypeMismatch))
    }

    @Test func brokenMessageStillParses() throws {
        let m = try MessageParser().parse(try TestSupport.fixture("broken.eml"))
        #expect(m.root.children.count == 3)
        #expect(m.flags.contains(.missingClosingBoundary))
        // Declared US-ASCII but 8-bit (not UTF-8): read as Windows-1252, flagged, NUL removed.
        #expect(m.root.children[0].text == "naïve text with NUL byte")
        #expect(m.flags.contains(.charsetMismatch))
        #expect(m.flags.contains(.nulBytes))
        // Bad base64: bad characters skipped, flagged.
        #expect(m.root.children[1].text == "hello world")
        #expect(m.flags.contains(.badBase64))
        // Unknown charset: sniffed (valid UTF-8 here).
        #expect(m.root.children[2].text == "plain é\n")
        #expect(m.flags.contains(.unknownCharset))
    }

    @Test func embeddedMessageIsParsed() throws {
        let m = try MessageParser().parse(try TestSupport.fixture("embedded.eml"))
        let embedded = m.root.children[1]
        #expect(embedded.contentType.mimeType == "message/rfc822")
        #expect(embedded.children.count == 1)
        #expect(embedded.children[0].headers["subject"] == "the original")
        // The line break before the closing delimiter belongs to the delimiter.
        #expect(embedded.children[0].text == "original body")
        #expect(m.flags.contains(.embeddedMessage))
    }

    @Test func boundaryLinesNeedAnExactMatch() throws {
        let text = "Content-Type: multipart/mixed; boundary=\"abc\"\n\n--abc\n\none --abc inline\n--abcdef\n--abc \t\n\ntwo\n--abc--  \nepilogue\n"
        let m = try TestSupport.parse(text)
        #expect(m.root.children.count == 2)
        #expect(m.root.children[0].text == "one --abc inline\n--abcdef")
        #expect(m.root.children[1].text == "two")
    }

    @Test func digestPartsDefaultToMessages() throws {
        let text = "Content-Type: multipart/digest; boundary=d\n\n--d\n\nSubject: first\n\nbody one\n--d--\n"
        let m = try TestSupport.parse(text)
        #expect(m.root.children[0].contentType.mimeType == "message/rfc822")
        #expect(m.root.children[0].children.first?.headers["subject"] == "first")
    }

    @Test func multipartWithoutBoundaryIsReadAsText() throws {
        let m = try TestSupport.parse("Content-Type: multipart/mixed\n\nsome text")
        #expect(m.flags.contains(.missingBoundary))
        #expect(m.root.text == "some text")
    }

    @Test func badContentTypeFallsBackToTextPlain() throws {
        let m = try TestSupport.parse("Content-Type: garbage\n\nx")
        #expect(m.root.contentType == .textPlain)
        #expect(m.flags.contains(.badContentType))
    }

    @Test func rfc2231Parameters() throws {
        let m = try TestSupport.parse(
            "Content-Type: application/octet-stream;\n name*0*=utf-8''%E2%82%AC%20;\n name*1=\"rates.txt\"\nContent-Disposition: attachment; filename=\"=?utf-8?q?r=C3=A9sum=C3=A9.doc?=\"\n\nx"
        )
        #expect(m.root.contentType.name == "€ rates.txt")
        #expect(m.root.filename == "résumé.doc")
    }

    @Test func depthLimitStopsNesting() throws {
        var text = ""
        for i in 0..<40 { text += "Content-Type: multipart/mixed; boundary=b\(i)\n\n--b\(i)\n" }
        text += "\ninnermost\n"
        let m = try MessageParser(limits: ParseLimits(maxDepth: 8)).parse(Array(text.utf8))
        #expect(m.flags.contains(.depthLimitReached))
        var depth = 0
        m.root.walk { depth = max(depth, $0.depth) }
        #expect(depth == 8)
    }

    @Test func partLimitStopsSplitting() throws {
        var text = "Content-Type: multipart/mixed; boundary=b\n\n"
        for i in 0..<100 { text += "--b\n\npart \(i)\n" }
        let m = try MessageParser(limits: ParseLimits(maxParts: 10)).parse(Array(text.utf8))
        #expect(m.flags.contains(.partLimitReached))
        #expect(m.root.children.count == 9)
    }

    @Test func decodedSizeLimitTruncatesText() throws {
        let text = "Content-Transfer-Encoding: base64\n\n" + String(repeating: "QUFB", count: 1000)
        let m = try MessageParser(limits: ParseLimits(maxDecodedBytes: 100)).parse(Array(text.utf8))
        #expect(m.root.text?.count == 100)
        #expect(m.flags.contains(.decodedSizeLimitReached))
    }

    @Test func quotedPrintableEdgeCases() {
        func qp(_ s: String) -> String {
            var out: [UInt8] = []
            Array(s.utf8).withUnsafeBufferPointer { _ = QuotedPrintableDecoder.decode($0, into: &out) }
            return String(decoding: out, as: UTF8.self)
        }
        #expect(qp("a=3Db=3db") == "a=b=b")
        #expect(qp("soft=\r\nbreak") == "softbreak")
        #expect(qp("trailing   \nspace") == "trailing\nspace")
        #expect(qp("bad=zz") == "bad=zz")
        #expect(qp("end=") == "end")
    }

    /// The byte-at-a-time decoder the bulk-copying one replaced, kept as its reference.
    static func referenceQuotedPrintable(_ input: UnsafeBufferPointer<UInt8>, headerMode: Bool) -> ([UInt8], Bool) {
        let capacity = input.count
        guard capacity > 0 else { return ([], true) }
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
        return (decoded, clean)
    }

    @Test func quotedPrintableMatchesByteAtATimeReference() {
        var rng = SplitMix64(seed: 42)
        let alphabet: [UInt8] = Array("ab =_\t\r\n=3D=20=0A3Dxz".utf8) + [0xC3, 0xA9]
        for round in 0..<3000 {
            let length = Int(rng.next() % 80)
            let input = (0..<length).map { _ in alphabet[Int(rng.next() % UInt64(alphabet.count))] }
            for headerMode in [false, true] {
                var out: [UInt8] = []
                let clean = input.withUnsafeBufferPointer { QuotedPrintableDecoder.decode($0, into: &out, headerMode: headerMode) }
                let (expected, expectedClean) = input.withUnsafeBufferPointer { Self.referenceQuotedPrintable($0, headerMode: headerMode) }
                #expect(out == expected && clean == expectedClean, "round \(round): \(String(decoding: input, as: UTF8.self).debugDescription)")
            }
        }
    }

    @Test func base64EdgeCases() {
        func b64(_ s: String) -> (String, Bool) {
            var out: [UInt8] = []
            let clean = Array(s.utf8).withUnsafeBufferPointer { Base64Decoder.decode($0, into: &out) }
            return (String(decoding: out, as: UTF8.self), clean)
        }
        #expect(b64("aGVsbG8=") == ("hello", true))
        #expect(b64("aGVs\r\nbG8=") == ("hello", true))
        #expect(b64("aGVsbG8") == ("hello", true)) // missing padding
        #expect(b64("aGV*sbG8=").1 == false)
        #expect(Array("aGVsbG8=".utf8).withUnsafeBufferPointer { Base64Decoder.decodedSize($0) } == 5)
    }
}
