import Testing

@testable import MailsiftCore

@Suite struct ListClaimTests {
    static func message(_ headers: String) throws -> Message {
        try MessageParser().parse(Array((headers + "\r\nhello, list\r\n").utf8))
    }

    @Test func findsTheListsDomain() throws {
        #expect(try ListClaim(Self.message("List-Id: Radio users <radio-users.lists.example.org>\r\n")).domain == "radio-users.lists.example.org")
        #expect(try ListClaim(Self.message("List-Id: bare.example.net.\r\n")).domain == "bare.example.net")
        #expect(try ListClaim(Self.message("List-Post: <mailto:talk@Lists.Example.COM>\r\n")).domain == "lists.example.com")
        #expect(try ListClaim(Self.message("List-Unsubscribe: <https://news.example.co.uk/u?x=1>, <mailto:u@x.example>\r\n")).domains == ["news.example.co.uk", "x.example"])
        #expect(try ListClaim(Self.message("X-BeenThere: talk@lists.example.org\r\n")).domain == "lists.example.org")
        // The List-Id wins over a list address written before it.
        #expect(try ListClaim(Self.message("List-Post: <mailto:a@other.example>\r\nList-Id: <l.example.org>\r\n")).domains == ["l.example.org", "other.example"])
        let many = (0..<20).map { "<mailto:u@d\($0).example>" }.joined(separator: ", ")
        #expect(try ListClaim(Self.message("List-Unsubscribe: \(many)\r\nList-Help: \(many)\r\n")).domains.count == ListClaim.maximumDomains)
        let precedence = try ListClaim(Self.message("Precedence: bulk\r\n"))
        #expect(precedence.claims && precedence.domain == nil)
        #expect(try !ListClaim(Self.message("From: a@b.example\r\n")).claims)
        #expect(try ListClaim(Self.message("List-Id: <\(String(repeating: "a", count: 600)).example>\r\n")).domain == nil)
    }

    /// A claim counts when the envelope sender (else the top Return-Path) or a trusted DKIM pass has the list's
    /// registrable domain; `Precedence` alone names no list and never counts; the readings override.
    @Test func countsWhenTheEnvelopeCorroboratesTheList() throws {
        let list = "List-Id: Radio users <radio-users.lists.example.org>\r\nPrecedence: list\r\n"
        let aligned = try Self.message("Return-Path: <radio-users-bounces@lists.example.org>\r\n" + list)
        let forged = try Self.message("Return-Path: <promo@shop.example>\r\n" + list)
        #expect(ListClaim(aligned).counts(in: aligned, reading: .corroborated))
        #expect(!ListClaim(forged).counts(in: forged, reading: .corroborated))
        #expect(ListClaim(forged).counts(in: forged, reading: .corroborated, envelopeSender: "<bounce+x@example.org>"))
        #expect(!ListClaim(aligned).counts(in: aligned, reading: .corroborated, envelopeSender: "<promo@shop.example>"))
        #expect(ListClaim(forged).counts(in: forged, reading: .asWritten) && !ListClaim(aligned).counts(in: aligned, reading: .discounted))
        // A newsletter that unsubscribes on its sender's site and bounces to its ESP's domain.
        let newsletter = try Self.message("Return-Path: <bounce-7@mail.esp.example>\r\nList-Unsubscribe: <https://shop.example/unsub>, <mailto:u-7@esp.example>\r\n")
        #expect(ListClaim(newsletter).counts(in: newsletter, reading: .corroborated))
        let signed = try Self.message("Authentication-Results: mx.site.example; dkim=pass header.d=example.org\r\nReturn-Path: <promo@shop.example>\r\n" + list)
        #expect(ListClaim(signed).counts(in: signed, reading: .corroborated))
        let failed = try Self.message("Authentication-Results: mx.site.example; dkim=fail header.d=example.org\r\nReturn-Path: <promo@shop.example>\r\n" + list)
        #expect(!ListClaim(failed).counts(in: failed, reading: .corroborated))
        let bare = try Self.message("Return-Path: <a@example.org>\r\nPrecedence: bulk\r\n")
        #expect(!ListClaim(bare).counts(in: bare, reading: .corroborated))
        let none = try Self.message("Return-Path: <a@example.org>\r\n")
        #expect(ListClaim(none).counts(in: none, reading: .discounted))
    }

    /// The analysis drops an uncorroborated claim's fields and says so; a corroborated one keeps them.
    @Test func theAnalysisReadsAForgedListWithoutItsFields() throws {
        let analyzer = MessageAnalyzer()
        let list = "List-Id: <news.example.org>\r\nList-Unsubscribe: <mailto:u@example.org>\r\nSubject: news\r\n"
        let forged = analyzer.analyze(try Self.message("Return-Path: <x@spam.example>\r\n" + list))
        #expect(forged.listDiscounted && forged.message.headers.first("list-id") == nil && forged.message.headers.first("subject")?.value == "news")
        #expect(forged.message.removedHeaderBytes > 0)
        // The sender keys still name the list's stream, as serve's (from the message as written) do.
        #expect(SenderKeys(forged).stream == "list:news.example.org|spam.example")
        let real = analyzer.analyze(try Self.message("Return-Path: <news-bounces@example.org>\r\n" + list))
        #expect(!real.listDiscounted && real.message.headers.first("list-id") != nil)
        let asWritten = analyzer.analyze(try Self.message("Return-Path: <x@spam.example>\r\n" + list), lists: .asWritten)
        #expect(!asWritten.listDiscounted && asWritten.message.headers.first("list-id") != nil)
    }
}
