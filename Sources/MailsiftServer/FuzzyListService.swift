import Foundation
import Logging
import MailsiftCore
import MailsiftRedis
import ServiceLifecycle
import Synchronization

/// The server's fuzzy list (``FuzzyList``): campaigns the operator marked `block` or `allow` (`POST /admin/fuzzy`), or
/// that several users reported (`POST /v1/report`, ``FuzzyReports``), and removals (`DELETE /admin/fuzzy/ID`). Kept in
/// a file of JSON lines (`fuzzy_file`, read at start, appended to) and shared with the site's other servers through a
/// Redis list (with `redis_url`) and a PostgreSQL table (with `postgres_url`): every server appends what it added or
/// removed and reads what the others did every `fuzzy_refresh_seconds`. Entries hold fingerprints and a note, never
/// message content.
public final class FuzzyListService: Service, Sendable {
    private let list: Mutex<FuzzyList>
    private let reports: Mutex<FuzzyReports>
    /// `fuzzy_report_users`; 0: reports add no entries.
    private let reportUsers: Int
    private let file: String?
    private let redis: RedisClient?
    private let archive: (any FuzzyListArchive)?
    private let key: String
    /// How far this server has read the Redis list and the PostgreSQL table.
    private let readFromRedis = Mutex(0)
    private let readFromArchive = Mutex(Int64(0))
    private let refreshSeconds: Double
    let logger: Logger

    /// `archive`: the shared store's table (PostgreSQL), when the server has one.
    public init(configuration: ServerConfiguration, archive: (any FuzzyListArchive)? = nil, logger: Logger) {
        var list = FuzzyList(threshold: configuration.fuzzyThreshold)
        file = configuration.fuzzyFile
        if let file, let text = try? String(contentsOfFile: file, encoding: .utf8) {
            var bad = 0
            for line in text.split(separator: "\n") where !line.isEmpty {
                guard let record = FuzzyList.Record(json: line.utf8) else { bad += 1; continue }
                list.apply(record)
            }
            logger.info("fuzzy list read", metadata: ["file": "\(file)", "entries": "\(list.count)", "unreadable_lines": "\(bad)"])
        }
        self.list = Mutex(list)
        reportUsers = configuration.fuzzyReportUsers
        reports = Mutex(FuzzyReports(users: max(1, configuration.fuzzyReportUsers), threshold: configuration.fuzzyThreshold))
        redis = configuration.redisURL.flatMap { try? RedisClient(url: $0) }
        self.archive = archive
        key = "mailsift:fuzzy"
        refreshSeconds = configuration.fuzzyRefreshSeconds
        self.logger = logger
    }

    public var count: Int { list.withLock { $0.count } }
    public var entries: [FuzzyList.Entry] { list.withLock { $0.all } }

    public func match(_ fingerprint: CampaignFingerprint, images: [UInt64] = []) -> FuzzyList.Match? {
        list.withLock { $0.count == 0 ? nil : $0.match(fingerprint, images: images) }
    }

    /// What became of an entry added.
    public struct Added: Sendable {
        public var entry: FuzzyList.Entry
        /// Refused (a duplicate, no signature, the list full), else nil.
        public var refusal: FuzzyList.Refusal?
        /// Written to the file, and shared (Redis or PostgreSQL; nil: neither configured).
        public var saved: Bool?
        public var shared: Bool?
    }

    /// Adds an entry here, then to the file and the shared stores.
    public func add(_ entry: FuzzyList.Entry) async -> Added {
        var added = Added(entry: entry)
        do {
            try list.withLock { l throws(FuzzyList.Refusal) in try l.insert(entry) }
        } catch {
            added.refusal = error
            return added
        }
        (added.saved, added.shared) = await record(.entry(entry))
        return added
    }

    /// Removes the entry named `id` here, then records the removal in the file and the shared stores. Nil when this
    /// server has no such entry; else whether it was saved and shared.
    public func remove(id: String) async -> (saved: Bool?, shared: Bool?)? {
        guard list.withLock({ $0.remove(id: id) }) else { return nil }
        return await record(.removal(FuzzyList.Removal(removed: id, at: Int64(Date().timeIntervalSince1970))))
    }

    /// A user's report of a message (`POST /v1/report`): counted toward its campaign, and when it makes enough users
    /// (`fuzzy_report_users`), the campaign is added. Returns what was added, if anything.
    public func report(_ fingerprint: CampaignFingerprint, images: [UInt64], label: Feedback.Label, user: String) async -> Added? {
        guard reportUsers > 0 else { return nil }
        let now = Int64(Date().timeIntervalSince1970)
        guard let entry = reports.withLock({ $0.report(fingerprint, images: images, label: label, user: user, at: now) }) else { return nil }
        let added = await add(entry)
        logger.notice("fuzzy list: a campaign users reported was added", metadata: ["id": "\(entry.id)", "note": "\(entry.note)"])
        return added
    }

    /// Appends a record to the file and the shared stores: (saved, shared), each nil when not configured.
    private func record(_ record: FuzzyList.Record) async -> (Bool?, Bool?) {
        let line = record.json
        var saved: Bool?, shared: Bool?
        if let file {
            saved = AppendOnlyFile.append(line + "\n", to: file)
            if saved == false { logger.error("fuzzy list: cannot write", metadata: ["file": "\(file)"]) }
        }
        if let redis {
            // An operator's action, not the hot path: tried three times over about two seconds (a connection that is
            // still being made, or a slow answer, fails the first try). A record pushed twice changes nothing.
            for attempt in 1...3 {
                do {
                    _ = try await redis.send(["RPUSH", key, line])
                    shared = true
                    break
                } catch {
                    shared = false
                    if attempt == 3 {
                        logger.error("fuzzy list: Redis did not take the record; it stays on this server", metadata: ["error": "\(error)"])
                    } else {
                        try? await Task.sleep(for: .milliseconds(1_100))
                    }
                }
            }
        }
        if let archive {
            do {
                try await archive.appendFuzzyRecord(line)
                shared = shared ?? true
            } catch {
                shared = false
                logger.error("fuzzy list: PostgreSQL did not take the record; it stays on this server", metadata: ["error": "\(error)"])
            }
        }
        return (saved, shared)
    }

    /// Reads what other servers added or removed since the last read (their records, and this server's own again,
    /// which change nothing).
    public func refresh() async {
        if let redis {
            let start = readFromRedis.withLock { $0 }
            if case .array(let items?)? = try? await redis.send(["LRANGE", key, String(start), "-1"]) {
                list.withLock { l in
                    for case .bulk(let bytes?) in items { if let r = FuzzyList.Record(json: bytes) { l.apply(r) } }
                }
                readFromRedis.withLock { $0 = start + items.count }
            }
        }
        if let archive {
            while true {
                let after = readFromArchive.withLock { $0 }
                guard let rows = try? await archive.fuzzyRecords(after: after, limit: 10_000), let last = rows.last else { break }
                list.withLock { l in
                    for row in rows { if let r = FuzzyList.Record(json: row.json.utf8) { l.apply(r) } }
                }
                readFromArchive.withLock { $0 = last.position }
                if rows.count < 10_000 { break }
            }
        }
    }

    public func run() async throws {
        guard redis != nil || archive != nil else { return }
        while !Task.isCancelled && !Task.isShuttingDownGracefully {
            await refresh()
            try? await cancelWhenGracefulShutdown { try await Task.sleep(for: .milliseconds(Int(self.refreshSeconds * 1_000))) }
        }
    }
}
