import Foundation
import MailsiftCore

/// How well campaign fingerprints tell a campaign (docs/content.md): the messages of labelled corpora in order of
/// arrival, each looked up among the earlier ones (``CampaignIndex``), at several similarity thresholds. For spam:
/// the share with a near-duplicate among earlier spam (what campaign counters and a fuzzy list can catch). For ham:
/// the share with one among earlier spam (what a fuzzy list of spam would wrongly block) and among earlier ham; and
/// the rate of matched pairs among all pairs of distinct hams. Exact duplicates (same normalised text and links) are
/// counted apart: an exact hash finds them already.
public struct CampaignStudy: Sendable {
    public struct Item: Sendable {
        public var time: Int64
        public var spam: Bool
        public var fingerprint: CampaignFingerprint
        /// A hash of the normalised text and the links: equal for exact duplicates.
        public var exact: UInt64
    }

    public static let thresholds = [0.3, 0.5, 0.7, 0.9]

    /// Per threshold: counts of messages with a match of each kind.
    public struct Counts: Sendable {
        public var spam = 0, ham = 0
        public var spamExact = 0, hamExactOfHam = 0, hamExactOfSpam = 0
        public var spamNear: [Double: Int] = [:], spamNearText: [Double: Int] = [:], spamNearLinks: [Double: Int] = [:]
        public var hamNearOfSpam: [Double: Int] = [:], hamNearOfHam: [Double: Int] = [:]
        public var hamNearOfSpamText: [Double: Int] = [:], hamNearOfSpamLinks: [Double: Int] = [:]
        /// Pairs of distinct hams (different exact hashes) matched, and all such pairs.
        public var hamPairsMatched: [Double: Int] = [:]
        public var hamPairs = 0
        public var withText = 0, withLinks = 0
        public var microseconds = 0.0
    }

    public static func item(_ m: CorpusMessage, analyzer: MessageAnalyzer) -> Item? {
        guard let a = try? analyzer.analyze(m.bytes) else { return nil }
        let f = CampaignFingerprint(a)
        var exact = FeatureHash.xxh64(a.normalizedSubject.text + "\u{1}" + a.normalizedBody.text)
        for url in a.urls.prefix(CampaignFingerprint.maximumLinks) { exact = exact &* 31 &+ FeatureHash.xxh64(url.url) }
        return Item(time: SplitPlanner.arrivalTime(of: a.message) ?? 0, spam: m.label != "ham", fingerprint: f, exact: exact)
    }

    /// Walks `items` in time order.
    public static func measure(_ items: [Item]) -> Counts {
        var c = Counts()
        let ordered = items.enumerated().sorted { ($0.element.time, $0.offset) < ($1.element.time, $1.offset) }.map(\.element)
        var index = CampaignIndex(threshold: thresholds[0])
        var exactSeen: [UInt64: (spam: Bool, ham: Bool)] = [:]
        var distinctHams = 0
        for (i, item) in ordered.enumerated() {
            if item.fingerprint.text != nil { c.withText += 1 }
            if item.fingerprint.links != nil { c.withLinks += 1 }
            let seen = exactSeen[item.exact] ?? (false, false)
            let matches = index.matches(item.fingerprint)
            func best(_ spamSide: Bool, _ value: (CampaignIndex.Match) -> Double) -> Double {
                matches.filter { ordered[$0.id].spam == spamSide && ordered[$0.id].exact != item.exact }.map(value).max() ?? 0
            }
            if item.spam {
                c.spam += 1
                if seen.spam { c.spamExact += 1 }
                let text = best(true) { $0.text }, links = best(true) { $0.links }
                for t in thresholds {
                    if seen.spam || max(text, links) >= t { c.spamNear[t, default: 0] += 1 }
                    if text >= t { c.spamNearText[t, default: 0] += 1 }
                    if links >= t { c.spamNearLinks[t, default: 0] += 1 }
                }
            } else {
                c.ham += 1
                if seen.spam { c.hamExactOfSpam += 1 }
                if seen.ham { c.hamExactOfHam += 1 }
                let ofSpam = best(true) { $0.similarity }
                let ofSpamText = best(true) { $0.text }, ofSpamLinks = best(true) { $0.links }
                let ofHam = best(false) { $0.similarity }
                if !seen.ham { c.hamPairs += distinctHams; distinctHams += 1 }
                for t in thresholds {
                    if seen.spam || ofSpam >= t { c.hamNearOfSpam[t, default: 0] += 1 }
                    if ofSpamText >= t { c.hamNearOfSpamText[t, default: 0] += 1 }
                    if ofSpamLinks >= t { c.hamNearOfSpamLinks[t, default: 0] += 1 }
                    if seen.ham || ofHam >= t { c.hamNearOfHam[t, default: 0] += 1 }
                    let pairs = matches.filter { !ordered[$0.id].spam && ordered[$0.id].exact != item.exact && $0.similarity >= t }.count
                    c.hamPairsMatched[t, default: 0] += pairs
                }
            }
            index.insert(item.fingerprint, id: i)
            var e = seen
            if item.spam { e.spam = true } else { e.ham = true }
            exactSeen[item.exact] = e
        }
        return c
    }

    /// The report `mailsift campaigns` prints.
    public static func report(_ c: Counts, messages: Int) -> String {
        func pct(_ n: Int, _ d: Int) -> String { d == 0 ? "-" : String(format: "%.2f%%", 100 * Double(n) / Double(d)) }
        var lines = [
            "\(messages) messages: \(c.spam) spam, \(c.ham) ham; with a text signature \(c.withText), with a link signature \(c.withLinks)",
            String(format: "fingerprint: %.1f us a message (one core)", c.microseconds),
            "exact duplicates of earlier mail: spam of spam \(c.spamExact) (\(pct(c.spamExact, c.spam))), ham of ham \(c.hamExactOfHam), ham of spam \(c.hamExactOfSpam)",
            "threshold | spam with an earlier spam near-duplicate (text; links) | ham with an earlier spam one (by text, by links) | ham with an earlier ham one | matched pairs of distinct hams",
        ]
        for t in thresholds {
            lines.append(String(format: "%.1f | ", t) + "\(pct(c.spamNear[t] ?? 0, c.spam)) (\(pct(c.spamNearText[t] ?? 0, c.spam)); \(pct(c.spamNearLinks[t] ?? 0, c.spam)))"
                + " | \(c.hamNearOfSpam[t] ?? 0) (\(pct(c.hamNearOfSpam[t] ?? 0, c.ham)); text \(c.hamNearOfSpamText[t] ?? 0), links \(c.hamNearOfSpamLinks[t] ?? 0))"
                + " | \(c.hamNearOfHam[t] ?? 0) (\(pct(c.hamNearOfHam[t] ?? 0, c.ham)))"
                + String(format: " | %d of %d (%.4f%%)", c.hamPairsMatched[t] ?? 0, c.hamPairs, c.hamPairs == 0 ? 0 : 100 * Double(c.hamPairsMatched[t] ?? 0) / Double(c.hamPairs)))
        }
        return lines.joined(separator: "\n")
    }
}
