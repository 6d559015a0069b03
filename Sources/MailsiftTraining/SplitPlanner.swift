import MailsiftCore

/// Split files that measure what users will see (docs/generalisation.md), as against random folds of one period:
///
/// - **time-forward**: within each corpus and label, the newest share of the messages tests and the older ones
///   train. A message's time is when it arrived (the topmost `Received` field with a date, which the receiving
///   side wrote), else its `Date:` field (spam forges `Date:`, so arrival comes first).
/// - **cross-source**: whole corpora held out; the others train.
///
/// Near-duplicates (the same Message-ID, or the same normalised body text) stay on one side: a group of them
/// goes to test only when all of it is newer than the cut.
public enum SplitPlanner {
    /// What the planner needs of one message.
    public struct Item: Sendable {
        public var corpus: String
        public var id: String
        public var label: String
        /// Unix seconds; nil when the message gives no time (it then counts as the oldest).
        public var time: Int64?
        /// Keys that mark near-duplicates (Message-ID, a hash of the normalised body).
        public var duplicateKeys: [String]

        public init(corpus: String, id: String, label: String, time: Int64?, duplicateKeys: [String]) {
            self.corpus = corpus
            self.id = id
            self.label = label
            self.time = time
            self.duplicateKeys = duplicateKeys
        }
    }

    /// The item of a corpus message: its arrival time and duplicate keys; a message that does not parse gets
    /// no time and no keys.
    public static func item(_ m: CorpusMessage, analyzer: MessageAnalyzer) -> Item {
        guard let a = try? analyzer.analyze(m.bytes) else { return Item(corpus: m.corpus, id: m.id, label: m.label, time: nil, duplicateKeys: []) }
        let time = arrivalTime(of: a.message)
        var keys: [String] = []
        if let id = a.message.messageID, !id.isEmpty { keys.append("id:" + id) }
        let body = a.normalizedBody.text
        if body.utf8.count >= 64 { keys.append("body:" + String(FeatureHash.xxh64(body, seed: 0), radix: 16)) }
        return Item(corpus: m.corpus, id: m.id, label: m.label, time: time, duplicateKeys: keys)
    }

    /// When a message arrived: the topmost `Received` field with a date (the receiving side wrote it), else
    /// its `Date:` field (spam forges it); nil with neither.
    public static func arrivalTime(of message: Message) -> Int64? {
        message.received.lazy.compactMap(\.timestamp).first ?? message.date?.timestamp
    }

    /// Time-blocked folds: within each stratum (corpus and label), the messages in time order cut into
    /// `folds` contiguous blocks (undated ones first), so that a fold's out-of-fold scores come from models
    /// that did not see its period, as far as k folds allow.
    public static func timeBlockedFolds(times: [Int64?], strata: [String], folds: Int) -> [Int] {
        var out = [Int](repeating: 0, count: times.count)
        for (_, members) in Dictionary(grouping: times.indices, by: { strata[$0] }) {
            let ordered = members.sorted { (times[$0] ?? .min, $0) < (times[$1] ?? .min, $1) }
            for (rank, i) in ordered.enumerated() { out[i] = rank * folds / ordered.count }
        }
        return out
    }

    /// Time-forward rows: in each (corpus, label), the newest `testFraction` of the messages (whole duplicate
    /// groups, newest group first, until the share is reached) test, the rest train.
    public static func timeForward(_ items: [Item], testFraction: Double) -> [SplitRow] {
        let groups = duplicateGroups(items)
        var test = Set<Int>()
        let strata = Dictionary(grouping: items.indices) { StratumKey(corpus: items[$0].corpus, label: items[$0].label) }
        for (_, members) in strata {
            let want = Int((Double(members.count) * testFraction).rounded())
            // A group's time is its oldest member's: it tests only when all of it is newer than the cut.
            var groupTime: [Int: Int64] = [:]
            for i in members { groupTime[groups[i]] = min(groupTime[groups[i]] ?? .max, items[i].time ?? .min) }
            let byGroup = Dictionary(grouping: members) { groups[$0] }
            let newestFirst = byGroup.keys.sorted { (groupTime[$0]!, $0) > (groupTime[$1]!, $1) }
            var taken = 0
            for g in newestFirst where taken < want {
                // Duplicates across strata (the same mail labelled apart) stay with the stratum that reaches them first.
                let rows = byGroup[g]!.filter { !test.contains($0) }
                test.formUnion(rows)
                taken += rows.count
            }
        }
        // A group split across strata goes wholly to test if any of it did.
        let testGroups = Set(test.map { groups[$0] })
        return items.indices.map { i in
            SplitRow(corpus: items[i].corpus, id: items[i].id, label: items[i].label, split: testGroups.contains(groups[i]) ? "test" : "train")
        }
    }

    /// Cross-source rows: the messages of `testCorpora` test, every other one trains; a message with a
    /// near-duplicate in a test corpus tests too (so no copy of a test message is trained on).
    public static func crossSource(_ items: [Item], testCorpora: Set<String>) -> [SplitRow] {
        let groups = duplicateGroups(items)
        let testGroups = Set(items.indices.filter { testCorpora.contains(items[$0].corpus) }.map { groups[$0] })
        return items.indices.map { i in
            SplitRow(corpus: items[i].corpus, id: items[i].id, label: items[i].label, split: testGroups.contains(groups[i]) ? "test" : "train")
        }
    }

    private struct StratumKey: Hashable {
        var corpus: String
        var label: String
    }

    /// Each item's group: items that share a duplicate key (transitively) share a group (union-find).
    static func duplicateGroups(_ items: [Item]) -> [Int] {
        var parent = Array(items.indices)
        func find(_ x: Int) -> Int {
            var x = x
            while parent[x] != x {
                parent[x] = parent[parent[x]]
                x = parent[x]
            }
            return x
        }
        var owner: [String: Int] = [:]
        for (i, item) in items.enumerated() {
            for key in item.duplicateKeys {
                if let j = owner[key] {
                    let (a, b) = (find(i), find(j))
                    if a != b { parent[max(a, b)] = min(a, b) }
                } else {
                    owner[key] = i
                }
            }
        }
        return items.indices.map(find)
    }
}
