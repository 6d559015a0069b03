import Foundation
import MailsiftCore
import MailsiftFiles
import Testing

/// The parts of language evidence that need no detector: the script census, the rules on a message's language,
/// and the recipients' language profile in the sender state.
@Suite struct LanguageProfileTests {
    @Test func theCensusNamesTheScriptOfMostLetters() {
        #expect(ScriptCensus("Hello there, friend").dominant == "Latn")
        #expect(ScriptCensus("Привет, как дела? 123").dominant == "Cyrl")
        #expect(ScriptCensus("会議の議事録を添付します").dominant == "Jpan")
        #expect(ScriptCensus("会议纪要见附件").dominant == "Hani")
        #expect(ScriptCensus("회의록을 첨부합니다").dominant == "Kore")
        #expect(ScriptCensus("مرفق محضر الاجتماع").dominant == "Arab")
        #expect(ScriptCensus("12345 !!! ---").dominant == "Zyyy")
        #expect(ScriptCensus("Hello there").significant == 1)
        // Cyrillic look-alikes in Latin words: two scripts, each over a tenth of the letters.
        #expect(ScriptCensus("Pаypаl аccоunt vеrificаtiоn").significant == 2)
        // Kana with Han is one writing system.
        #expect(ScriptCensus("会議の議事録を添付します").significant == 1)
        // Bounded: a huge text is counted up to the cap.
        #expect(ScriptCensus(String(repeating: "a", count: 100_000)).letters == ScriptCensus.maximumScalars)
    }

    static func analyzed(language: String, reliable: Bool = true, script: String = "Latn") throws -> AnalyzedMessage {
        var a = try MessageAnalyzer().analyze(Array("From: a@example.org\r\nTo: b@example.org\r\nSubject: hi\r\n\r\nhello\r\n".utf8))
        a.language = LanguageGuess(language: language, percent: 99, reliable: reliable, script: script, scripts: 1)
        return a
    }

    @Test func rulesTestTheLanguageAndScript() throws {
        let rules = try RulesFile.parse("""
            rules:
              - name: UNWANTED_LANGUAGE
                language_not: [en, de, "no"]
                score: 1.5
              - name: CHINESE
                language: [zh, zh-Hant]
                score: 1
              - name: CYRILLIC
                script: [Cyrl]
                score: 0.5
            """)
        #expect(rules.readsLanguage)
        #expect(try !RulesFile.parse("rules:\n  - name: A\n    gtube: true\n    action: reject\n").readsLanguage)
        func hits(_ a: AnalyzedMessage) -> [String] { rules.evaluate(a, envelope: Envelope()).hits.map(\.name) }
        #expect(hits(try Self.analyzed(language: "en")) == [])
        #expect(hits(try Self.analyzed(language: "no")) == [])
        #expect(hits(try Self.analyzed(language: "zh", script: "Hani")) == ["UNWANTED_LANGUAGE", "CHINESE"])
        #expect(hits(try Self.analyzed(language: "ru", script: "Cyrl")) == ["UNWANTED_LANGUAGE", "CYRILLIC"])
        // A language the detector was not sure of matches no language test (the script still counts).
        #expect(hits(try Self.analyzed(language: "ru", reliable: false, script: "Cyrl")) == ["CYRILLIC"])
        // Without detection (language off), nothing.
        #expect(rules.evaluate(try MessageAnalyzer().analyze(Array("From: a@b.example\r\n\r\nhi\r\n".utf8)), envelope: Envelope()).hits.isEmpty)
        #expect(throws: RuleError.self) { try RulesFile.parse("rules:\n  - name: A\n    language: []\n    score: 1\n") }
    }

    @Test func profileKeysAreBoundedAndSkipUnknownLanguages() {
        let many = (0..<10).map { "user\($0)@example.org" }
        let keys = SenderKeys.languageProfile(language: "de", recipients: many + many)
        #expect(keys.count == 2 * SenderKeys.maxProfileRecipients)
        #expect(keys.contains(ReputationKey(.recipientLanguage, "de|user0@example.org")))
        #expect(SenderKeys.languageProfile(language: "un", recipients: many).isEmpty)
        var k = SenderKeys(fromDomain: "shop.example")
        k.languageProfile = keys
        #expect(k.reputationKeys.count == 1 + keys.count)
        // Kept through the feature log's JSON, so feedback teaches the profile too.
        let decoded = try? JSONDecoder().decode(SenderKeys.self, from: JSONEncoder().encode(k))
        #expect(decoded?.languageProfile == keys)
    }

    /// Verdicts teach the recipients' profile; two recipients' profiles add up when read together, and the share of a
    /// language is its evidence over all their known mail.
    @Test func theShareOfALanguageInARecipientsMail() {
        let store = InMemorySenderStateStore()
        let t: Int64 = 1_800_000_000
        func keys(_ language: String, _ recipients: [String]) -> SenderKeys {
            .content(campaigns: nil, languageProfile: SenderKeys.languageProfile(language: language, recipients: recipients))
        }
        for _ in 0..<15 { store.learn(keys("en", ["alice@example.org"]), spam: false, weight: 0.2, at: t) }
        for _ in 0..<5 { store.learn(keys("de", ["alice@example.org"]), spam: false, weight: 0.2, at: t) }
        for _ in 0..<4 { store.learn(keys("ru", ["alice@example.org"]), spam: true, weight: 0.2, at: t) }
        let de = store.observe(keys("de", ["alice@example.org"]), at: t)
        #expect(abs((de.languageShare ?? -1) - 5.0 / 24) < 1e-9)
        let ru = store.observe(keys("ru", ["alice@example.org"]), at: t)
        #expect(abs((ru.languageShare ?? -1) - 4.0 / 24) < 1e-9)
        #expect((ru.reputations[.recipientLanguage]?.spamRate ?? 0) > 0.5)
        let ja = store.observe(keys("ja", ["alice@example.org"]), at: t)
        #expect(ja.languageShare == 0)
        // A recipient with no profile adds nothing; alice's evidence still counts.
        let both = store.observe(keys("ja", ["alice@example.org", "nobody@example.org"]), at: t)
        #expect(both.languageShare == 0)
        #expect(abs((both.reputations[.recipient]?.evidence ?? 0) - 4.8) < 1e-9)
        // Too little mail known: no share.
        let bob = store.observe(keys("en", ["bob@example.org"]), at: t)
        #expect(bob.languageShare == nil)
        var row = [Float](repeating: 0, count: MetadataFeature.allCases.count)
        de.fill(&row)
        #expect(abs(row[MetadataFeature.recipientLanguageShare.rawValue] - Float(5.0 / 24)) < 1e-6)
        bob.fill(&row)
        #expect(row[MetadataFeature.recipientLanguageShare.rawValue].isNaN)
    }
}

/// A campaign's distinct senders and recipients (``DistinctMembers``), in process.
@Suite struct DistinctMembersTests {
    @Test func membersAreCountedOverTwoHoursAndCapped() {
        var d = DistinctMembers()
        let t: Int64 = 1_800_000_000 - 1_800_000_000 % 3_600
        #expect(d.add([1, 2, 2, 3], at: t) == 3)
        #expect(d.add([3], at: t + 60) == 3)
        // The next hour: the last one still counts; two hours on, it is gone.
        #expect(d.add([4], at: t + 3_600) == 4)
        #expect(d.add([4], at: t + 3 * 3_600) == 1)
        // An older event than the current hour is not added.
        #expect(d.add([9], at: t) == 1)
        // Capped: a campaign to thousands is "the cap or more".
        var big = DistinctMembers()
        #expect(big.add((0..<1_000).map { UInt32($0) }, at: t) == DistinctMembers.cap)
        #expect(DistinctMembers.hash("A@Example.org") == DistinctMembers.hash("a@example.org"))
    }

    @Test func theStoreCountsACampaignsSendersAndRecipients() {
        let store = InMemorySenderStateStore()
        let t: Int64 = 1_800_000_000
        var state = SenderState()
        for (i, sender) in ["a@one.example", "b@two.example", "a@one.example"].enumerated() {
            var message = SenderKeys(envelopeSender: sender, recipients: ["u\(i)@example.org", "shared@example.org"])
            message.campaigns = nil
            state = store.observe(.content(campaigns: ["t0:1", "l0:2"], languageProfile: nil, of: message), at: t + Int64(i))
        }
        #expect(state.campaignSenders == 2)
        #expect(state.campaignRecipients == 4)
        #expect(state.count(.campaign, .hour) == 3)
        // Without the message's keys, nothing is counted but the campaign.
        #expect(store.observe(.content(campaigns: ["t0:1"], languageProfile: nil), at: t + 5).campaignSenders == nil)
    }
}

/// The fuzzy list's removals and users' reports, in the core.
@Suite struct FuzzyReportsTests {
    static func variant(_ name: String) throws -> CampaignFingerprint {
        let body = """
            Dear \(name), our records show that your mailbox storage is almost full. To keep receiving messages you must \
            verify your account within 24 hours. Click the secure link below and sign in with your current password to \
            confirm your identity. Accounts that are not verified will be suspended and all stored mail deleted.
            """
        return CampaignFingerprint(try MessageAnalyzer().analyze(Array("From: a@b.example\r\nSubject: Mailbox\r\n\r\n\(body)\r\n".utf8)))
    }

    @Test func threeUsersMakeAnEntryOnce() throws {
        var reports = FuzzyReports(users: 3)
        #expect(reports.report(try Self.variant("alice"), label: .spam, user: "u1", at: 1) == nil)
        #expect(reports.report(try Self.variant("bob"), label: .spam, user: "U1", at: 2) == nil)  // the same user
        #expect(reports.report(try Self.variant("carol"), label: .ham, user: "u2", at: 3) == nil)  // another label
        #expect(reports.report(try Self.variant("dave"), label: .spam, user: "u2", at: 4) == nil)
        let entry = reports.report(try Self.variant("erin"), label: .spam, user: "u3", at: 5)
        #expect(entry?.action == .block && entry?.note == "reported as spam by 3 users")
        #expect(reports.report(try Self.variant("frank"), label: .spam, user: "u4", at: 6) == nil)  // once
        // Too short for a fingerprint: not counted.
        let short = CampaignFingerprint(try MessageAnalyzer().analyze(Array("From: a@b.example\r\n\r\nhi\r\n".utf8)))
        #expect(reports.report(short, label: .spam, user: "u5", at: 7) == nil)
    }

    @Test func removalsAreRecordedAndReplayed() throws {
        var list = FuzzyList()
        let entry = FuzzyList.Entry(action: .block, fingerprint: try Self.variant("alice"), note: "n", added: 1)
        let records: [FuzzyList.Record] = [.entry(entry), .removal(.init(removed: entry.id, at: 2))]
        for r in records { #expect(FuzzyList.Record(json: r.json.utf8) == r) }
        var applied = list.apply(records[0])
        #expect(applied)
        #expect(list.match(try Self.variant("bob")) != nil)
        applied = list.apply(records[1])
        #expect(applied)
        let bob = try Self.variant("bob")
        #expect(list.count == 0 && list.match(bob) == nil && list.all.isEmpty)
        applied = list.apply(records[1])
        #expect(!applied)
        applied = list.apply(records[0])  // added again after its removal
        #expect(applied)
        #expect(list.count == 1 && list.match(bob) != nil)
        #expect(FuzzyList.Record(json: "{\"nope\": 1}".utf8) == nil)
    }
}

/// Links inside attached PDFs: decoded from literal and hex strings, bounded, and read by the rules' `url_domain`.
@Suite struct PDFLinkTests {
    @Test func linksAreDecodedAndReadByRules() throws {
        let pdf = Array("""
            %PDF-1.4
            1 0 obj << /A << /S /URI /URI (http://evil.example/a\\(1\\)) >> >> endobj
            2 0 obj << /A << /S /URI /URI <68747470733A2F2F6865782E6578616D706C652F> >> >> endobj
            3 0 obj << /A << /S /URI /URI (http://evil.example/a\\(1\\)) >> >> endobj
            4 0 obj << /A << /S /URI /URI (unclosed http://tail.example/
            """.utf8)
        let f = try #require(AttachmentScan.pdf(pdf))
        #expect(f.uris == 4)
        #expect(f.links == ["http://evil.example/a(1)", "https://hex.example/", "unclosed http://tail.example/"])
        // Bounded: a thousand links count, twenty are kept.
        let many = Array(("%PDF-1.4\n" + (0..<1_000).map { "/URI (http://h\($0).example/)" }.joined(separator: "\n")).utf8)
        let m = try #require(AttachmentScan.pdf(many))
        #expect(m.uris == 1_000 && m.links.count == AttachmentReport.PDFFindings.maximumLinks)

        var a = try MessageAnalyzer().analyze(Array("From: a@b.example\r\nSubject: invoice\r\n\r\nsee the attachment\r\n".utf8))
        var report = AttachmentReport(filename: "invoice.pdf", contentType: "application/pdf", bytes: pdf.count)
        report.pdf = f
        a.attachments = [report]
        #expect(a.attachmentURLs.map(\.host) == ["evil.example", "hex.example"])
        #expect(a.urls.isEmpty)  // the models' URLs are the body's only
        let rules = try RulesFile.parse("rules:\n  - name: BAD_LINK\n    url_domain: [hex.example]\n    score: 3\n")
        #expect(rules.evaluate(a, envelope: Envelope()).hits.map(\.name) == ["BAD_LINK"])
    }
}
