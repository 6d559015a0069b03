import Foundation
import Logging
import Synchronization

/// What was done through the admin and feedback endpoints, by whom (which token) and when: an append-only file of JSON
/// lines (`audit.jsonl` in the data directory, or `audit_file`), pruned of entries older than `audit_days` at start and
/// once a day. Entries name actions and identifiers (a model version, a fuzzy entry's id, how many reports), never a
/// message's content or a user's address (docs/privacy.md).
public final class AuditLog: Sendable {
    public let path: String?
    public let retentionDays: Int
    let logger: Logger
    private let lock = Mutex(Int64(0))  // the day last pruned

    public struct Entry: Codable, Sendable, Equatable {
        public var time: Int64
        /// Whose token: `admin` or `feedback`.
        public var actor: String
        public var action: String
        public var detail: String
    }

    public init(path: String?, retentionDays: Int, logger: Logger) {
        self.path = path
        self.retentionDays = retentionDays
        self.logger = logger
        prune(now: Int64(Date().timeIntervalSince1970))
    }

    public func record(actor: String, action: String, detail: String, at time: Int64 = Int64(Date().timeIntervalSince1970)) {
        guard let path else { return }
        let entry = Entry(time: time, actor: actor, action: action, detail: String(detail.prefix(500)))
        guard let data = try? JSONEncoder().encode(entry) else { return }
        let day = time / 86_400
        let prune = lock.withLock { last -> Bool in
            defer { last = max(last, day) }
            return day > last
        }
        if prune { self.prune(now: time) }
        if !AppendOnlyFile.append(String(decoding: data, as: UTF8.self) + "\n", to: path) {
            logger.error("audit log: cannot write", metadata: ["file": "\(path)"])
        }
    }

    /// The entries in the file, oldest first.
    public func entries() -> [Entry] {
        guard let path, let text = try? String(contentsOfFile: path, encoding: .utf8) else { return [] }
        return text.split(separator: "\n").compactMap { try? JSONDecoder().decode(Entry.self, from: Data($0.utf8)) }
    }

    /// Drops entries older than the retention (the file rewritten, atomically).
    func prune(now: Int64) {
        guard let path, FileManager.default.fileExists(atPath: path) else { return }
        let cutoff = now - Int64(retentionDays) * 86_400
        let all = entries()
        let kept = all.filter { $0.time >= cutoff }
        guard kept.count < all.count else { return }
        let text = kept.compactMap { try? JSONEncoder().encode($0) }.map { String(decoding: $0, as: UTF8.self) + "\n" }.joined()
        do {
            try text.write(toFile: path, atomically: true, encoding: .utf8)
            logger.info("audit log pruned", metadata: ["removed": "\(all.count - kept.count)", "retention_days": "\(retentionDays)"])
        } catch {
            logger.error("audit log: cannot prune", metadata: ["error": "\(error)"])
        }
    }
}
