import Foundation
import MailsiftCore

/// A split file (`corpus id label split`, tab-separated, header first), as `../shared/eval/dev_split.tsv`.
public struct SplitFile: Sendable {
    public typealias Row = SplitRow

    public var rows: [Row]

    public init(rows: [Row]) { self.rows = rows }

    public init(path: String) throws {
        guard let text = try? String(contentsOfFile: path, encoding: .utf8) else { throw CorpusReader.Error.unreadable(path: path) }
        var rows: [Row] = []
        for (n, line) in text.split(separator: "\n", omittingEmptySubsequences: true).enumerated() {
            let cols = line.split(separator: "\t", omittingEmptySubsequences: false).map(String.init)
            if n == 0 && cols.first == "corpus" { continue }
            guard cols.count >= 4 else { throw ValidationFailure("\(path):\(n + 1): expected 4 tab-separated columns") }
            rows.append(Row(corpus: cols[0], id: cols[1], label: cols[2], split: cols[3].trimmingCharacters(in: .whitespacesAndNewlines)))
        }
        self.rows = rows
    }

    /// The messages of `split` in the given corpus folders (each folder's name is its `corpus` column),
    /// labelled as the split file says; rows of other corpora are skipped.
    public func messages(split: String, corpora: [String]) throws -> [CorpusMessage] {
        var out: [CorpusMessage] = []
        for dir in corpora {
            let base = URL(fileURLWithPath: dir).standardizedFileURL
            let name = base.lastPathComponent
            for row in rows where row.corpus == name && row.split == split {
                let path = base.appendingPathComponent("messages").appendingPathComponent(row.id + ".eml").path
                guard let data = FileManager.default.contents(atPath: path) else { throw CorpusReader.Error.unreadable(path: path) }
                out.append(CorpusMessage(corpus: name, id: row.id, label: row.label, bytes: [UInt8](data)))
            }
        }
        return out
    }

    /// The file's text: the header line, then one tab-separated row per message.
    public var text: String {
        "corpus\tid\tlabel\tsplit\n" + rows.map { "\($0.corpus)\t\($0.id)\t\($0.label)\t\($0.split)\n" }.joined()
    }
}
