import Testing

@testable import MailsiftCore

@Suite struct ReplyClaimTests {
    static func message(_ headers: String, body: String = "hello\r\n") throws -> Message {
        try MessageParser().parse(Array((headers + "\r\n" + body).utf8))
    }

    @Test func namesTheReferencedMessageIDsNewestFirstAndCapped() throws {
        let refs = (0..<40).map { "<r\($0)@x.example>" }.joined(separator: " ")
        let m = try Self.message("From: a@b.example\r\nIn-Reply-To: <r39@x.example>\r\nReferences: \(refs)\r\nSubject: Re: AW: hi\r\n")
        let claim = ReplyClaim(m)
        #expect(claim.claims && claim.threadFields && claim.subjectPrefix)
        #expect(claim.referenced.count == ReplyClaim.maximumReferences)
        // In-Reply-To first, then References from the newest, without repeating In-Reply-To's.
        #expect(claim.referenced[0] == ReplyClaim.key("<r39@x.example>"))
        #expect(claim.referenced[1] == ReplyClaim.key("r38@x.example"))
        #expect(ReplyClaim.key(" <a@b> ") == ReplyClaim.key("a@b") && ReplyClaim.key("A@b") != ReplyClaim.key("a@b"))
        #expect(ReplyClaim.key("<>") == nil && ReplyClaim.key(String(repeating: "x", count: 300)) == nil)
    }

    @Test func recognisesReplyPrefixesNotForwards() {
        for s in ["Re: x", "RE:x", "re[2]: x", "AW: Re: x", "  SV : x", "Antw: x", "Re^3: x", "Re\u{FF1A} x"] { #expect(ReplyClaim.hasReplyPrefix(s), "\(s)") }
        for s in ["Fwd: x", "Regarding: x", "Return policy", "Re x", "", "Reply needed"] { #expect(!ReplyClaim.hasReplyPrefix(s), "\(s)") }
        #expect(ReplyClaim.replyPrefixLength("Re: AW: hello") == 7)
    }

    @Test func aMessageWithoutAClaimClaimsNothing() throws {
        let claim = ReplyClaim(try Self.message("From: a@b.example\r\nSubject: Fwd: news\r\nMessage-ID: <m@x>\r\n"))
        #expect(!claim.claims && claim.referenced.isEmpty)
    }

    /// Discounted, the message has no thread fields and no reply prefix, and every stage reads it so: its
    /// features equal those of the same message written without the claim.
    @Test func aDiscountedMessageReadsAsOneWithoutTheClaim() throws {
        let claimed = try Self.message(
            "From: a@b.example\r\nTo: c@d.example\r\nSubject: Re: RE: cheap pills\r\nIn-Reply-To: <x@y>\r\nReferences: <w@y> <x@y>\r\nThread-Index: AdYabc==\r\nMessage-ID: <m@b.example>\r\n",
            body: "buy now\r\n")
        let plain = try Self.message("From: a@b.example\r\nTo: c@d.example\r\nSubject: cheap pills\r\nMessage-ID: <m@b.example>\r\n", body: "buy now\r\n")
        let discounted = ReplyClaim.discounted(claimed)
        #expect(discounted.subject == "cheap pills")
        #expect(discounted.headers.first("in-reply-to") == nil && discounted.headers.first("references") == nil && discounted.headers.first("thread-index") == nil)
        #expect(!ReplyClaim(discounted).claims)
        let extractor = FeatureExtractor(configuration: FeatureConfiguration())
        let a = extractor.analyze(claimed, discountingReply: true)
        let b = extractor.analyze(plain)
        #expect(a.replyDiscounted && !b.replyDiscounted)
        #expect(a.normalizedSubject.text == b.normalizedSubject.text)
        var fa: [UInt64] = [], fb: [UInt64] = [], ea: [Int] = [], eb: [Int] = []
        extractor.features(of: a, into: &fa, viewEnds: &ea)
        extractor.features(of: b, into: &fb, viewEnds: &eb)
        #expect(fa == fb)
        let ta = MetadataFeatureExtractor().values(of: a), tb = MetadataFeatureExtractor().values(of: b)
        for f in MetadataFeature.allCases where [.conversation, .subject].contains(f.group) {
            #expect(ta[f.rawValue].bitPattern == tb[f.rawValue].bitPattern, "\(f)")
        }
    }
}

@Suite struct MessageLedgerTests {
    @Test func answersWithinTheRetentionWindowOnly() async {
        let ledger = InMemoryMessageLedger(policy: MessageLedgerPolicy(retentionSeconds: 100, capacity: 10))
        await ledger.record([1, 2], at: 1_000)
        #expect(await ledger.knowsAny([3, 2], at: 1_050))
        #expect(await !ledger.knowsAny([3], at: 1_050))
        #expect(await !ledger.knowsAny([1, 2], at: 1_101))
        #expect(await !ledger.knowsAny([], at: 1_000))
        // Recorded again, a key's window starts again.
        await ledger.record([1], at: 1_090)
        #expect(await ledger.knowsAny([1], at: 1_150))
        #expect(await !ledger.knowsAny([2], at: 1_150))
    }

    @Test func evictsTheOldestPastItsCapacity() {
        let ledger = InMemoryMessageLedger(policy: MessageLedgerPolicy(retentionSeconds: 1_000_000, capacity: 100))
        for k in 0..<100 { ledger.recordNow([UInt64(k)], at: Int64(k)) }
        ledger.recordNow([0], at: 200)  // the oldest, seen again: it stays
        for k in 100..<150 { ledger.recordNow([UInt64(k)], at: Int64(k + 200)) }
        #expect(ledger.count == 100)
        #expect(ledger.knowsAnyNow([0], at: 400) && ledger.knowsAnyNow([149], at: 400))
        #expect(!ledger.knowsAnyNow([1], at: 400) && !ledger.knowsAnyNow([50], at: 400) && ledger.knowsAnyNow([51], at: 400))
        let changed = ledger.takeChanged()
        #expect(changed.count == 150 && changed[0] == 200 && ledger.takeChanged().isEmpty)
    }

    @Test func startsFromSavedEntries() {
        let ledger = InMemoryMessageLedger(policy: MessageLedgerPolicy(retentionSeconds: 50, capacity: 2), entries: [7: 10, 8: 20, 9: 30])
        #expect(ledger.count == 2 && !ledger.knowsAnyNow([7], at: 30) && ledger.knowsAnyNow([8, 9], at: 30))
    }
}
