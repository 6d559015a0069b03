import NIOCore

/// One consumer of a Redis stream in a consumer group, with at-least-once delivery made exactly-once in
/// effect: an entry's result is written by ``commit(_:to:fields:)``, one Lua script that acknowledges the
/// entry and appends the result only if the acknowledgement took it off the group's pending list. A worker
/// killed before its commit leaves the entry pending; another consumer claims it once it has been idle
/// ``claimIdleMilliseconds`` (``claim(count:)``) and processes it again; should the first worker still be
/// alive and commit too, its commit finds the entry acknowledged and writes nothing. An entry delivered
/// more than ``maxDeliveries`` times (a message that kills its workers), or refused by the processing
/// (``deadLetter(_:reason:)``), moves to the dead-letter stream with its fields and the reason.
public final class RedisStreamConsumer: Sendable {
    public let client: RedisClient
    public let stream: String
    public let group: String
    public let consumer: String
    public let deadLetterStream: String
    public let claimIdleMilliseconds: Int
    public let maxDeliveries: Int

    /// One entry as delivered: its id, its fields (values are bytes: a raw message need not be UTF-8) and how
    /// many times it has been delivered to the group, this time included.
    public struct Entry: Sendable, Hashable {
        public var id: String
        public var fields: [String: [UInt8]]
        public var deliveries: Int

        public func string(_ field: String) -> String? { fields[field].map { String(decoding: $0, as: UTF8.self) } }
    }

    public init(
        client: RedisClient, stream: String, group: String, consumer: String, deadLetterStream: String,
        claimIdleMilliseconds: Int = 30_000, maxDeliveries: Int = 5
    ) {
        self.client = client
        self.stream = stream
        self.group = group
        self.consumer = consumer
        self.deadLetterStream = deadLetterStream
        self.claimIdleMilliseconds = claimIdleMilliseconds
        self.maxDeliveries = maxDeliveries
    }

    /// Creates the stream and the group if they do not exist; a new group starts at the stream's first entry,
    /// so entries a gateway appended before any worker started are not skipped.
    public func createGroup() async throws(RedisError) {
        do {
            try await client.send(["XGROUP", "CREATE", stream, group, "0", "MKSTREAM"])
        } catch .server(let message) where message.hasPrefix("BUSYGROUP") {
            // It exists already.
        }
    }

    /// New entries for this consumer, waiting up to `blockMilliseconds` for the first (nil: not waiting);
    /// empty when none came.
    public func read(count: Int, blockMilliseconds: Int? = nil) async throws(RedisError) -> [Entry] {
        let block = blockMilliseconds.map { ["BLOCK", String($0)] } ?? []
        let reply = try await client.send(
            ["XREADGROUP", "GROUP", group, consumer, "COUNT", String(count)] + block + ["STREAMS", stream, ">"],
            timeout: blockMilliseconds.map { .milliseconds(Int64($0) + 2_000) })
        guard case .array(let streams?) = reply else { return [] }  // null: the block time passed
        var entries: [Entry] = []
        for s in streams {
            guard case .array(let pair?) = s, pair.count == 2 else { throw .protocolError("unexpected XREADGROUP reply") }
            entries += try Self.entries(pair[1], deliveries: 1)
        }
        return entries
    }

    /// Entries other consumers were given but have not acknowledged for ``claimIdleMilliseconds`` (their
    /// worker died or hangs), now this consumer's, with their delivery counts; up to `count`, scanning the
    /// pending list from the start each time.
    public func claim(count: Int) async throws(RedisError) -> [Entry] {
        let reply = try await client.send(["XAUTOCLAIM", stream, group, consumer, String(claimIdleMilliseconds), "0-0", "COUNT", String(count)])
        guard case .array(let parts?) = reply, parts.count >= 2 else { throw .protocolError("unexpected XAUTOCLAIM reply") }
        var entries = try Self.entries(parts[1], deliveries: 0)
        for i in entries.indices {
            entries[i].deliveries = try await deliveries(of: entries[i].id)
        }
        return entries
    }

    /// How many times the group has delivered entry `id` (0 when it is not pending).
    func deliveries(of id: String) async throws(RedisError) -> Int {
        let reply = try await client.send(["XPENDING", stream, group, id, id, "1"])
        guard case .array(let rows?) = reply, let first = rows.first, case .array(let row?) = first, row.count == 4,
              case .integer(let n) = row[3] else { return 0 }
        return Int(n)
    }

    /// Acknowledges `entry` and appends `fields` (with `source_id`, the entry's id) to `output`, atomically,
    /// unless the entry was acknowledged already. True when this call wrote the result.
    @discardableResult
    public func commit(_ entry: Entry, to output: String, fields: [(String, String)]) async throws(RedisError) -> Bool {
        let reply = try await client.evaluate(Self.commitScript, keys: [stream, output], arguments: [group, entry.id] + fields.flatMap { [$0.0, $0.1] })
        return reply == .integer(1)
    }

    /// Acknowledges `entry` (its processing is done and left no result in Redis).
    public func acknowledge(_ entry: Entry) async throws(RedisError) {
        try await client.send(["XACK", stream, group, entry.id])
    }

    /// Acknowledges `entry` and copies it to the dead-letter stream with `reason`, its delivery count and the
    /// stream it came from, atomically, unless it was acknowledged already. True when this call moved it.
    @discardableResult
    public func deadLetter(_ entry: Entry, reason: String) async throws(RedisError) -> Bool {
        let reply = try await client.evaluate(
            Self.deadLetterScript, keys: [stream, deadLetterStream], arguments: [group, entry.id, "reason", reason, "deliveries", String(entry.deliveries)])
        return reply == .integer(1)
    }

    /// How many entries the group has been given and not acknowledged.
    public func pendingCount() async throws(RedisError) -> Int {
        let reply = try await client.send(["XPENDING", stream, group])
        guard case .array(let parts?) = reply, let first = parts.first, case .integer(let n) = first else {
            throw .protocolError("unexpected XPENDING reply")
        }
        return Int(n)
    }

    /// `[[id, [field, value, ...]], ...]` as entries; an entry whose fields are null (deleted) is skipped.
    static func entries(_ value: RESPValue, deliveries: Int) throws(RedisError) -> [Entry] {
        guard case .array(let rows?) = value else { return [] }
        var out: [Entry] = []
        out.reserveCapacity(rows.count)
        for row in rows {
            guard case .array(let pair?) = row, pair.count == 2, let id = pair[0].string else { throw .protocolError("unexpected stream entry") }
            guard case .array(let flat?) = pair[1] else { continue }
            var fields: [String: [UInt8]] = [:]
            for i in stride(from: 0, to: flat.count - 1, by: 2) {
                guard let name = flat[i].string, case .bulk(let bytes?) = flat[i + 1] else { continue }
                fields[name] = bytes
            }
            out.append(Entry(id: id, fields: fields, deliveries: deliveries))
        }
        return out
    }

    /// KEYS: the input stream, the output stream. ARGV: group, entry id, then the result's fields and values.
    static let commitScript = """
        if redis.call('XACK', KEYS[1], ARGV[1], ARGV[2]) == 0 then return 0 end
        redis.call('XADD', KEYS[2], '*', 'source_id', ARGV[2], unpack(ARGV, 3))
        return 1
        """

    /// KEYS: the input stream, the dead-letter stream. ARGV: group, entry id, then extra fields and values.
    /// The entry's own fields follow them.
    static let deadLetterScript = """
        if redis.call('XACK', KEYS[1], ARGV[1], ARGV[2]) == 0 then return 0 end
        local fields = {'source_id', ARGV[2], 'source_stream', KEYS[1]}
        for i = 3, #ARGV do fields[#fields + 1] = ARGV[i] end
        local e = redis.call('XRANGE', KEYS[1], ARGV[2], ARGV[2])
        if e[1] then for _, v in ipairs(e[1][2]) do fields[#fields + 1] = v end end
        redis.call('XADD', KEYS[2], '*', unpack(fields))
        return 1
        """
}
