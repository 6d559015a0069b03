import Foundation
import MailsiftCore
import MailsiftFiles
import MailsiftTestKit
import Testing

/// The drift monitor: its pieces, and a replay of the dev split's test rows (scored by the shipped model) as a day of
/// mail, then an ordinary hour (quiet) and shifted hours (alarms).
@Suite struct DriftMonitorTests {
    @Test func psiAndBins() {
        #expect(DriftMonitor.psi([10, 20, 30], [10, 20, 30]) < 1e-12)
        #expect(DriftMonitor.psi([30, 20, 10], [10, 20, 30]) > 0.5)
        #expect(DriftMonitor.columnBin(.nan) == 0 && DriftMonitor.columnBin(-3) == 1 && DriftMonitor.columnBin(0) == 2)
        #expect(DriftMonitor.columnBin(0.1) == 3 && DriftMonitor.columnBin(1) == 6 && DriftMonitor.columnBin(2) == 7)
        #expect(DriftMonitor.columnBin(3) == 8 && DriftMonitor.columnBin(1e9) == 17)
    }

    /// Too few messages: nothing judged, no alarm; the ring keeps the baseline hours and the current one only.
    @Test func littleMailIsNotJudged() {
        var m = DriftMonitor()
        for i in 0..<50 { m.record(probability: i % 2 == 0 ? 0.9 : 0.1, row: nil, missing: [], at: 3_600 * 100 + Int64(i)) }
        let r = m.report(at: 3_600 * 100 + 60)
        #expect(r.scorePSI == nil && r.alarms.isEmpty && r.current == 50)
    }

    struct Scored {
        var probability: Double
        var row: [Float]?
        var missing: Set<DriftMonitor.Field>
    }

    /// The dev split's test rows through the shipped cascade.
    static func scored() throws -> [Scored] {
        let root = try #require(TestSupport.corpusRoot)
        let split = try SplitFile(path: root.deletingLastPathComponent().appendingPathComponent("eval/dev_split.tsv").path)
        let corpora = ["spamassassin", "csdmc2010", "nazario_phishing"].map { root.appendingPathComponent($0).path }
        let cascade = try ShippedModel.cascade()
        var scratch = cascade.makeScratch()
        return try split.messages(split: "test", corpora: corpora).compactMap { m in
            guard let a = try? cascade.extractor.analyze(m.bytes) else { return nil }
            let v = cascade.classify(a, scratch: &scratch)
            var missing = Set<DriftMonitor.Field>()
            if SenderKeys(a.message).clientIP == nil { missing.insert(.clientIP) }
            if a.message.from.isEmpty { missing.insert(.from) }
            if a.message.messageID == nil { missing.insert(.messageID) }
            if !a.message.headers.contains(where: { $0.lowercasedName == "authentication-results" }) { missing.insert(.authenticationResults) }
            return Scored(probability: v.probability, row: v.treeRow, missing: missing)
        }
    }

    @Test(.enabled(if: TestSupport.corpusRoot != nil, "../shared/corpus is not present"))
    func anOrdinaryHourIsQuietAndABurstOfOneCampaignRingsTheAlarm() throws {
        let rows = try Self.scored()
        #expect(rows.count > 1_800)
        var rng = SplitMix64(seed: 7)
        func draw() -> Scored { rows[Int(rng.next() % UInt64(rows.count))] }
        let start: Int64 = 1_800_000_000 - 1_800_000_000 % 3_600
        var monitor = DriftMonitor()
        // A day of mail: 24 hours of 80 messages drawn from the mix.
        for h in 0..<24 {
            for i in 0..<80 {
                let s = draw()
                monitor.record(probability: s.probability, row: s.row, missing: s.missing, at: start + Int64(h) * 3_600 + Int64(i * 40))
            }
        }
        let hour = start + 24 * 3_600
        // An ordinary hour: the same mix. Quiet.
        var ordinary = monitor
        for i in 0..<300 {
            let s = draw()
            ordinary.record(probability: s.probability, row: s.row, missing: s.missing, at: hour + Int64(i * 10))
        }
        let quiet = ordinary.report(at: hour + 3_000)
        #expect(quiet.current == 300 && quiet.scorePSI != nil)
        #expect(quiet.alarms.isEmpty, "\(quiet.alarms)")
        // A burst of one spam campaign: 180 copies of one phishing message's verdict among 120 of the mix.
        let campaign = try #require(rows.first { $0.probability > 0.99 && $0.row != nil })
        var burst = monitor
        for i in 0..<300 {
            let s = i % 5 < 3 ? campaign : draw()
            burst.record(probability: s.probability, row: s.row, missing: s.missing, at: hour + Int64(i * 10))
        }
        let loud = burst.report(at: hour + 3_000)
        #expect(loud.alarms.contains { $0.hasPrefix("score distribution") }, "\(loud.alarms)")
        #expect(loud.alarms.contains { $0.hasPrefix("mean score") }, "\(loud.alarms)")
        #expect(!loud.columnPSI.isEmpty)
        // The MTA stops passing the client: every message of the hour lacks it.
        var blind = monitor
        for i in 0..<300 {
            let s = draw()
            blind.record(probability: s.probability, row: s.row, missing: s.missing.union([.clientIP]), at: hour + Int64(i * 10))
        }
        let r = blind.report(at: hour + 3_000)
        #expect(r.alarms.contains { $0.hasPrefix("client_ip missing") }, "\(r.alarms) \(r.missing)")
    }
}

/// The A/B test's split of recipients.
@Suite struct TrafficSplitTests {
    @Test func armsHoldTheirSharesAndKeepTheirRecipients() {
        let recipients = (0..<10_000).map { "user\($0)@example\($0 % 37).org" }
        for share in [0.1, 0.5, 0.02] {
            let split = TrafficSplit(share: share)
            let candidate = recipients.count { split.arm($0) == .candidate }
            #expect(abs(Double(candidate) / 10_000 - share) < 0.01, "share \(share): \(candidate) of 10,000")
        }
        let split = TrafficSplit(share: 0.3)
        #expect(recipients.prefix(200).allSatisfy { split.arm($0) == split.arm($0.uppercased()) })
        let other = TrafficSplit(share: 0.3, salt: 42)
        #expect(recipients.prefix(1_000).contains { split.arm($0) != other.arm($0) })
        #expect(TrafficSplit(share: 0).arm("a@example.org") == .control && split.arm(nil) == .control && split.arm("") == .control)
        #expect(recipients.allSatisfy { TrafficSplit(share: 1).arm($0) == .candidate })
    }
}
