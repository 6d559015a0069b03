import Foundation
import MailsiftTestKit
import Testing

@testable import MailsiftCore

@Suite struct AdaptiveAttackTests {
    static let material = AttackMaterial(
        goodWords: ["meeting", "thanks", "project"], paragraphs: ["We met on Tuesday to go over the release plan for the next quarter."],
        subjects: ["Notes from Tuesday"], seed: 7)

    static func parse(_ bytes: [UInt8]) throws -> Message { try MessageParser().parse(bytes) }

    static let plain = Array("From: a@spam.example\r\nTo: b@x.example\r\nSubject: Cheap pills\r\nX-Mailer: Bulk 1.0\r\n\r\nBuy now.\r\n".utf8)

    @Test func headerEditsAddWhatTheyName() throws {
        let reply = try Self.parse(try #require(AttackEdit.reply.apply(to: Self.plain, material: Self.material, salt: 1)))
        #expect(reply.subject == "Re: Cheap pills" && ReplyClaim(reply).referenced.count == 1 && reply.headers["references"] == reply.headers["in-reply-to"])
        let list = try Self.parse(try #require(AttackEdit.list.apply(to: Self.plain, material: Self.material, salt: 1)))
        #expect(list.headers["list-id"] != nil && list.headers["list-unsubscribe"] != nil && list.headers["precedence"] == "list")
        #expect(!ListClaim(list).counts(in: list, reading: .corroborated))
        // The attacker who knows the check names the list on its own envelope domain (here From's: no Return-Path),
        // and a Return-Path on that domain then corroborates it.
        let own = try Self.parse(try #require(AttackEdit.ownList.apply(to: Self.plain, material: Self.material, salt: 1)))
        #expect(own.headers["list-id"] == "Customer news <news.spam.example>" && own.headers["precedence"] == "list")
        let enveloped = try Self.parse(Array("Return-Path: <bounce@spam.example>\r\n".utf8) + (try #require(AttackEdit.ownList.apply(to: Self.plain, material: Self.material, salt: 1))))
        #expect(ListClaim(enveloped).counts(in: enveloped, reading: .corroborated))
        #expect(AttackEdit.ownList.apply(to: Array("Subject: x\r\n\r\nhi\r\n".utf8), material: Self.material, salt: 1) == nil)
        let mailer = try Self.parse(try #require(AttackEdit.mailer.apply(to: Self.plain, material: Self.material, salt: 1)))
        #expect(mailer.headers.all("x-mailer").map(\.value) == ["Microsoft Outlook 16.0"] && mailer.headers["thread-index"] != nil)
        let subject = try Self.parse(try #require(AttackEdit.plainSubject.apply(to: Self.plain, material: Self.material, salt: 1)))
        #expect(subject.headers.all("subject").map(\.value) == ["Notes from Tuesday"])
        // Different messages get different made-up Message-IDs.
        let other = try Self.parse(try #require(AttackEdit.reply.apply(to: Self.plain, material: Self.material, salt: 2)))
        #expect(ReplyClaim(other).referenced != ReplyClaim(reply).referenced)
    }

    /// Text is appended where the analyser reads it, whatever the body's form.
    @Test(arguments: [
        "Content-Type: text/plain\r\n\r\nBuy now.\r\n",
        "Content-Type: text/html\r\n\r\n<html><body><p>Buy now.</p></body></html>\r\n",
        "Content-Type: text/plain; charset=utf-8\r\nContent-Transfer-Encoding: base64\r\n\r\n\(Data("Buy now.\n".utf8).base64EncodedString())\r\n",
        "Content-Type: multipart/alternative; boundary=\"b1\"\r\n\r\n--b1\r\nContent-Type: text/plain\r\n\r\nBuy now.\r\n--b1\r\nContent-Type: text/html\r\n\r\n<p>Buy now.</p>\r\n--b1--\r\n",
    ])
    func goodWordsReachTheText(body: String) throws {
        let bytes = Array("From: a@spam.example\r\nSubject: pills\r\nMIME-Version: 1.0\r\n\(body)".utf8)
        let edited = try #require(AttackEdit.goodWords.apply(to: bytes, material: Self.material, salt: 1))
        let a = try MessageAnalyzer().analyze(edited)
        #expect(a.bodyText.contains("Buy now.") && a.bodyText.contains("meeting thanks project"), "\(a.bodyText)")
        #expect(a.message.flags.isDisjoint(with: [.missingClosingBoundary, .badBase64]))
        let paragraph = try #require(AttackEdit.hamParagraph.apply(to: bytes, material: Self.material, salt: 1))
        #expect(try MessageAnalyzer().analyze(paragraph).bodyText.contains("release plan"))
    }

    /// A text/plain part hides an HTML part only where the two are alternatives of one multipart/alternative: a
    /// list's plain footer beside an HTML body, or a plain part added to an HTML-only message, hides nothing.
    @Test func aPlainPartHidesOnlyItsOwnAlternative() throws {
        func analyzed(_ body: String) throws -> AnalyzedMessage {
            try MessageAnalyzer().analyze(Array(("From: a@spam.example\r\nSubject: x\r\nMIME-Version: 1.0\r\n" + body).utf8))
        }
        let html = "Content-Type: text/html\r\n\r\n<p>Verify your account password today</p>\r\n"
        let footer = "Content-Type: text/plain\r\n\r\nusers mailing list, unsubscribe at lists.example\r\n"
        // A list's footer part after an HTML body (Mailman's multipart/mixed): both are read.
        let listed = try analyzed("Content-Type: multipart/mixed; boundary=\"m\"\r\n\r\n--m\r\n\(html)--m\r\n\(footer)--m--\r\n")
        #expect(listed.bodyText.contains("Verify your account") && listed.bodyText.contains("mailing list"), "\(listed.bodyText)")
        // Inside a multipart/alternative the plain alternative stands for the HTML; the footer beside the group is read.
        let alternative = "Content-Type: multipart/alternative; boundary=\"a\"\r\n\r\n--a\r\nContent-Type: text/plain\r\n\r\nVerify your account password today\r\n--a\r\n\(html)--a--\r\n"
        let grouped = try analyzed("Content-Type: multipart/mixed; boundary=\"m\"\r\n\r\n--m\r\n\(alternative)--m\r\n\(footer)--m--\r\n")
        #expect(grouped.bodyText.components(separatedBy: "Verify your account").count == 2 && grouped.bodyText.contains("mailing list"), "\(grouped.bodyText)")
        // The attack's paragraph added to an HTML-only multipart/mixed body hides nothing.
        let htmlOnly = Array("From: a@spam.example\r\nSubject: x\r\nMIME-Version: 1.0\r\nContent-Type: multipart/mixed; boundary=\"m\"\r\n\r\n--m\r\n\(html)--m--\r\n".utf8)
        let edited = try MessageAnalyzer().analyze(try #require(AttackEdit.hamParagraph.apply(to: htmlOnly, material: Self.material, salt: 1)))
        #expect(edited.bodyText.contains("release plan") && edited.bodyText.contains("Verify your account"), "\(edited.bodyText)")
    }

    @Test func hiddenWordsGoWhereTheReaderDoesNotSeeThem() throws {
        let html = Array("From: a@b.example\r\nSubject: x\r\nContent-Type: text/html\r\n\r\n<html><body><p>Buy now.</p></body></html>\r\n".utf8)
        let a = try MessageAnalyzer().analyze(try #require(AttackEdit.hiddenWords.apply(to: html, material: Self.material, salt: 1)))
        #expect(a.hiddenText.contains("meeting thanks project") && !a.bodyText.contains("meeting") && a.message.flags.contains(.hiddenHTMLText))
        #expect(AttackEdit.hiddenWords.apply(to: Self.plain, material: Self.material, salt: 1) == nil)
    }

    @Test func theShortenerReplacesEveryLink() throws {
        let bytes = Array("From: a@b.example\r\nSubject: x\r\nContent-Type: text/html\r\n\r\n<a href=\"http://pay.evil.example/login?id=1\">Pay</a> or HTTPS://evil.example/x\r\n".utf8)
        let a = try MessageAnalyzer().analyze(try #require(AttackEdit.shortener.apply(to: bytes, material: Self.material, salt: 1)))
        #expect(!a.urls.isEmpty && a.urls.allSatisfy { $0.host == "bit.ly" }, "\(a.urls.map(\.host))")
        #expect(AttackEdit.shortener.apply(to: Self.plain, material: Self.material, salt: 1) == nil)
        let encoded = Array("From: a@b\r\nContent-Transfer-Encoding: base64\r\n\r\naHR0cDovL2V2aWwuZXhhbXBsZS8=\r\n".utf8)
        #expect(AttackEdit.shortener.apply(to: encoded, material: Self.material, salt: 1) == nil)
    }

    @Test func anEditThatCannotApplyGivesNil() {
        let image = Array("From: a@b\r\nContent-Type: image/png\r\n\r\nxx\r\n".utf8)
        #expect(AttackEdit.goodWords.apply(to: image, material: Self.material, salt: 1) == nil)
        let none = AttackMaterial(goodWords: [], paragraphs: [], subjects: [], seed: 1)
        #expect(AttackEdit.hamParagraph.apply(to: Self.plain, material: none, salt: 1) == nil)
    }

    /// A filter that trusts reply headers and list headers: the attacker finds the reply edit first, then
    /// the list edit, and stops at inbox; the budget bounds the queries.
    @Test func greedySearchKeepsTheBestEditEachRound() throws {
        func ask(_ bytes: [UInt8]) -> AdaptiveAttack.Answer {
            let m = try! Self.parse(bytes)
            var p = 0.99
            if m.headers["in-reply-to"] != nil { p -= 0.5 }
            if m.headers["list-id"] != nil { p -= 0.45 }
            return .init(probability: p, action: p >= 0.9 ? .reject : p >= 0.4 ? .quarantine : p >= 0.1 ? .tag : .inbox)
        }
        let attack = AdaptiveAttack(material: Self.material, budget: 20)
        let o = attack.run(Self.plain, salt: 3, ask: ask)
        #expect(o.start.action == .reject && o.end.action == .inbox && o.applied == [.reply, .list] && o.lowest == .inbox)
        #expect(o.lowestEdits == [.reply, .list])
        let applicable = AttackEdit.defaultEdits.count
        #expect(o.queries == 1 + applicable + applicable - 1)
        let tight = AdaptiveAttack(material: Self.material, budget: 4).run(Self.plain, salt: 3, ask: ask)
        #expect(tight.queries == 4 && tight.applied == [.reply] && tight.end.action == .quarantine)
        // A filter nothing moves: one round, then the attacker gives up.
        let stuck = attack.run(Self.plain, salt: 3) { _ in .init(probability: 0.99, action: .reject) }
        #expect(stuck.applied.isEmpty && stuck.queries == 1 + applicable && stuck.lowest == .reject)
    }
}

/// The shipped model under the attack's reply and list edits, as `serve` reads them: a made-up In-Reply-To and a
/// `Re:`, or a made-up list, buy nothing, where read as written they lower the verdicts.
@Suite(.enabled(if: TestPaths.corpusRoot != nil, "../shared/corpus is not present"))
struct ForgedReplyTests {
    /// Runs `edit` alone on the first 150 SpamAssassin spams that `applies` to, asking `checked` (as serve reads the
    /// message) and `asWritten`; for each one `checked` puts at `tag` or above: the two outcomes and the file.
    static func attack(
        _ edit: AttackEdit, applies: (Message) -> Bool, checked: ([UInt8]) -> AdaptiveAttack.Answer, asWritten: ([UInt8]) -> AdaptiveAttack.Answer
    ) throws -> [(file: String, checked: AdaptiveAttack.Outcome, asWritten: AdaptiveAttack.Outcome)] {
        let dir = try #require(TestPaths.corpusRoot).appendingPathComponent("spamassassin/messages")
        let attack = AdaptiveAttack(edits: [edit], material: AttackMaterial(goodWords: [], paragraphs: [], subjects: [], seed: 1))
        var out: [(file: String, checked: AdaptiveAttack.Outcome, asWritten: AdaptiveAttack.Outcome)] = []
        for file in try FileManager.default.contentsOfDirectory(atPath: dir.path).sorted().filter({ $0.hasPrefix("spam") }).prefix(150) {
            let bytes = [UInt8](try Data(contentsOf: dir.appendingPathComponent(file)))
            guard let message = try? MessageParser().parse(bytes), applies(message) else { continue }
            let outcome = attack.run(bytes, salt: 1, ask: checked)
            guard outcome.start.action >= .tag else { continue }
            out.append((file, outcome, attack.run(bytes, salt: 1, ask: asWritten)))
        }
        return out
    }

    @Test func aForgedReplyBuysNoLowerAction() throws {
        let cascade = try ShippedModel.cascade()
        var scratch = cascade.makeScratch()
        func ask(_ bytes: [UInt8], trusting: Bool) -> AdaptiveAttack.Answer {
            let message = try! MessageParser().parse(bytes)
            let discount = !trusting && ReplyClaim(message).claims  // the site knows no Message-ID
            let v = cascade.classify(cascade.extractor.analyze(message, discountingReply: discount), scratch: &scratch)
            return .init(probability: v.probability, action: v.action)
        }
        let outcomes = try Self.attack(.reply, applies: { _ in true }, checked: { ask($0, trusting: false) }, asWritten: { ask($0, trusting: true) })
        for (file, checked, _) in outcomes {
            #expect(checked.lowest >= checked.start.action, "\(file): \(checked.start.action) -> \(checked.lowest)")
            #expect(abs(checked.end.probability - checked.start.probability) < 0.05, "\(file)")
        }
        let loweredAsWritten = outcomes.count { $0.asWritten.end.probability < $0.asWritten.start.probability - 0.05 }
        #expect(outcomes.count > 100)
        #expect(loweredAsWritten >= 5, "\(loweredAsWritten) of \(outcomes.count) lowered by a reply read as written")
    }

    /// The attack's list edit (a made-up List-Id, List-Unsubscribe, `Precedence: list`) names a list the envelope
    /// sender does not corroborate: read as `serve` reads it, it buys nothing; read as written, it lowers verdicts.
    @Test func aForgedListBuysNoLowerAction() throws {
        let cascade = try ShippedModel.cascade()
        var scratch = cascade.makeScratch()
        func ask(_ bytes: [UInt8], reading: ListClaim.Reading) -> AdaptiveAttack.Answer {
            let v = cascade.classify(cascade.extractor.analyze(try! MessageParser().parse(bytes), lists: reading), scratch: &scratch)
            return .init(probability: v.probability, action: v.action)
        }
        let outcomes = try Self.attack(
            .list, applies: { !ListClaim($0).claims }, checked: { ask($0, reading: .corroborated) }, asWritten: { ask($0, reading: .asWritten) })
        for (file, checked, _) in outcomes {
            #expect(checked.lowest >= checked.start.action, "\(file): \(checked.start.action) -> \(checked.lowest)")
            #expect(abs(checked.end.probability - checked.start.probability) < 0.05, "\(file)")
        }
        // Most of these spams sit near probability 1: a drop of half a unit of log-odds is the measure.
        func logOdds(_ p: Double) -> Double { log(max(p, 1e-12) / max(1 - p, 1e-12)) }
        let loweredAsWritten = outcomes.count { logOdds($0.asWritten.end.probability) < logOdds($0.asWritten.start.probability) - 0.5 }
        #expect(outcomes.count > 100)
        #expect(loweredAsWritten >= 10, "\(loweredAsWritten) of \(outcomes.count) lowered by a list read as written")
    }
}

@Suite struct StaticObfuscationTests {
    static let plain = Array("From: a@spam.example\r\nSubject: offer\r\nContent-Type: text/plain; charset=us-ascii\r\n\r\nCheap replica watches, order today from our store.\r\n".utf8)
    static let html = Array("From: a@spam.example\r\nSubject: offer\r\nContent-Type: text/html\r\n\r\n<p class=\"x\">Cheap replica watches today</p>\r\n".utf8)
    static let material = AttackMaterial(goodWords: ["meeting", "thanks"], paragraphs: [], subjects: [], seed: 3)

    static func text(_ bytes: [UInt8]?) throws -> String {
        let edited = try #require(bytes)
        return try #require(try MessageParser().parse(edited).root.text)
    }

    /// Each edit changes the visible text as it says; the identity rewrite keeps it, and the analyser's
    /// normaliser undoes the character tricks.
    @Test func eachEditDoesWhatItSays() throws {
        let m = Self.material
        #expect(try Self.text(StaticObfuscation.homoglyphs.apply(to: Self.plain, material: m, salt: 1)).contains("Ch\u{0435}ap"))  // Cyrillic е
        #expect(try Self.text(StaticObfuscation.leetspeak.apply(to: Self.plain, material: m, salt: 1)).contains("Ch3ap"))
        #expect(try Self.text(StaticObfuscation.zeroWidth.apply(to: Self.plain, material: m, salt: 1)).contains("Ch\u{200B}eap"))
        #expect(try Self.text(StaticObfuscation.splitWords.apply(to: Self.plain, material: m, salt: 1)).contains("C h e a p"))
        #expect(try Self.text(StaticObfuscation.htmlSplit.apply(to: Self.html, material: m, salt: 1)).contains("<p class=\"x\">Ch<b></b>eap"))
        #expect(StaticObfuscation.htmlSplit.apply(to: Self.plain, material: m, salt: 1) == nil)
        let b64 = try MessageParser().parse(try #require(StaticObfuscation.base64.apply(to: Self.plain, material: m, salt: 1)))
        #expect(b64.headers["content-transfer-encoding"] == "base64" && b64.root.text?.contains("Cheap replica watches") == true)
        let padded = try Self.text(StaticObfuscation.padding.apply(to: Self.plain, material: m, salt: 1))
        #expect(padded.components(separatedBy: "meeting").count - 1 >= 75)
        for edit in StaticObfuscation.allCases where edit != .htmlSplit {
            let same = try Self.text(edit.apply(to: Self.plain, material: m, salt: 1, identity: true))
            #expect(same.contains("Cheap replica watches, order today from our store."), "\(edit)")
        }
        let analysed = try MessageAnalyzer().analyze(try #require(StaticObfuscation.homoglyphs.apply(to: Self.plain, material: m, salt: 1)))
        #expect(analysed.normalizedBody.text.contains("cheap replica watches"))
        // Multipart messages are left out.
        let multipart = Array("From: a@b\r\nContent-Type: multipart/mixed; boundary=b\r\n\r\n--b\r\nContent-Type: text/plain\r\n\r\nCheap pills\r\n--b--\r\n".utf8)
        #expect(StaticObfuscation.leetspeak.apply(to: multipart, material: m, salt: 1) == nil)
    }
}
