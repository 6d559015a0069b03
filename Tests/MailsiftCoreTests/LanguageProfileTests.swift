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
