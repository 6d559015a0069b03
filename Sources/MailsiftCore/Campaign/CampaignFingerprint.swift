/// A near-duplicate fingerprint of a message, for telling one campaign's messages from others: a MinHash signature
/// of its normalised visible text (subject and body after the normaliser, so homoglyphs, leetspeak, split words and
/// zero-width characters do not break it) taken as overlapping 3-word shingles, and one of its set of links (host and
/// path, without query or fragment, which campaigns vary per recipient).
///
/// Why MinHash: the share of equal positions in two signatures estimates the Jaccard similarity of the shingle sets,
/// and banding the signature (``bands``) gives exact-match keys that a store can count and index (Redis, SQL) with no
/// similarity search, which SimHash (Hamming distance) and TLSH (a distance over a digest) need. It is computed in
/// one pass (one-permutation hashing: each shingle hashed once into one of ``size`` bins, the smallest value kept,
/// empty bins filled from their next neighbour), so its cost grows with the text, not with the signature.
public struct CampaignFingerprint: Sendable, Hashable, Codable {
    /// The text's signature; nil when the text has fewer than ``minimumShingles`` shingles (too short to tell a
    /// campaign from a common phrase).
    public var text: [UInt32]?
    /// The link set's signature; nil with fewer than ``minimumLinks`` distinct links.
    public var links: [UInt32]?

    /// Values in a signature.
    public static let size = 128
    /// Rows in an LSH band: ``size`` / ``rowsPerBand`` bands.
    public static let rowsPerBand = 4
    public static let minimumShingles = 16
    public static let minimumLinks = 2
    /// Most words and links read (the fingerprint of a long message is that of its beginning).
    public static let maximumWords = 4_000
    public static let maximumLinks = 200
    /// The estimated similarity from which two signatures are the same campaign, chosen on the dev corpora
    /// (docs/content.md).
    public static let threshold = 0.5

    public init(text: [UInt32]?, links: [UInt32]?) {
        self.text = text
        self.links = links
    }

    /// The fingerprint of an analysed message.
    public init(_ a: AnalyzedMessage) {
        // Links written as markup (`href`, `src`, `form`): links in plain text are mostly the footers a list or
        // provider adds to all its mail, spam it relays included (docs/content.md).
        self.init(subject: a.normalizedSubject.text, body: a.normalizedBody.text, links: a.urls.filter { $0.source != .text }.map(\.url))
    }

    public init(subject: String, body: String, links: [String]) {
        var shingles: [UInt64] = []
        var words: (UInt64, UInt64) = (0, 0)
        var count = 0
        func word(_ h: UInt64) {
            count += 1
            if count >= 3 { shingles.append(CampaignFingerprint.mix(words.0 &* 0x9E37_79B9_7F4A_7C15 ^ words.1 &* 0xC2B2_AE3D_27D4_EB4F ^ h)) }
            words = (words.1, h)
        }
        for part in [subject, body] where count < CampaignFingerprint.maximumWords {
            CampaignFingerprint.words(in: part, limit: CampaignFingerprint.maximumWords - count, word)
        }
        text = shingles.count >= CampaignFingerprint.minimumShingles ? CampaignFingerprint.signature(shingles) : nil
        var linkHashes = Set<UInt64>()
        for link in links.prefix(CampaignFingerprint.maximumLinks) {
            linkHashes.insert(CampaignFingerprint.mix(FeatureHash.xxh64(CampaignFingerprint.linkIdentity(link))))
        }
        self.links = linkHashes.count >= CampaignFingerprint.minimumLinks ? CampaignFingerprint.signature(Array(linkHashes)) : nil
    }

    /// The estimated Jaccard similarity of two signatures: the share of equal positions.
    public static func similarity(_ a: [UInt32], _ b: [UInt32]) -> Double {
        guard a.count == b.count, !a.isEmpty else { return 0 }
        var equal = 0
        for i in a.indices where a[i] == b[i] { equal += 1 }
        return Double(equal) / Double(a.count)
    }

    /// Whether two fingerprints are of one campaign: their texts, or their link sets, at ``threshold`` or more.
    public func matches(_ other: CampaignFingerprint, threshold: Double = CampaignFingerprint.threshold) -> Bool {
        if let a = text, let b = other.text, CampaignFingerprint.similarity(a, b) >= threshold { return true }
        if let a = links, let b = other.links, CampaignFingerprint.similarity(a, b) >= threshold { return true }
        return false
    }

    /// The LSH band keys of a signature: messages that share one are candidates (two signatures of similarity s share
    /// at least one of 32 bands of 4 rows with probability 1 - (1 - s^4)^32: 0.87 at 0.5, 0.23 at 0.3).
    public static func bands(_ signature: [UInt32]) -> [UInt64] {
        stride(from: 0, to: signature.count, by: rowsPerBand).map { start in
            var h = UInt64(start) &* 0x9E37_79B9_7F4A_7C15
            for v in signature[start..<min(start + rowsPerBand, signature.count)] { h = mix(h ^ UInt64(v)) }
            return h
        }
    }

    // MARK: - Building

    /// The one-permutation MinHash signature of a set of 64-bit hashes, densified by rotation.
    static func signature(_ hashes: [UInt64]) -> [UInt32] {
        let empty = UInt32.max
        var bins = [UInt32](repeating: empty, count: size)
        for h in hashes {
            let bin = Int(h >> 57)  // the top 7 bits: one of 128 bins
            let value = UInt32(truncatingIfNeeded: h)
            if value < bins[bin] { bins[bin] = value }
        }
        // An empty bin takes the value of the next filled bin to its right, offset by the distance, so two sets fill
        // their empty bins alike (Shrivastava and Li, "Densifying one permutation hashing", 2014).
        guard bins.contains(where: { $0 != empty }) else { return bins }
        var filled = bins
        for i in 0..<size where bins[i] == empty {
            var d = 1
            while bins[(i + d) % size] == empty { d += 1 }
            filled[i] = bins[(i + d) % size] &+ UInt32(d) &* 0x9E37_79B9
        }
        return filled
    }

    /// Calls `body` with the hash of each word of `text` (runs of letters and digits, bytes as written: the
    /// normaliser has lower-cased and folded them), at most `limit`.
    static func words(in text: String, limit: Int, _ body: (UInt64) -> Void) {
        var text = text
        text.withUTF8 { u in
            var seen = 0
            var h: UInt64 = 0xCBF2_9CE4_8422_2325
            var inWord = false
            for byte in u {
                // ASCII letters and digits, and every byte of a multi-byte character, make words.
                if ASCII.isAlpha(byte) || ASCII.isDigit(byte) || byte >= 0x80 {
                    h = (h ^ UInt64(byte)) &* 0x100_0000_01B3
                    inWord = true
                } else if inWord {
                    body(h)
                    seen += 1
                    if seen >= limit { return }
                    h = 0xCBF2_9CE4_8422_2325
                    inWord = false
                }
            }
            if inWord, seen < limit { body(h) }
        }
    }

    /// A link as a campaign keeps it: lower-cased scheme and host, and the path, without query or fragment.
    public static func linkIdentity(_ url: String) -> String {
        var u = Array(url.utf8)
        if let cut = u.firstIndex(where: { $0 == UInt8(ascii: "?") || $0 == UInt8(ascii: "#") }) { u.removeSubrange(cut...) }
        // Scheme and host end at the first slash after `://` (or at the first slash at all).
        var hostEnd = u.count
        var i = 0
        if let colon = u.firstIndex(of: ASCII.colon), colon + 2 < u.count, u[colon + 1] == UInt8(ascii: "/"), u[colon + 2] == UInt8(ascii: "/") { i = colon + 3 }
        while i < u.count { if u[i] == UInt8(ascii: "/") { hostEnd = i; break }; i += 1 }
        var head = Array(u[..<hostEnd])
        head.withUnsafeMutableBufferPointer { ASCII.lowercaseInPlace(&$0) }
        return String(decoding: head + u[hostEnd...], as: UTF8.self)
    }

    /// splitmix64's finaliser.
    static func mix(_ x: UInt64) -> UInt64 {
        var z = x &+ 0x9E37_79B9_7F4A_7C15
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}
