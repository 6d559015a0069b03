import Foundation
import GRDB
import MailsiftCore

/// The embedded default's store: one SQLite database in WAL mode (`mailsift.sqlite` in the data directory)
/// holding user feedback, the feature log and the sender reputations. Feedback is committed before
/// ``record(_:)`` returns; several processes may open the same file (SQLite locks it, and a writer waits
/// up to five seconds for another).
public final class SQLiteStore: FeedbackStore, FeatureLog, ReputationArchive, CommunicationGraphArchive, MessageLedgerArchive, PersonalDataEraser {
    public let path: String
    private let pool: DatabasePool

    /// Why the store cannot be used.
    public enum StoreError: Error, CustomStringConvertible, Sendable {
        /// The file cannot be opened or is not a Mailsift database.
        case cannotOpen(path: String, reason: String)
        /// A stored row cannot be read back.
        case corruptRow(table: String, reason: String)

        public var description: String {
            switch self {
            case .cannotOpen(let path, let reason): "cannot open the store \(path): \(reason)"
            case .corruptRow(let table, let reason): "a row of \(table) cannot be read: \(reason)"
            }
        }
    }

    /// Opens (or creates) the database at `path` and brings its schema up to date.
    public init(path: String) throws(StoreError) {
        self.path = path
        var configuration = Configuration()
        configuration.busyMode = .timeout(5)
        configuration.label = "mailsift"
        do {
            pool = try DatabasePool(path: path, configuration: configuration)
            try Self.migrator.migrate(pool)
        } catch {
            throw .cannotOpen(path: path, reason: "\(error)")
        }
    }

    /// Opens `mailsift.sqlite` in `directory`, creating the directory if needed.
    public convenience init(directory: String) throws(StoreError) {
        do {
            try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        } catch {
            throw .cannotOpen(path: directory, reason: "\(error)")
        }
        try self.init(path: (directory as NSString).appendingPathComponent("mailsift.sqlite"))
    }

    static var migrator: DatabaseMigrator {
        var m = DatabaseMigrator()
        m.registerMigration("v1") { db in
            try db.execute(sql: """
                CREATE TABLE feedback (
                    message_id TEXT NOT NULL, user TEXT NOT NULL, time INTEGER NOT NULL,
                    label TEXT NOT NULL CHECK (label IN ('spam', 'ham')), stored INTEGER NOT NULL,
                    PRIMARY KEY (message_id, user, time));
                CREATE INDEX feedback_time ON feedback (time);
                CREATE TABLE feature_log (
                    id INTEGER PRIMARY KEY, message_id TEXT NOT NULL, time INTEGER NOT NULL, entry BLOB NOT NULL);
                CREATE INDEX feature_log_time ON feature_log (time);
                CREATE INDEX feature_log_message ON feature_log (message_id, time);
                CREATE TABLE reputation (
                    key TEXT PRIMARY KEY, spam REAL NOT NULL, ham REAL NOT NULL, updated INTEGER NOT NULL);
                """)
        }
        m.registerMigration("v2: communication graph") { db in
            try db.execute(sql: """
                CREATE TABLE graph_edge (
                    source TEXT NOT NULL, target TEXT NOT NULL, messages REAL NOT NULL, updated INTEGER NOT NULL,
                    outbound INTEGER NOT NULL, PRIMARY KEY (source, target));
                """)
        }
        m.registerMigration("v3: sent messages") { db in
            try db.execute(sql: """
                CREATE TABLE sent_message (key INTEGER PRIMARY KEY, time INTEGER NOT NULL);
                CREATE INDEX sent_message_time ON sent_message (time);
                """)
        }
        return m
    }

    // MARK: - Feedback

    public func record(_ feedback: Feedback) async throws -> Bool {
        try feedback.validate()
        let stored = Int64(Date().timeIntervalSince1970)
        return try await pool.write { db in
            try db.execute(
                sql: "INSERT OR IGNORE INTO feedback (message_id, user, time, label, stored) VALUES (?, ?, ?, ?, ?)",
                arguments: [feedback.messageID, feedback.user, feedback.time, feedback.label.rawValue, stored]
            )
            return db.changesCount > 0
        }
    }

    public func feedback(from: Int64, through: Int64) async throws -> [Feedback] {
        try await pool.read { db in
            try Row.fetchAll(
                db, sql: "SELECT message_id, user, time, label FROM feedback WHERE time BETWEEN ? AND ? ORDER BY time, message_id, user",
                arguments: [from, through]
            ).map { row throws(StoreError) in
                guard let label = Feedback.Label(rawValue: row["label"]) else { throw .corruptRow(table: "feedback", reason: "label") }
                return Feedback(messageID: row["message_id"], user: row["user"], label: label, time: row["time"])
            }
        }
    }

    /// How many feedback reports are stored.
    public func feedbackCount() async throws -> Int {
        try await pool.read { db in try Int.fetchOne(db, sql: "SELECT count(*) FROM feedback") ?? 0 }
    }

    // MARK: - Feature log

    public func append(_ entries: [FeatureLogEntry]) async throws {
        guard !entries.isEmpty else { return }
        let rows = entries.map { ($0.messageID, $0.time, Data($0.encoded())) }
        try await pool.write { db in
            let statement = try db.cachedStatement(sql: "INSERT INTO feature_log (message_id, time, entry) VALUES (?, ?, ?)")
            for (id, time, blob) in rows { try statement.execute(arguments: [id, time, blob]) }
        }
    }

    public func entries(from: Int64, through: Int64) async throws -> [FeatureLogEntry] {
        try await pool.read { db in
            try Row.fetchAll(db, sql: "SELECT entry FROM feature_log WHERE time BETWEEN ? AND ? ORDER BY time, id", arguments: [from, through])
                .map { try Self.entry($0) }
        }
    }

    public func entry(messageID: String) async throws -> FeatureLogEntry? {
        try await pool.read { db in
            try Row.fetchOne(db, sql: "SELECT entry FROM feature_log WHERE message_id = ? ORDER BY time, id LIMIT 1", arguments: [messageID])
                .map { try Self.entry($0) }
        }
    }

    /// Erases one address's data in one transaction (``PersonalDataEraser``); the feature log is read through to find
    /// the entries whose keys name it.
    public func erase(address: String) async throws -> ErasureCounts {
        let a = address.lowercased()
        return try await pool.write { db in
            var out = ErasureCounts()
            try db.execute(sql: "DELETE FROM feedback WHERE lower(user) = ?", arguments: [a])
            out.feedback = db.changesCount
            try db.execute(
                sql: "DELETE FROM reputation WHERE key = ? OR (key LIKE 'rcpt-lang:%' AND substr(key, -length(?)) = ?)",
                arguments: [SenderKeys.recipientReputationKey(a).description, "|" + a, "|" + a])
            out.reputations = db.changesCount
            try db.execute(sql: "DELETE FROM graph_edge WHERE source = ? OR target = ?", arguments: [a, a])
            out.graphEdges = db.changesCount
            var ids: [Int64] = []
            let rows = try Row.fetchCursor(db, sql: "SELECT id, entry FROM feature_log")
            while let row = try rows.next() {
                let blob: Data = row["entry"]
                if let e = try? FeatureLogEntry(encoded: [UInt8](blob)), e.keys.mentions(a) { ids.append(row["id"]) }
            }
            for chunk in stride(from: 0, to: ids.count, by: 500).map({ Array(ids[$0..<min($0 + 500, ids.count)]) }) {
                try db.execute(sql: "DELETE FROM feature_log WHERE id IN (\(chunk.map(String.init).joined(separator: ",")))")
            }
            out.featureLogEntries = ids.count
            return out
        }
    }

    public func prune(before time: Int64) async throws -> Int {
        try await pool.write { db in
            try db.execute(sql: "DELETE FROM feature_log WHERE time < ?", arguments: [time])
            return db.changesCount
        }
    }

    private static func entry(_ row: Row) throws(StoreError) -> FeatureLogEntry {
        let blob: Data = row["entry"]
        do {
            return try FeatureLogEntry(encoded: [UInt8](blob))
        } catch {
            throw .corruptRow(table: "feature_log", reason: error.description)
        }
    }

    // MARK: - Reputations

    public func loadReputations() async throws -> [ReputationKey: Reputation] {
        try await pool.read { db in
            var out: [ReputationKey: Reputation] = [:]
            for row in try Row.fetchAll(db, sql: "SELECT key, spam, ham, updated FROM reputation") {
                guard let key = ReputationKey(row["key"] as String) else { continue }
                out[key] = Reputation(spam: row["spam"], ham: row["ham"], updated: row["updated"])
            }
            return out
        }
    }

    public func saveReputations(_ reputations: [ReputationKey: Reputation]) async throws {
        guard !reputations.isEmpty else { return }
        let rows = reputations.map { ($0.key.description, $0.value) }
        try await pool.write { db in
            let statement = try db.cachedStatement(sql: "INSERT OR REPLACE INTO reputation (key, spam, ham, updated) VALUES (?, ?, ?, ?)")
            for (key, r) in rows { try statement.execute(arguments: [key, r.spam, r.ham, r.updated]) }
        }
    }

    // MARK: - Communication graph

    public func loadEdges() async throws -> [CommunicationGraph.Edge: CommunicationGraph.Weight] {
        try await pool.read { db in
            var out: [CommunicationGraph.Edge: CommunicationGraph.Weight] = [:]
            for row in try Row.fetchAll(db, sql: "SELECT source, target, messages, updated, outbound FROM graph_edge") {
                out[.init(row["source"], row["target"])] = .init(messages: row["messages"], updated: row["updated"], outbound: row["outbound"])
            }
            return out
        }
    }

    public func saveEdges(_ edges: [CommunicationGraph.Edge: CommunicationGraph.Weight]) async throws {
        guard !edges.isEmpty else { return }
        let rows = Array(edges)
        try await pool.write { db in
            let statement = try db.cachedStatement(sql: """
                INSERT INTO graph_edge (source, target, messages, updated, outbound) VALUES (?, ?, ?, ?, ?)
                ON CONFLICT (source, target) DO UPDATE SET messages = max(messages, excluded.messages),
                    updated = max(updated, excluded.updated), outbound = max(outbound, excluded.outbound)
                """)
            for (e, w) in rows { try statement.execute(arguments: [e.source, e.target, w.messages, w.updated, w.outbound]) }
        }
    }

    // MARK: - Sent messages

    public func loadSentMessages(since: Int64) async throws -> [UInt64: Int64] {
        try await pool.read { db in
            var out: [UInt64: Int64] = [:]
            for row in try Row.fetchAll(db, sql: "SELECT key, time FROM sent_message WHERE time >= ?", arguments: [since]) {
                out[UInt64(bitPattern: row["key"])] = row["time"]
            }
            return out
        }
    }

    public func saveSentMessages(_ entries: [UInt64: Int64], prunedBefore: Int64) async throws {
        let rows = Array(entries)
        try await pool.write { db in
            let statement = try db.cachedStatement(sql: """
                INSERT INTO sent_message (key, time) VALUES (?, ?) ON CONFLICT (key) DO UPDATE SET time = max(time, excluded.time)
                """)
            for (key, time) in rows { try statement.execute(arguments: [Int64(bitPattern: key), time]) }
            try db.execute(sql: "DELETE FROM sent_message WHERE time < ?", arguments: [prunedBefore])
        }
    }
}
