import MailsiftCore
import Testing

/// The dashboard's bookkeeping: per-minute counts and latency, days of scores and feedback, recent verdicts, masking.
@Suite struct VerdictLedgerTests {
    static let t0: Int64 = 1_796_601_600  // 2026-12-07 00:00:00 UTC

    static func entry(_ time: Int64, key: String, action: Action = .inbox, stage: Cascade.Stage = .combined, p: Double = 0.01, us: Int = 400) -> VerdictLedger.Entry {
        VerdictLedger.Entry(
            time: time, messageKey: key, senderDomain: "mail.example.com", action: action, stage: stage, probability: p, degraded: false,
            latencyMicroseconds: us, modelVersion: "m1", reasons: ["r"])
    }

    @Test func minutesCountByActionAndStageAndGiveLatencyQuantiles() {
        var l = VerdictLedger()
        for i in 0..<90 { l.record(Self.entry(Self.t0 + 5, key: "a\(i)", us: 400)) }
        for i in 0..<10 { l.record(Self.entry(Self.t0 + 30, key: "b\(i)", action: .reject, stage: .rules, p: 0.999, us: 20_000)) }
        l.record(Self.entry(Self.t0 + 65, key: "c", action: .tag, stage: .trees, p: 0.6))
        let minutes = l.minutes(3, now: Self.t0 + 70)
        #expect(minutes.map(\.start) == [Self.t0 - 60, Self.t0, Self.t0 + 60])
        #expect(minutes.map(\.total) == [0, 100, 1])
        #expect(minutes[1].count(.reject, .rules) == 10 && minutes[1].count(.inbox, nil) == 90 && minutes[1].count(nil, .rules) == 10)
        #expect(minutes[2].count(.tag, .trees) == 1)
        #expect(VerdictLedger.latencyQuantile(0.5, of: [minutes[1]]) == 500)
        #expect(VerdictLedger.latencyQuantile(0.9, of: [minutes[1]]) == 500)
        #expect(VerdictLedger.latencyQuantile(0.95, of: [minutes[1]]) == 25_000)
        #expect(VerdictLedger.latencyQuantile(0.5, of: [minutes[0]]) == nil)
        #expect(l.total == 101)
        // The day: its score bins and actions.
        let day = l.days(1, now: Self.t0 + 70)[0]
        #expect(day.start == Self.t0 && day.verdicts == 101 && day.actions == [90, 1, 0, 10])
        #expect(day.scores[0] == 90 && day.scores[12] == 1 && day.scores[19] == 10)
        // Hours sum their minutes.
        let hours = l.hours(2, now: Self.t0 + 70)
        #expect(hours.map(\.total) == [0, 101] && hours[1].count(.reject, nil) == 10)
    }

    @Test func aMinuteSlotIsReusedADayLaterAndAnOldTimeResetsNothing() {
        var c = VerdictLedger.Configuration()
        c.minutes = 60
        c.days = 2
        var l = VerdictLedger(configuration: c)
        l.record(Self.entry(Self.t0, key: "a"))
        l.record(Self.entry(Self.t0 + 3_600, key: "b"))  // the same slot, an hour later
        #expect(l.minutes(1, now: Self.t0 + 3_600)[0].total == 1)
        #expect(l.minutes(60, now: Self.t0 + 3_600).map(\.total).reduce(0, +) == 1)
        l.record(Self.entry(Self.t0, key: "late"))  // a clock stepped back: counted in no minute (its day, yes)
        #expect(l.minutes(1, now: Self.t0 + 3_600)[0].total == 1)
        l.record(Self.entry(Self.t0 + 2 * 86_400, key: "c"))
        l.record(Self.entry(Self.t0, key: "older"))  // its day's slot holds a later day now
        #expect(l.days(2, now: Self.t0 + 2 * 86_400).map(\.verdicts) == [0, 1])
        #expect(l.recent(limit: 10).map(\.messageKey) == ["older", "c", "late", "b", "a"])
    }

    @Test func feedbackIsJudgedAgainstTheRememberedVerdict() {
        var l = VerdictLedger()
        l.record(Self.entry(Self.t0, key: "in", action: .inbox))
        l.record(Self.entry(Self.t0, key: "held", action: .quarantine, p: 0.99))
        l.record(Self.entry(Self.t0, key: "tagged", action: .tag, p: 0.6))
        l.feedback(messageKey: "in", spam: true, at: Self.t0 + 100)  // spam found in the inbox
        l.feedback(messageKey: "tagged", spam: true, at: Self.t0 + 100)  // tag delivers: spam in the inbox too
        l.feedback(messageKey: "held", spam: false, at: Self.t0 + 100)  // rescued
        l.feedback(messageKey: "held", spam: true, at: Self.t0 + 100)  // agreed
        l.feedback(messageKey: "unknown", spam: false, at: Self.t0 + 100)
        let f = l.days(1, now: Self.t0 + 100)[0].feedback
        #expect(f.spamReports == 3 && f.hamReports == 2)
        #expect(f.spamInInbox == 2 && f.rescued == 1 && f.agreed == 1 && f.unmatched == 1)
    }

    @Test func recentVerdictsAreBoundedNewestFirstAndKeysLiveTwoGenerations() {
        var c = VerdictLedger.Configuration()
        c.recent = 3
        c.keys = 4
        var l = VerdictLedger(configuration: c)
        for i in 0..<5 { l.record(Self.entry(Self.t0 + Int64(i), key: "k\(i)")) }
        #expect(l.recent(limit: 10).map(\.messageKey) == ["k4", "k3", "k2"])
        #expect(l.recent(limit: 10, key: "k3").map(\.messageKey) == ["k3"])
        #expect(l.recent(limit: 10, key: "k0").isEmpty)
        // Two generations of two keys: k2, k3 (previous) and k4 (current) are remembered; k0 and k1 are gone.
        #expect(l.verdict("k0") == nil && l.verdict("k1") == nil)
        #expect(l.verdict("k2")?.time == Self.t0 + 2 && l.verdict("k4")?.action == .inbox)
    }

    @Test func sendersAreMaskedAndWordsOfTheMessageAreNotShown() {
        #expect(VerdictLedger.mask(domain: "Mail.PayPal.com") == "pa****.com")
        #expect(VerdictLedger.mask(domain: "ab.org") == "ab*.org")
        #expect(VerdictLedger.mask(domain: "example.co.uk").hasPrefix("ex"))
        #expect(!VerdictLedger.mask(domain: "example.co.uk").contains("example"))
        let word = Cascade.Reason(stage: .text, feature: "viagra", weight: 2.5, text: "body word \"viagra\" (+2.50)")
        #expect(VerdictLedger.describe(word) == "body word … (+2.50)")
        #expect(!VerdictLedger.describe(word).contains("viagra"))
        let subject = Cascade.Reason(stage: .text, feature: "your", weight: -1.26, text: "subject word \"your\" (-1.26)")
        #expect(VerdictLedger.describe(subject) == "subject word … (-1.26)")
        let fragment = Cascade.Reason(stage: .text, feature: " the", weight: 0.47, text: "text contains \" the\" (+0.47)")
        #expect(VerdictLedger.describe(fragment) == "text fragment … (+0.47)")
        let header = Cascade.Reason(stage: .text, feature: "x-mailer: foo", weight: 0.3, text: "header contains \"x-mailer: foo\" (+0.30)")
        #expect(VerdictLedger.describe(header) == "header fragment … (+0.30)")
        let from = Cascade.Reason(stage: .text, feature: "from_domain=paypal.com", weight: 0.61, text: "header: from_domain=paypal.com (+0.61)")
        #expect(VerdictLedger.shown(VerdictLedger.describe(from)) == "header: from_domain=pa****.com (+0.61)")
        let link = Cascade.Reason(stage: .text, feature: "domain=example.org", weight: 0.2, text: "URL: domain=example.org (+0.20)")
        #expect(VerdictLedger.shown(VerdictLedger.describe(link)) == "URL: domain=ex*****.org (+0.20)")
        #expect(VerdictLedger.shown("URL: ip_host (+1.70)") == "URL: ip_host (+1.70)")
        let url = Cascade.Reason(stage: .text, feature: "ip_host", weight: 1.7, text: "URL: ip_host (+1.70)")
        #expect(VerdictLedger.describe(url) == "URL: ip_host (+1.70)")
        let tree = Cascade.Reason(stage: .trees, feature: "replyToPresent", weight: 0.12, text: "Reply-To present: 1 (+0.12)")
        #expect(VerdictLedger.describe(tree) == tree.text)
    }

    @Test func histogramsBinProbabilitiesPerClass() {
        let h = ScoreHistogram(probabilities: [0, 0.04, 0.05, 0.5, 0.999, 1, .nan], labels: [false, false, false, true, true, true, true])
        #expect(h.ham[0] == 2 && h.ham[1] == 1 && h.spam[10] == 1 && h.spam[19] == 2)
        #expect(h.all.reduce(0, +) == 6)
        #expect(ScoreHistogram.shares([1, 3]) == [0.25, 0.75] && ScoreHistogram.shares([0, 0]) == [0, 0])
    }
}
