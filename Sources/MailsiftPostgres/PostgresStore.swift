import Foundation
import Logging
import MailsiftCore
import NIOCore
import PostgresNIO

/// The shared store for many servers and workers: user feedback, the feature log, sender reputations and the
/// model registry in PostgreSQL (postgres-nio's connection pool). It implements the same ports as the
/// embedded default's SQLite store, with the same semantics: feedback is committed before ``record(_:)``
/// returns and is idempotent per message, user and time; registering an active model and promoting one
/// retire the previous active version in the same transaction, and a unique index keeps one active version
/// however many processes promote at once.
///
/// The pool runs while ``run()`` runs (add the store to a service group, or run it in a task); ``open(url:logger:)``
/// creates the tables when they are missing.
public final class PostgresStore: FeedbackStore, FeatureLog, ReputationArchive, CommunicationGraphArchive, MessageLedgerArchive, ModelRegistry, FuzzyListArchive, PersonalDataEraser, Sendable {
    public let client: PostgresClient
    let logger: Logger

    /// Why the store cannot be used.
    public enum StoreError: Error, CustomStringConvertible, Sendable {
        case badURL(String)
        case corruptRow(table: String, reason: String)

        public var description: String {
            switch self {
            case .badURL(let why): "postgres_url: \(why) (expected postgres://user[:password]@host[:port]/database)"
            case .corruptRow(let table, let reason): "a row of \(table) cannot be read: \(reason)"
            }
        }
    }

    /// `logger` receives the pool's background events; queries log at error level only (their errors are
    /// thrown to the caller, and a query issued before ``run()`` has started only waits for it).
    public init(configuration: PostgresClient.Configuration, logger: Logger) {
        client = PostgresClient(configuration: configuration, backgroundLogger: logger)
        var queries = logger
        queries.logLevel = .error
        self.logger = queries
    }

    /// `postgres://user[:password]@host[:port]/database` (TLS off: loopback or a trusted network).
    public convenience init(url: String, logger: Logger) throws(StoreError) {
        try self.init(configuration: Self.configuration(url: url), logger: logger)
    }

    public static func configuration(url: String) throws(StoreError) -> PostgresClient.Configuration {
        guard let c = URLComponents(string: url), c.scheme == "postgres" || c.scheme == "postgresql" else {
            throw .badURL("not a postgres:// URL")
        }
        guard let host = c.host, !host.isEmpty else { throw .badURL("no host") }
        guard let user = c.user, !user.isEmpty else { throw .badURL("no user") }
        let database = c.path.hasPrefix("/") ? String(c.path.dropFirst()) : c.path
        guard !database.isEmpty else { throw .badURL("no database") }
        var configuration = PostgresClient.Configuration(
            host: host, port: c.port ?? 5432, username: user, password: c.password, database: database, tls: .disable)
        configuration.options.minimumConnections = 0
        configuration.options.maximumConnections = 8
        return configuration
    }

    /// Runs the connection pool until the task is cancelled (or the service group shuts down).
    public func run() async {
        await client.run()
    }

    /// Creates the tables and indexes that are missing (several processes may start at once: a transaction-
    /// scoped advisory lock makes them take turns).
    public func migrate() async throws {
        try await transaction { connection in
            try await connection.query("SELECT pg_advisory_xact_lock(7310625361)", logger: logger)
            for statement in Self.schema {
                try await connection.query(PostgresQuery(unsafeSQL: statement), logger: logger)
            }
        }
    }

    /// Runs `body` in a transaction; an error thrown by `body` itself comes out as it is (postgres-nio wraps it).
    private func transaction(_ body: (PostgresConnection) async throws -> Void) async throws {
        do {
            try await client.withTransaction(logger: logger) { connection in try await body(connection) }
        } catch let error as PostgresTransactionError {
            if let inner = error.closureError { throw inner }
            throw error
        }
    }

    static let schema = [
        """
        CREATE TABLE IF NOT EXISTS mailsift_feedback (
            message_id TEXT NOT NULL, "user" TEXT NOT NULL, time BIGINT NOT NULL,
            label TEXT NOT NULL CHECK (label IN ('spam', 'ham')), stored BIGINT NOT NULL,
            PRIMARY KEY (message_id, "user", time))
        """,
        "CREATE INDEX IF NOT EXISTS mailsift_feedback_time ON mailsift_feedback (time)",
        """
        CREATE TABLE IF NOT EXISTS mailsift_feature_log (
            id BIGSERIAL PRIMARY KEY, message_id TEXT NOT NULL, time BIGINT NOT NULL, entry BYTEA NOT NULL)
        """,
        "CREATE INDEX IF NOT EXISTS mailsift_feature_log_time ON mailsift_feature_log (time)",
        "CREATE INDEX IF NOT EXISTS mailsift_feature_log_message ON mailsift_feature_log (message_id, time)",
        """
        CREATE TABLE IF NOT EXISTS mailsift_reputation (
            key TEXT PRIMARY KEY, spam DOUBLE PRECISION NOT NULL, ham DOUBLE PRECISION NOT NULL, updated BIGINT NOT NULL)
        """,
        """
        CREATE TABLE IF NOT EXISTS mailsift_models (
            seq BIGSERIAL UNIQUE, version TEXT PRIMARY KEY, parent TEXT, created_at BIGINT NOT NULL,
            status TEXT NOT NULL CHECK (status IN ('candidate', 'active', 'retired', 'rejected')), report TEXT,
            bundle BYTEA NOT NULL)
        """,
        """
        CREATE TABLE IF NOT EXISTS mailsift_graph_edge (
            source TEXT NOT NULL, target TEXT NOT NULL, messages DOUBLE PRECISION NOT NULL, updated BIGINT NOT NULL,
            outbound BOOLEAN NOT NULL, PRIMARY KEY (source, target))
        """,
        "CREATE TABLE IF NOT EXISTS mailsift_sent_message (key BIGINT PRIMARY KEY, time BIGINT NOT NULL)",
        "CREATE TABLE IF NOT EXISTS mailsift_fuzzy (seq BIGSERIAL PRIMARY KEY, record TEXT NOT NULL)",
        "CREATE INDEX IF NOT EXISTS mailsift_sent_message_time ON mailsift_sent_message (time)",
        "CREATE UNIQUE INDEX IF NOT EXISTS mailsift_models_one_active ON mailsift_models ((status)) WHERE status = 'active'",
    ]

    // MARK: - Feedback

    public func record(_ feedback: Feedback) async throws -> Bool {
        try feedback.validate()
        let stored = Int64(Date().timeIntervalSince1970)
        let rows = try await client.query("""
            INSERT INTO mailsift_feedback (message_id, "user", time, label, stored)
            VALUES (\(feedback.messageID), \(feedback.user), \(feedback.time), \(feedback.label.rawValue), \(stored))
            ON CONFLICT DO NOTHING RETURNING 1
            """, logger: logger)
        for try await _ in rows { return true }
        return false
    }

    public func feedback(from: Int64, through: Int64) async throws -> [Feedback] {
        let rows = try await client.query("""
            SELECT message_id, "user", time, label FROM mailsift_feedback WHERE time BETWEEN \(from) AND \(through)
            ORDER BY time, message_id, "user"
            """, logger: logger)
        var out: [Feedback] = []
        for try await (id, user, time, label) in rows.decode((String, String, Int64, String).self) {
            guard let label = Feedback.Label(rawValue: label) else { throw StoreError.corruptRow(table: "mailsift_feedback", reason: "label") }
            out.append(Feedback(messageID: id, user: user, label: label, time: time))
        }
        return out
    }

    // MARK: - Feature log

    public func append(_ entries: [FeatureLogEntry]) async throws {
        guard !entries.isEmpty else { return }
        // One statement for the batch: arrays unnested into rows.
        let ids = entries.map(\.messageID), times = entries.map(\.time), blobs = entries.map { ByteBuffer(bytes: $0.encoded()) }
        try await client.query("""
            INSERT INTO mailsift_feature_log (message_id, time, entry)
            SELECT * FROM UNNEST(\(ids)::text[], \(times)::bigint[], \(blobs)::bytea[])
            """, logger: logger)
    }

    public func entries(from: Int64, through: Int64) async throws -> [FeatureLogEntry] {
        let rows = try await client.query(
            "SELECT entry FROM mailsift_feature_log WHERE time BETWEEN \(from) AND \(through) ORDER BY time, id", logger: logger)
        var out: [FeatureLogEntry] = []
        for try await blob in rows.decode(ByteBuffer.self) { out.append(try Self.entry(blob)) }
        return out
    }

    public func entry(messageID: String) async throws -> FeatureLogEntry? {
        let rows = try await client.query(
            "SELECT entry FROM mailsift_feature_log WHERE message_id = \(messageID) ORDER BY time, id LIMIT 1", logger: logger)
        for try await blob in rows.decode(ByteBuffer.self) { return try Self.entry(blob) }
        return nil
    }

    public func prune(before time: Int64) async throws -> Int {
        let rows = try await client.query(
            "WITH gone AS (DELETE FROM mailsift_feature_log WHERE time < \(time) RETURNING 1) SELECT count(*) FROM gone", logger: logger)
        for try await n in rows.decode(Int64.self) { return Int(n) }
        return 0
    }

    private static func entry(_ blob: ByteBuffer) throws(StoreError) -> FeatureLogEntry {
        do {
            return try FeatureLogEntry(encoded: Array(blob.readableBytesView))
        } catch {
            throw .corruptRow(table: "mailsift_feature_log", reason: error.description)
        }
    }

    // MARK: - Reputations

    public func loadReputations() async throws -> [ReputationKey: Reputation] {
        let rows = try await client.query("SELECT key, spam, ham, updated FROM mailsift_reputation", logger: logger)
        var out: [ReputationKey: Reputation] = [:]
        for try await (key, spam, ham, updated) in rows.decode((String, Double, Double, Int64).self) {
            guard let key = ReputationKey(key) else { continue }
            out[key] = Reputation(spam: spam, ham: ham, updated: updated)
        }
        return out
    }

    public func saveReputations(_ reputations: [ReputationKey: Reputation]) async throws {
        guard !reputations.isEmpty else { return }
        let pairs = Array(reputations)
        let keys = pairs.map(\.key.description), spam = pairs.map(\.value.spam), ham = pairs.map(\.value.ham), updated = pairs.map(\.value.updated)
        try await client.query("""
            INSERT INTO mailsift_reputation (key, spam, ham, updated)
            SELECT * FROM UNNEST(\(keys)::text[], \(spam)::float8[], \(ham)::float8[], \(updated)::bigint[])
            ON CONFLICT (key) DO UPDATE SET spam = EXCLUDED.spam, ham = EXCLUDED.ham, updated = EXCLUDED.updated
            """, logger: logger)
    }

    // MARK: - Erasure

    public func erase(address: String) async throws -> ErasureCounts {
        let a = address.lowercased()
        var out = ErasureCounts()
        func count(_ query: PostgresQuery) async throws -> Int {
            for try await n in try await client.query(query, logger: logger).decode(Int64.self) { return Int(n) }
            return 0
        }
        out.feedback = try await count("WITH gone AS (DELETE FROM mailsift_feedback WHERE lower(\"user\") = \(a) RETURNING 1) SELECT count(*) FROM gone")
        let total = SenderKeys.recipientReputationKey(a).description, suffix = "|" + a
        out.reputations = try await count("""
            WITH gone AS (DELETE FROM mailsift_reputation WHERE key = \(total) OR (key LIKE 'rcpt-lang:%' AND right(key, length(\(suffix))) = \(suffix))
            RETURNING 1) SELECT count(*) FROM gone
            """)
        out.graphEdges = try await count("WITH gone AS (DELETE FROM mailsift_graph_edge WHERE source = \(a) OR target = \(a) RETURNING 1) SELECT count(*) FROM gone")
        var ids: [Int64] = []
        for try await (id, blob) in try await client.query("SELECT id, entry FROM mailsift_feature_log", logger: logger).decode((Int64, ByteBuffer).self) {
            if let e = try? FeatureLogEntry(encoded: Array(blob.readableBytesView)), e.keys.mentions(a) { ids.append(id) }
        }
        if !ids.isEmpty { try await client.query("DELETE FROM mailsift_feature_log WHERE id = ANY(\(ids))", logger: logger) }
        out.featureLogEntries = ids.count
        return out
    }

    // MARK: - Fuzzy list

    public func appendFuzzyRecord(_ json: String) async throws {
        try await client.query("INSERT INTO mailsift_fuzzy (record) VALUES (\(json))", logger: logger)
    }

    public func fuzzyRecords(after: Int64, limit: Int) async throws -> [(position: Int64, json: String)] {
        let rows = try await client.query(
            "SELECT seq, record FROM mailsift_fuzzy WHERE seq > \(after) ORDER BY seq LIMIT \(limit)", logger: logger)
        var out: [(position: Int64, json: String)] = []
        for try await (seq, record) in rows.decode((Int64, String).self) { out.append((seq, record)) }
        return out
    }

    // MARK: - Communication graph

    public func loadEdges() async throws -> [CommunicationGraph.Edge: CommunicationGraph.Weight] {
        let rows = try await client.query("SELECT source, target, messages, updated, outbound FROM mailsift_graph_edge", logger: logger)
        var out: [CommunicationGraph.Edge: CommunicationGraph.Weight] = [:]
        for try await (source, target, messages, updated, outbound) in rows.decode((String, String, Double, Int64, Bool).self) {
            out[.init(source, target)] = .init(messages: messages, updated: updated, outbound: outbound)
        }
        return out
    }

    public func saveEdges(_ edges: [CommunicationGraph.Edge: CommunicationGraph.Weight]) async throws {
        guard !edges.isEmpty else { return }
        let pairs = Array(edges)
        let sources = pairs.map(\.key.source), targets = pairs.map(\.key.target), messages = pairs.map(\.value.messages)
        let updated = pairs.map(\.value.updated), outbound = pairs.map(\.value.outbound)
        try await client.query("""
            INSERT INTO mailsift_graph_edge (source, target, messages, updated, outbound)
            SELECT * FROM UNNEST(\(sources)::text[], \(targets)::text[], \(messages)::float8[], \(updated)::bigint[], \(outbound)::boolean[])
            ON CONFLICT (source, target) DO UPDATE SET messages = GREATEST(mailsift_graph_edge.messages, EXCLUDED.messages),
                updated = GREATEST(mailsift_graph_edge.updated, EXCLUDED.updated), outbound = mailsift_graph_edge.outbound OR EXCLUDED.outbound
            """, logger: logger)
    }

    // MARK: - Sent messages

    public func loadSentMessages(since: Int64) async throws -> [UInt64: Int64] {
        let rows = try await client.query("SELECT key, time FROM mailsift_sent_message WHERE time >= \(since)", logger: logger)
        var out: [UInt64: Int64] = [:]
        for try await (key, time) in rows.decode((Int64, Int64).self) { out[UInt64(bitPattern: key)] = time }
        return out
    }

    public func saveSentMessages(_ entries: [UInt64: Int64], prunedBefore: Int64) async throws {
        if !entries.isEmpty {
            let pairs = Array(entries)
            let keys = pairs.map { Int64(bitPattern: $0.key) }, times = pairs.map(\.value)
            try await client.query("""
                INSERT INTO mailsift_sent_message (key, time) SELECT * FROM UNNEST(\(keys)::bigint[], \(times)::bigint[])
                ON CONFLICT (key) DO UPDATE SET time = GREATEST(mailsift_sent_message.time, EXCLUDED.time)
                """, logger: logger)
        }
        try await client.query("DELETE FROM mailsift_sent_message WHERE time < \(prunedBefore)", logger: logger)
    }

    // MARK: - Model registry

    /// Registry changes take turns on this transaction-scoped lock: two promotions at once would otherwise
    /// both find no active row to retire and collide on the one-active index.
    static let registryLock: Int64 = 7_310_625_362

    public func register(_ bundle: [UInt8], record: ModelRecord) async throws {
        try await transaction { connection in
            try await connection.query("SELECT pg_advisory_xact_lock(\(Self.registryLock))", logger: logger)
            let existing = try await connection.query("SELECT 1 FROM mailsift_models WHERE version = \(record.version)", logger: logger)
            for try await _ in existing { throw ModelRegistryError.duplicateVersion(record.version) }
            if record.status == .active {
                try await connection.query("UPDATE mailsift_models SET status = 'retired' WHERE status = 'active'", logger: logger)
            }
            try await connection.query("""
                INSERT INTO mailsift_models (version, parent, created_at, status, report, bundle)
                VALUES (\(record.version), \(record.parent), \(record.createdAt), \(record.status.rawValue), \(record.report), \(ByteBuffer(bytes: bundle)))
                """, logger: logger)
        }
    }

    public func promote(_ version: String) async throws {
        try await transaction { connection in
            try await connection.query("SELECT pg_advisory_xact_lock(\(Self.registryLock))", logger: logger)
            let existing = try await connection.query("SELECT 1 FROM mailsift_models WHERE version = \(version)", logger: logger)
            var found = false
            for try await _ in existing { found = true }
            guard found else { throw ModelRegistryError.unknownVersion(version) }
            try await connection.query("UPDATE mailsift_models SET status = 'retired' WHERE status = 'active'", logger: logger)
            try await connection.query("UPDATE mailsift_models SET status = 'active' WHERE version = \(version)", logger: logger)
        }
    }

    public func records() async throws -> [ModelRecord] {
        let rows = try await client.query(
            "SELECT version, parent, created_at, status, report FROM mailsift_models ORDER BY seq", logger: logger)
        var out: [ModelRecord] = []
        for try await (version, parent, created, status, report) in rows.decode((String, String?, Int64, String, String?).self) {
            guard let status = ModelRecord.Status(rawValue: status) else { throw StoreError.corruptRow(table: "mailsift_models", reason: "status") }
            out.append(ModelRecord(version: version, parent: parent, createdAt: created, status: status, report: report))
        }
        return out
    }

    public func bundle(_ version: String) async throws -> [UInt8] {
        let rows = try await client.query("SELECT bundle FROM mailsift_models WHERE version = \(version)", logger: logger)
        for try await blob in rows.decode(ByteBuffer.self) { return Array(blob.readableBytesView) }
        throw ModelRegistryError.unknownVersion(version)
    }
}
