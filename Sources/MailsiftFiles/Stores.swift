import Foundation
import Logging
import MailsiftCore
import MailsiftPostgres
import MailsiftSQLite

/// The stores of a process, opened from its configuration by the one function both `serve` (and `worker`)
/// and the command line (`feedback`, `retrain`) use: the embedded default (a data directory: SQLite for
/// feedback, the feature log, reputations and the graph; the model registry in DIR/models) or the shared
/// one (PostgreSQL for all of it, its tables created when missing). Never both.
public struct Stores: Sendable {
    public let learning: any LearningStore
    public let registry: any ModelRegistry
    /// Where they are, for logs (never a URL, which may hold a password).
    public let location: String
    /// The PostgreSQL connection pool's task; ended by ``close()``.
    let pool: Task<Void, Never>?

    public struct OpenError: Error, CustomStringConvertible {
        public var description: String
    }

    /// The stores at `dataDirectory` or `postgresURL`; nil when neither is given (state in memory only).
    public static func open(dataDirectory: String?, postgresURL: String?, logger: Logger) async throws -> Stores? {
        switch (dataDirectory, postgresURL) {
        case (nil, nil):
            return nil
        case (.some, .some):
            throw OpenError(description: "set data_dir (one process) or postgres_url (shared), not both")
        case (let directory?, nil):
            let registry = DirectoryModelRegistry(directory: (directory as NSString).appendingPathComponent("models"))
            let store = try SQLiteStore(directory: directory)
            return Stores(learning: store, registry: registry, location: store.path, pool: nil)
        case (nil, let url?):
            let store = try PostgresStore(url: url, logger: logger)
            let pool = Task { await store.run() }
            do {
                try await store.migrate()
            } catch {
                pool.cancel()
                throw error
            }
            return Stores(learning: store, registry: store, location: "PostgreSQL", pool: pool)
        }
    }

    /// Runs `body` on the stores of `dataDirectory` or `postgresURL` (one of them is required), closing them after.
    public static func with<T: Sendable>(
        dataDirectory: String?, postgresURL: String?, logger: Logger, _ body: (Stores) async throws -> T
    ) async throws -> T {
        guard let stores = try await open(dataDirectory: dataDirectory, postgresURL: postgresURL, logger: logger) else {
            throw OpenError(description: "give a data directory (--data-dir), or set MAILSIFT_POSTGRES_URL")
        }
        defer { stores.close() }
        return try await body(stores)
    }

    /// Ends the PostgreSQL connection pool (nothing to end for SQLite).
    public func close() { pool?.cancel() }
}
