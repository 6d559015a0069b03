/// Where ``MetadataTokens`` writes its tokens. A token is built byte by byte in ``token`` and handed over by
/// ``commit()``: ``TokenHasher`` hashes it without making a `String` (the classification path), ``TokenNamer``
/// keeps it as a `String` (explanations). One writer of tokens serves both, so the hashed features and their
/// names cannot drift apart.
protocol TokenSink {
    /// The token being built.
    var token: [UInt8] { get set }
    /// Hands over the token in ``token`` and clears it.
    mutating func commit()
}

extension TokenSink {
    /// Adds a token that is only a key (`"hop_no_rdns"`).
    mutating func add(_ key: StaticString) {
        append(key)
        commit()
    }

    /// Adds `key` followed by `value` (`"from_domain="`, `"example.com"`).
    mutating func add(_ key: StaticString, _ value: some StringProtocol) {
        append(key)
        token.append(contentsOf: value.utf8)
        commit()
    }

    /// Adds `key` followed by `value`'s bytes, lowercased (ASCII).
    mutating func add(_ key: StaticString, lowercased value: UnsafeBufferPointer<UInt8>) {
        append(key)
        for c in value { token.append(ASCII.lower(c)) }
        commit()
    }

    /// Adds `key` followed by a count as a coarse bucket (0, 1, 2, 3, 4-7, 8-15, ...), and `suffix`.
    mutating func add(_ key: StaticString, bucket n: Int, suffix: StaticString = "") {
        append(key)
        if n < 4 {
            token.append(UInt8(ascii: "0") + UInt8(max(n, 0)))
        } else {
            let low = 1 << (Int.bitWidth - n.leadingZeroBitCount - 1)
            appendDecimal(low)
            token.append(UInt8(ascii: "-"))
            appendDecimal(low * 2 - 1)
        }
        append(suffix)
        commit()
    }

    private mutating func append(_ s: StaticString) {
        s.withUTF8Buffer { token.append(contentsOf: $0) }
    }

    private mutating func appendDecimal(_ n: Int) {
        let start = token.count
        var v = n.magnitude
        repeat {
            token.append(UInt8(ascii: "0") + UInt8(v % 10))
            v /= 10
        } while v > 0
        token[start...].reverse()
    }
}

/// Hashes each token with XXH64 under one seed, appending to ``hashes``.
struct TokenHasher: TokenSink {
    var token: [UInt8] = []
    var hashes: [UInt64]
    let seed: UInt64

    init(seed: UInt64, hashes: [UInt64]) {
        self.seed = seed
        self.hashes = hashes
        token.reserveCapacity(256)
    }

    mutating func commit() {
        hashes.append(token.withUnsafeBytes { FeatureHash.xxh64($0, seed: seed) })
        token.removeAll(keepingCapacity: true)
    }
}

/// Keeps each token as a string.
struct TokenNamer: TokenSink {
    var token: [UInt8] = []
    var names: [String] = []

    mutating func commit() {
        names.append(String(decoding: token, as: UTF8.self))
        token.removeAll(keepingCapacity: true)
    }
}
