import Foundation
import Logging
import MailsiftCore
import MailsiftRedis
import ServiceLifecycle
import Synchronization

/// The server's fuzzy list (``FuzzyList``): campaigns the operator marked `block` or `allow` (`POST /admin/fuzzy`),
/// kept in a file of JSON lines (`fuzzy_file`, read at start, appended to) and, with `redis_url`, in a Redis list that
/// every server appends to and reads from every `fuzzy_refresh_seconds`, so an entry added on one server reaches them
/// all. Entries hold fingerprints and the operator's note, never message content.
public final class FuzzyListService: Service, Sendable {
    private let list: Mutex<FuzzyList>
    private let file: String?
    private let redis: RedisClient?
    private let key: String
    /// How many entries of the Redis list this server has read.
    private let readFromRedis = Mutex(0)
    private let refreshSeconds: Double
    let logger: Logger

    public init(configuration: ServerConfiguration, logger: Logger) {
        var list = FuzzyList(threshold: configuration.fuzzyThreshold)
        file = configuration.fuzzyFile
        if let file, let text = try? String(contentsOfFile: file, encoding: .utf8) {
            var bad = 0
            for line in text.split(separator: "\n") where !line.isEmpty {
                guard let entry = try? JSONDecoder().decode(FuzzyList.Entry.self, from: Data(line.utf8)) else { bad += 1; continue }
                try? list.insert(entry)
            }
            logger.info("fuzzy list read", metadata: ["file": "\(file)", "entries": "\(list.count)", "unreadable_lines": "\(bad)"])
        }
        self.list = Mutex(list)
        redis = configuration.redisURL.flatMap { try? RedisClient(url: $0) }
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
        /// Written to the file, and to Redis (nil: not configured).
        public var saved: Bool?
        public var shared: Bool?
    }

    /// Adds an entry here, then to the file and to Redis.
    public func add(_ entry: FuzzyList.Entry) async -> Added {
        var added = Added(entry: entry)
        do {
            try list.withLock { l throws(FuzzyList.Refusal) in try l.insert(entry) }
        } catch {
            added.refusal = error
            return added
        }
        let line = (try? String(decoding: JSONEncoder().encode(entry), as: UTF8.self)) ?? ""
        if let file {
            added.saved = Self.append(line + "\n", to: file)
            if added.saved == false { logger.error("fuzzy list: cannot write", metadata: ["file": "\(file)"]) }
        }
        if let redis {
            do {
                _ = try await redis.send(["RPUSH", key, line])
                added.shared = true
            } catch {
                added.shared = false
                logger.error("fuzzy list: Redis did not take the entry; it stays on this server", metadata: ["error": "\(error)"])
            }
        }
        return added
    }

    /// Reads the entries other servers added to Redis since the last read.
    public func refresh() async {
        guard let redis else { return }
        let start = readFromRedis.withLock { $0 }
        let reply: RESPValue
        do { reply = try await redis.send(["LRANGE", key, String(start), "-1"]) } catch { return }
        guard case .array(let items?) = reply else { return }
        list.withLock { l in
            for item in items {
                guard case .bulk(let bytes?) = item, let entry = try? JSONDecoder().decode(FuzzyList.Entry.self, from: Data(bytes)) else { continue }
                try? l.insert(entry)
            }
        }
        readFromRedis.withLock { $0 = start + items.count }
    }

    public func run() async throws {
        guard redis != nil else { return }
        while !Task.isCancelled && !Task.isShuttingDownGracefully {
            await refresh()
            try? await cancelWhenGracefulShutdown { try await Task.sleep(for: .milliseconds(Int(self.refreshSeconds * 1_000))) }
        }
    }

    static func append(_ text: String, to path: String) -> Bool {
        if !FileManager.default.fileExists(atPath: path) { return FileManager.default.createFile(atPath: path, contents: Data(text.utf8)) }
        guard let handle = FileHandle(forWritingAtPath: path) else { return false }
        defer { try? handle.close() }
        do {
            try handle.seekToEnd()
            try handle.write(contentsOf: Data(text.utf8))
            return true
        } catch {
            return false
        }
    }
}
