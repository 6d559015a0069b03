import MailsiftCore
import MailsiftRedis

/// `mailsift bench velocity`: observations of one sender against a Redis sender-state store, `concurrency`
/// at a time, at a fixed time (so that every one lands in the same buckets); messages per second and the
/// per-observation latency percentiles. Also what the two-process test runs in each process.
public struct VelocityLoad: Sendable {
    public var client: RedisClient
    public var messages: Int
    public var concurrency: Int
    public var time: Int64
    public var keys: SenderKeys

    /// `mailsift bench velocity`'s load: one sender (`ip`, bench@example.com) writing to one recipient.
    public init(redis url: String, messages: Int, concurrency: Int, time: Int64, ip: String) throws {
        let keys = SenderKeys(clientIP: ip, envelopeSender: "bench@example.com", fromDomain: "example.com", recipients: ["user@example.org"])
        self.init(client: try RedisClient(url: url), messages: messages, concurrency: concurrency, time: time, keys: keys)
    }

    public init(client: RedisClient, messages: Int, concurrency: Int, time: Int64, keys: SenderKeys) {
        self.client = client
        self.messages = messages
        self.concurrency = max(1, concurrency)
        self.time = time
        self.keys = keys
    }

    /// Runs the load; fails at the first error.
    public func run() async throws -> String {
        let store = RedisSenderStateStore(client: client)
        let clock = ContinuousClock()
        let start = clock.now
        let perTask = (messages + concurrency - 1) / concurrency
        let latencies = try await withThrowingTaskGroup(of: [Double].self) { group in
            for t in 0..<concurrency {
                let n = min(perTask, messages - t * perTask)
                guard n > 0 else { continue }
                group.addTask {
                    var out: [Double] = []
                    out.reserveCapacity(n)
                    for _ in 0..<n {
                        let s = clock.now
                        _ = try await store.observe(keys, at: time)
                        out.append((clock.now - s).seconds * 1e6)
                    }
                    return out
                }
            }
            return try await group.reduce(into: [Double]()) { $0 += $1 }.sorted()
        }
        let seconds = (clock.now - start).seconds
        func p(_ q: Double) -> Int { latencies.isEmpty ? 0 : Int(latencies[min(Int(q * Double(latencies.count)), latencies.count - 1)]) }
        let last = try await store.observe(keys, at: time)
        let count = last.count(.clientIP, .minute).map(String.init) ?? "none"
        return "velocity: \(messages) observations in \(String(Int(seconds * 1_000))) ms, \(Int(Double(messages) / seconds)) msg/s (\(concurrency) at a time); "
            + "latency p50 \(p(0.5)) us, p99 \(p(0.99)) us; client IP count now \(count)"
    }
}
