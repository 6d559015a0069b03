import Foundation
import Testing
@testable import MailsiftCore

@Suite("Sender state: velocity, reputation, keys")
struct SenderStateTests {
    /// The documented bound, on random event streams: the count at t lies between the exact counts over
    /// the last W − b and the last W seconds.
    @Test(arguments: VelocityWindow.allCases)
    func slidingWindowCountsStayWithinTheirBound(window: VelocityWindow) {
        var rng = SplitMix64(seed: 7 + UInt64(window.rawValue))
        var counter = SlidingWindowCounter(window)
        var events: [Int64] = []
        var t: Int64 = 1_700_000_000
        for _ in 0..<1_500 {
            // Bursts and gaps: mostly short steps, sometimes a jump past the whole window.
            let r = rng.next() % 100
            t += r < 90 ? Int64(rng.next() % UInt64(window.bucketSeconds * 2)) : Int64(rng.next() % UInt64(window.seconds * 2))
            let n = UInt32(1 + rng.next() % 3)
            counter.add(n, at: t)
            events.append(contentsOf: repeatElement(t, count: Int(n)))
            let query = t + Int64(rng.next() % UInt64(window.bucketSeconds))
            let exactW = events.count { $0 > query - window.seconds }
            let exactShort = events.count { $0 > query - window.seconds + window.bucketSeconds }
            let c = Int(counter.count(at: query))
            #expect(c >= exactShort && c <= exactW, "t=\(query): \(exactShort) <= \(c) <= \(exactW)")
        }
    }

    @Test func anEventOlderThanTheWindowIsIgnoredAndALateOneInsideItCounts() {
        var c = SlidingWindowCounter(.minute)
        c.add(at: 1_000)
        c.add(at: 1_000 - 120)  // two minutes late: outside
        #expect(c.count(at: 1_000) == 1)
        c.add(at: 1_000 - 20)  // late but inside
        #expect(c.count(at: 1_000) == 2)
        #expect(c.count(at: 1_000 + 60) == 0)
        #expect(c.isEmpty(at: 1_000 + 60))
        #expect(!c.isEmpty(at: 1_000 + 30))
    }

    @Test func concurrentObservationsAreAllCounted() async {
        let store = InMemorySenderStateStore()
        let keys = SenderKeys(clientIP: "192.0.2.7", fromDomain: "example.com", recipients: ["a@example.org"])
        await withTaskGroup(of: Void.self) { group in
            for _ in 0..<8 {
                group.addTask { for _ in 0..<500 { _ = store.observe(keys, at: 2_000) } }
            }
        }
        let state = store.observe(keys, at: 2_000)
        #expect(state.count(.clientIP, .minute) == 4_001)
        #expect(state.count(.clientNetwork, .hour) == 4_001)
        #expect(state.count(.fromDomain, .day) == 4_001)
        #expect(state.count(.recipient, .hour) == 4_001)
        #expect(state.count(.envelopeSender, .hour) == nil)
    }

    @Test func storeEvictsIdleKeysPastItsCapacity() {
        let store = InMemorySenderStateStore(capacity: 100)
        // Two keys per message (IP and network; the network is shared): the 100th message makes 101 keys,
        // over capacity, and the store keeps 90% of it.
        for i in 0..<100 { _ = store.observe(SenderKeys(clientIP: "198.51.100.\(i)"), at: 0) }
        #expect(store.velocityKeyCount == 90)
        // Two days later, new senders push it over again: every key idle for a day goes.
        for i in 0..<20 { _ = store.observe(SenderKeys(clientIP: "203.0.113.\(i)"), at: 2 * 86_400) }
        #expect(store.velocityKeyCount == 21)
    }

    @Test func reputationStartsAtThePriorAndLearnsFeedbackHarderThanVerdicts() {
        let policy = ReputationPolicy()
        let store = InMemorySenderStateStore(policy: policy)
        let signed = ReputationPrior(mean: 0.2, strength: 4)
        let keys = SenderKeys(clientIP: "192.0.2.1", fromDomain: "shop.example", prior: signed)
        var s = store.observe(keys, at: 0)
        #expect(abs(s.reputations[.domain]!.spamRate - 0.2) < 1e-12)
        #expect(s.reputations[.domain]!.evidence == 0)
        store.learn(keys, spam: true, weight: policy.verdictWeight, at: 10)
        let afterVerdict = store.observe(keys, at: 10).reputations[.domain]!.spamRate
        store.learn(keys, spam: true, weight: policy.feedbackWeight, at: 20)
        s = store.observe(keys, at: 20)
        let afterFeedback = s.reputations[.domain]!.spamRate
        #expect(afterVerdict > 0.2 && afterVerdict < 0.25)
        #expect(afterFeedback - afterVerdict > 5 * (afterVerdict - 0.2))
        // (0.8 + 2.2) / (4 + 2.2)
        #expect(abs(afterFeedback - 3.0 / 6.2) < 1e-6)
        // Evidence halves over the half-life.
        let later = store.reputation(ReputationKey(.domain, "shop.example"), at: 20 + Int64(policy.halfLifeSeconds))!
        #expect(abs(later.evidence - 1.1) < 1e-6)
    }

    @Test func priorReadsAuthenticationResults() throws {
        let model = ReputationPrior.Model()
        let signed = try TestSupport.parse(
            "Authentication-Results: mx.example; spf=pass smtp.mailfrom=a.example; dkim=pass header.d=a.example; dmarc=pass\r\nFrom: a@a.example\r\n\r\nhi\r\n"
        )
        let forged = try TestSupport.parse(
            "Authentication-Results: mx.example; spf=fail smtp.mailfrom=a.example; dkim=fail; dmarc=fail\r\nFrom: a@a.example\r\n\r\nhi\r\n"
        )
        let plain = try TestSupport.parse("From: a@a.example\r\n\r\nhi\r\n")
        #expect(model.prior(for: plain).mean == 0.5)
        #expect(model.prior(for: signed).mean < 0.2)
        #expect(model.prior(for: forged).mean > 0.9)
    }

    @Test func keysComeFromTheEnvelopeElseTheHeaders() throws {
        let raw = """
            Received: from mx.example.net (mx.example.net [10.1.2.3]) by inbound.example.org; Mon, 2 Jan 2023 10:00:00 +0000\r
            Received: from sender.example.com (sender.example.com [203.0.113.9]) by mx.example.net; Mon, 2 Jan 2023 09:59:00 +0000\r
            Return-Path: <Bounce@Mail.Example.com>\r
            From: "Shop" <News@News.Shop.Example.co.uk>\r
            To: a@example.org, B@Example.org\r
            \r
            hello\r

            """
        let a = try MessageAnalyzer().analyze(Array(raw.utf8))
        let fromHeaders = SenderKeys(a)
        #expect(fromHeaders.clientIP == "203.0.113.9")  // the private hop is skipped
        #expect(fromHeaders.clientNetwork == "203.0.113.0/24")
        #expect(fromHeaders.envelopeSender == "bounce@mail.example.com")
        #expect(fromHeaders.fromDomain == "example.co.uk")
        #expect(fromHeaders.fromAddress == "news@news.shop.example.co.uk")
        #expect(fromHeaders.recipients == ["a@example.org", "b@example.org"])
        let envelope = Envelope(clientIP: "2001:db8:1:2:3::4", mailFrom: "<x@y.example>", recipients: ["<c@example.org>"])
        let fromEnvelope = SenderKeys(a, envelope: envelope)
        #expect(fromEnvelope.clientIP == "2001:db8:1:2:3::4")
        #expect(fromEnvelope.clientNetwork == "2001:db8:1:2::/64")
        #expect(fromEnvelope.envelopeSender == "x@y.example")
        #expect(fromEnvelope.recipients == ["c@example.org"])
        #expect(fromEnvelope.velocityKeys.map(\.description) == [
            "ip:2001:db8:1:2:3::4", "net:2001:db8:1:2::/64", "sender:x@y.example", "domain:example.co.uk", "rcpt:c@example.org",
        ])
    }

    /// The stream: a list's List-Id bound to its envelope domain, else the envelope sender; a verdict's keys
    /// (``SenderKeys/withoutStream``) teach no stream reputation, feedback's do.
    @Test func streamsAreListsOrSendersAndOnlyFeedbackTeachesThem() throws {
        func keys(_ headers: String, envelope: Envelope = Envelope()) throws -> SenderKeys {
            SenderKeys(try MessageAnalyzer().analyze(Array((headers + "From: a@b.example\r\nSubject: x\r\n\r\nbody\r\n").utf8)), envelope: envelope)
        }
        let list = try keys("Return-Path: <users-bounces+you=example.org@Lists.Example.org>\r\nList-Id: Users of X <Users.lists.example.org>\r\n")
        #expect(list.stream == "list:users.lists.example.org|example.org")
        #expect(try keys("Return-Path: <News@Shop.Example>\r\n").stream == "sender:news@shop.example")
        #expect(try keys("Return-Path: <>\r\nList-Id: <x.example>\r\n").stream == nil)
        #expect(try keys("Return-Path: <a@b.example>\r\n", envelope: Envelope(mailFrom: "<a\u{1}b@c.example>")).stream == nil)
        #expect(try keys("Return-Path: <a@b.example>\r\nList-Id: <\(String(repeating: "x", count: 300))>\r\n").stream == nil)
        let enveloped = try keys("Return-Path: <a@b.example>\r\nList-Id: <users.lists.example.org>\r\n", envelope: Envelope(mailFrom: "<bounce@other.example>"))
        #expect(enveloped.stream == "list:users.lists.example.org|other.example")
        #expect(list.reputationKeys.map(\.kind) == [.domain, .stream])
        let store = InMemorySenderStateStore()
        store.learn(list.withoutStream, spam: false, weight: 5, at: 1_000)
        #expect(store.observe(list, at: 1_001).reputations[.stream]?.evidence == 0)
        store.learn(list, spam: false, weight: 2, at: 1_002)
        store.learn(list, spam: false, weight: 2, at: 1_003)
        let state = store.observe(list, at: 1_004)
        #expect(StreamContext().trusts(state))
        store.learn(list, spam: true, weight: 2, at: 1_005)
        #expect(!StreamContext().trusts(store.observe(list, at: 1_006)))
        #expect(!StreamContext().trusts(store.observe(try keys("Return-Path: <news@shop.example>\r\n"), at: 1_007)))
    }

    @Test func senderStateFillsTheTreeColumnsAndTheirAbsenceLeavesThemMissing() throws {
        let a = try MessageAnalyzer().analyze(Array("From: a@b.example\r\nSubject: x\r\n\r\nbody\r\n".utf8))
        let columns = MetadataFeatureExtractor()
        var row: [Float] = []
        columns.values(of: a, into: &row)
        #expect(MetadataFeature.senderColumns.allSatisfy { row[$0.rawValue].isNaN })
        let store = InMemorySenderStateStore()
        let keys = SenderKeys(a, envelope: Envelope(clientIP: "192.0.2.1"))
        _ = store.observe(keys, at: 100)
        let state = store.observe(keys, at: 110)
        columns.values(of: a, sender: state, into: &row)
        #expect(row[MetadataFeature.clientIPRateMinute.rawValue] == 2)
        #expect(row[MetadataFeature.fromDomainRateDay.rawValue] == 2)
        #expect(row[MetadataFeature.domainReputation.rawValue] == 0.5)
        #expect(row[MetadataFeature.domainEvidence.rawValue] == 0)
        #expect(row[MetadataFeature.envelopeSenderRateHour.rawValue].isNaN)  // no envelope sender
    }
}
