import Foundation
import MailsiftCore
import Synchronization

/// A sentence encoder with a bounded cache of embeddings keyed by a hash of the token ids (the same text
/// gives the same tokens): a campaign's copies, a message rescored after feedback or by several passes of
/// `eval` are encoded once. At most `capacity` entries; when full, the oldest half is dropped.
public final class EmbeddingCache: SentenceEncoder {
    public let base: any SentenceEncoder
    public let capacity: Int
    private let state = Mutex(State())

    struct State {
        var entries: [UInt64: [Float]] = [:]
        var order: [UInt64] = []
        var hits = 0
        var misses = 0
    }

    public init(_ base: any SentenceEncoder, capacity: Int = 20_000) {
        self.base = base
        self.capacity = max(capacity, 1)
    }

    /// The file named by `MAILSIFT_EMBEDDING_CACHE`, for experiments that train and evaluate many models on the
    /// same messages (`scripts/generalisation.sh`): `train` and `eval` read it at start and write it back at exit.
    public static var persistentPath: String? { ProcessInfo.processInfo.environment["MAILSIFT_EMBEDDING_CACHE"] }

    /// Reads entries saved by ``save(to:)`` for the same encoder (a file for another one, or unreadable, adds nothing).
    public func load(from path: String) {
        guard let data = FileManager.default.contents(atPath: path) else { return }
        let bytes = [UInt8](data)
        let header = Array((identity + "\n").utf8)
        guard bytes.count >= header.count, Array(bytes.prefix(header.count)) == header else { return }
        let width = 8 + dimension * 4
        var offset = header.count
        state.withLock { s in
            while offset + width <= bytes.count, s.entries.count < capacity {
                var key: UInt64 = 0
                for i in 0..<8 { key |= UInt64(bytes[offset + i]) << (8 * UInt64(i)) }
                var vector = [Float](repeating: 0, count: dimension)
                vector.withUnsafeMutableBytes { target in
                    for i in 0..<(dimension * 4) { target[i] = bytes[offset + 8 + i] }
                }
                if s.entries[key] == nil {
                    s.entries[key] = vector
                    s.order.append(key)
                }
                offset += width
            }
        }
    }

    /// Writes every entry (the encoder's identity first).
    public func save(to path: String) throws {
        var out = Array((identity + "\n").utf8)
        state.withLock { s in
            out.reserveCapacity(out.count + s.order.count * (8 + dimension * 4))
            for key in s.order {
                guard let vector = s.entries[key] else { continue }
                for i in 0..<8 { out.append(UInt8(truncatingIfNeeded: key >> (8 * UInt64(i)))) }
                vector.withUnsafeBytes { out.append(contentsOf: $0) }
            }
        }
        try Data(out).write(to: URL(fileURLWithPath: path), options: .atomic)
    }

    public var dimension: Int { base.dimension }
    public var maxTokens: Int { base.maxTokens }
    public var tokenizer: WordPieceTokenizer { base.tokenizer }
    public var identity: String { base.identity }

    /// Hits and misses so far.
    public var counts: (hits: Int, misses: Int) { state.withLock { ($0.hits, $0.misses) } }

    public func embed(_ tokens: [Int32]) -> [Float] {
        let key = tokens.withUnsafeBytes { FeatureHash.xxh64($0, seed: 0x7E5) }
        if let hit = state.withLock({ s -> [Float]? in
            let e = s.entries[key]
            if e != nil { s.hits += 1 } else { s.misses += 1 }
            return e
        }) { return hit }
        let embedding = base.embed(tokens)
        state.withLock { s in
            guard s.entries[key] == nil else { return }
            if s.entries.count >= capacity {
                let dropped = s.order.prefix(s.order.count / 2 + 1)
                for k in dropped { s.entries[k] = nil }
                s.order.removeFirst(dropped.count)
            }
            s.entries[key] = embedding
            s.order.append(key)
        }
        return embedding
    }
}
