import Foundation
import MailsiftCore
import MailsiftFiles
import MailsiftTraining

/// `mailsift split`: writes a split file for a protocol that measures mail the model has not seen
/// (``SplitPlanner``: time-forward, cross-source); returns a summary of each corpus's sides.
public enum SplitCommand {
    public enum Kind: Sendable {
        /// Within each corpus and label, the newest share tests.
        case timeForward(testFraction: Double)
        /// These corpora (folder names) test; the others train.
        case crossSource(testCorpora: Set<String>)
    }

    public static func run(corpora: [String], protocol p: Kind, out: String) throws -> String {
        var messages: [CorpusMessage] = []
        for dir in corpora { messages += try CorpusReader.load(dir) }
        let analyzer = MessageAnalyzer()
        let items = ParallelMap.map(messages, progress: ProgressBar(title: "dating", total: messages.count), makeScratch: { () }) { m, _ in
            SplitPlanner.item(m, analyzer: analyzer)
        }
        let rows: [SplitRow]
        switch p {
        case .timeForward(let fraction): rows = SplitPlanner.timeForward(items, testFraction: fraction)
        case .crossSource(let test): rows = SplitPlanner.crossSource(items, testCorpora: test)
        }
        try SplitFile(rows: rows).text.write(toFile: out, atomically: true, encoding: .utf8)
        return summary(rows, items: items)
    }

    /// Per corpus, label and side: how many messages, and the span of their times.
    static func summary(_ rows: [SplitRow], items: [SplitPlanner.Item]) -> String {
        struct Key: Hashable, Comparable {
            var corpus: String, label: String, split: String
            static func < (a: Key, b: Key) -> Bool { (a.corpus, a.label, a.split) < (b.corpus, b.label, b.split) }
        }
        var times: [Key: [Int64]] = [:]
        var counts: [Key: Int] = [:]
        for (row, item) in zip(rows, items) {
            let key = Key(corpus: row.corpus, label: row.label, split: row.split)
            counts[key, default: 0] += 1
            if let t = item.time { times[key, default: []].append(t) }
        }
        let day = ISO8601DateFormatter()
        day.formatOptions = [.withFullDate]
        func date(_ t: Int64?) -> String { t.map { day.string(from: Date(timeIntervalSince1970: TimeInterval($0))) } ?? "-" }
        let table = counts.keys.sorted().map { k -> [(String, String)] in
            let t = (times[k] ?? []).sorted()
            return [("corpus", k.corpus), ("label", k.label), ("split", k.split), ("messages", "\(counts[k]!)"),
                    ("first", date(t.first)), ("median", date(t.isEmpty ? nil : t[t.count / 2])), ("last", date(t.last))]
        }
        return SpamMetrics.table(table)
    }
}
