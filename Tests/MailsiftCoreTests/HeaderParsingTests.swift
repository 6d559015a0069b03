import Foundation
import Testing
@testable import MailsiftCore

@Suite("Header parsing")
struct HeaderParsingTests {
    @Test func rfc5322SimpleMessage() throws {
        let m = try MessageParser().parse(try TestSupport.fixture("rfc5322-simple.eml"))
        #expect(m.subject == "Saying Hello")
        #expect(m.from == [Address(displayName: "John Doe", address: "jdoe@machine.example")])
        #expect(m.to.first?.address == "mary@example.net")
        #expect(m.messageID == "<1234@local.machine.example>")
        #expect(m.date?.timestamp == 880_127_706)
        #expect(m.date?.zoneOffsetMinutes == -360)
        #expect(m.root.text == "This is a message just to say hello.\r\nSo, \"Hello\".\r\n")
        #expect(m.flags.isEmpty)
    }

    @Test func rfc2047ExamplesDecode() throws {
        let m = try MessageParser().parse(try TestSupport.fixture("rfc2047-examples.eml"))
        #expect(m.from.first?.displayName == "Keith Moore")
        #expect(m.to.first?.displayName == "Keld Jørn Simonsen")
        #expect(m.cc.first?.displayName == "André Pirard")
        // Adjacent encoded-words: the whitespace between them is dropped (RFC 2047 section 6.2).
        #expect(m.subject == "If you can read this you understand the example.")
        #expect(m.headers.first("subject")?.rawValue.hasPrefix("=?ISO-8859-1?B?") == true)
    }

    @Test func encodedWordsEdgeCases() {
        #expect(EncodedWordDecoder.decode("=?utf-8?q?caf=C3=A9?= =?utf-8?q?_bar?=").0 == "café bar")
        // A multi-byte character split across two words.
        #expect(EncodedWordDecoder.decode("=?utf-8?B?4oI=?= =?utf-8?B?rA==?=").0 == "€")
        #expect(EncodedWordDecoder.decode("a =?utf-8*en?q?x?= b").0 == "a x b")
        // Malformed words stay as written.
        #expect(EncodedWordDecoder.decode("=?utf-8?x?abc?=").0 == "=?utf-8?x?abc?=")
        #expect(EncodedWordDecoder.decode("=?koi8-r?b?8NLJ18XU?=").0 == "Привет")
        #expect(EncodedWordDecoder.decode("=?no-such?q?abc?=").1.contains(.badEncodedWord))
    }

    @Test func unfoldingAndContinuations() throws {
        let m = try TestSupport.parse("Subject: one\r\n two\r\n\tthree\r\nX-Empty:\r\n\r\nbody")
        #expect(m.subject == "one two\tthree")
        #expect(m.headers["x-empty"] == "")
        #expect(m.root.text == "body")
    }

    @Test func crlfAndLFGiveTheSameResult() throws {
        let lf = try TestSupport.parse("From: a@b.c\nSubject: s\n\nline one\nline two\n")
        let crlf = try TestSupport.parse("From: a@b.c\r\nSubject: s\r\n\r\nline one\r\nline two\r\n")
        #expect(lf.subject == crlf.subject)
        #expect(lf.root.text?.replacingOccurrences(of: "\n", with: "") == crlf.root.text?.replacingOccurrences(of: "\r\n", with: ""))
    }

    @Test func mixedLineEndingsAreFlagged() throws {
        let m = try TestSupport.parse("From: a@b.c\r\nSubject: s\n\nbody")
        #expect(m.flags.contains(.mixedLineEndings))
    }

    @Test func mboxFromLineIsSkipped() throws {
        let m = try TestSupport.parse("From MAILER-DAEMON Fri Jul  8 12:08:34 2011\nSubject: x\n\nbody")
        #expect(m.flags.contains(.mboxFromLine))
        #expect(m.subject == "x")
        #expect(m.headers.count == 1)
    }

    @Test func missingHeaderBodySeparator() throws {
        let m = try TestSupport.parse("Subject: x\nthis line is body text\nmore\n")
        #expect(m.flags.contains(.missingHeaderBodySeparator))
        #expect(m.root.text == "this line is body text\nmore\n")
    }

    @Test func eightBitHeadersFallBackToWindows1252() throws {
        let m = try MessageParser().parse(try TestSupport.fixture("broken.eml"))
        #expect(m.from.first?.displayName == "Jörg")
        #expect(m.subject == "broken été")
        #expect(m.flags.contains(.eightBitHeader))
        #expect(m.flags.contains(.mboxFromLine))
    }

    @Test func utf8HeadersAreKept() throws {
        let m = try TestSupport.parse("Subject: naïve ✓\n\nx")
        #expect(m.subject == "naïve ✓")
        #expect(!m.flags.contains(.eightBitHeader))
    }

    @Test func duplicateSingletonHeadersAreFlagged() throws {
        let m = try TestSupport.parse("From: a@b.c\nFrom: d@e.f\n\nx")
        #expect(m.flags.contains(.duplicateSingletonHeader))
    }

    @Test func headerLimitsTruncate() throws {
        var text = ""
        for i in 0..<50 { text += "X-H\(i): v\n" }
        text += "Subject: " + String(repeating: "a", count: 5000) + "\n\nbody"
        let limits = ParseLimits(maxHeaderCount: 10, maxHeaderBytes: 100)
        let m = try MessageParser(limits: limits).parse(Array(text.utf8))
        #expect(m.headers.count == 10)
        #expect(m.flags.contains(.tooManyHeaders))
        let long = try MessageParser(limits: limits).parse(Array(("Subject: " + String(repeating: "a", count: 5000) + "\n\nb").utf8))
        #expect(long.subject?.count == 100)
        #expect(long.flags.contains(.headerTruncated))
    }

    @Test func emptyAndOversizedInputsAreTypedErrors() {
        #expect(throws: ParseError.emptyMessage) { try MessageParser().parse([]) }
        #expect(throws: ParseError.emptyMessage) { try MessageParser().parse(Array("\r\n \n".utf8)) }
        #expect(throws: ParseError.messageTooLarge(size: 200, limit: 100)) {
            try MessageParser(limits: ParseLimits(maxMessageBytes: 100)).parse([UInt8](repeating: 65, count: 200))
        }
    }

    /// Only as many addresses as a caller needs are parsed from lists an attacker can make a million long.
    @Test func addressListsAreParsedOnlyAsFarAsNeeded() throws {
        let list = (0..<5_000).map { "\"User \($0)\" <u\($0)@example.com>" }.joined(separator: ", ")
        #expect(AddressParser.parseList(list, limit: 3).map(\.address) == ["u0@example.com", "u1@example.com", "u2@example.com"])
        #expect(AddressParser.parseList("undisclosed-recipients:;, <>, a@b.example", limit: 1).map(\.address) == ["a@b.example"])
        #expect(AddressParser.parseList(list).count == 5_000)
        let m = try MessageParser().parse(Array("To: a@x.example, b@x.example\r\nCc: c@x.example\r\nTo: d@x.example\r\n\r\nhi\r\n".utf8))
        #expect(m.addresses(in: ["to", "cc"], limit: 3).map(\.address) == ["a@x.example", "b@x.example", "d@x.example"])
        #expect(m.addresses(in: ["to", "cc"], limit: 10).map(\.address) == (m.to + m.cc).map(\.address))
    }
}
