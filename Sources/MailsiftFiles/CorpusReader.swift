import Foundation
import MailsiftCore

/// Reads corpus folders laid out as in `../shared/corpus`: `index.tsv` (id, label, date, source_path) and
/// `messages/<id>.eml`. A folder without an index is read as a plain folder of message files.
public enum CorpusReader {
    public enum Error: Swift.Error, CustomStringConvertible {
        case unreadable(path: String)

        public var description: String {
            switch self {
            case .unreadable(let path): return "cannot read \(path)"
            }
        }
    }

    public static func load(_ directory: String, limit: Int = .max) throws -> [CorpusMessage] {
        let base = URL(fileURLWithPath: directory)
        let name = base.standardizedFileURL.lastPathComponent
        let index = base.appendingPathComponent("index.tsv")
        var out: [CorpusMessage] = []
        if let text = try? String(contentsOf: index, encoding: .utf8) {
            for line in text.split(separator: "\n").dropFirst() where out.count < limit {
                let cols = line.split(separator: "\t", omittingEmptySubsequences: false)
                guard cols.count >= 2 else { continue }
                let id = String(cols[0])
                let path = base.appendingPathComponent("messages").appendingPathComponent(id + ".eml").path
                guard let data = FileManager.default.contents(atPath: path) else { throw Error.unreadable(path: path) }
                out.append(CorpusMessage(corpus: name, id: id, label: String(cols[1]), bytes: [UInt8](data)))
            }
            return out
        }
        guard let files = try? FileManager.default.contentsOfDirectory(atPath: directory).sorted() else {
            throw Error.unreadable(path: directory)
        }
        for file in files where out.count < limit {
            let path = base.appendingPathComponent(file).path
            var isDirectory: ObjCBool = false
            guard FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory), !isDirectory.boolValue else { continue }
            guard let data = FileManager.default.contents(atPath: path) else { throw Error.unreadable(path: path) }
            out.append(CorpusMessage(corpus: name, id: file, label: "", bytes: [UInt8](data)))
        }
        return out
    }

    /// The message bytes of every folder given (corpus folders or folders of message files); at least one.
    public static func messageBytes(of directories: [String]) throws -> [[UInt8]] {
        var messages: [[UInt8]] = []
        for dir in directories { messages += try load(dir).map(\.bytes) }
        guard !messages.isEmpty else { throw ValidationFailure("no messages found in \(directories.joined(separator: ", "))") }
        return messages
    }
}
