/// A near-duplicate fingerprint of a message, for telling one campaign's messages from others: a MinHash signature
/// of its normalised visible text (subject and body after the normaliser, so homoglyphs, leetspeak, split words and
/// zero-width characters do not break it) taken as overlapping 3-word shingles, and one of its set of links (host and
/// path, without query or fragment, which campaigns vary per recipient).
///
/// Why MinHash: the share of equal positions in two signatures estimates the Jaccard similarity of the shingle sets,
/// and banding the signature (``bands``) gives exact-match keys that a store can count and index (Redis, SQL) with no
/// similarity search, which SimHash (Hamming distance) and TLSH (a distance over a digest) need. It is computed in
/// one pass (one-permutation hashing, ``Sketch``: each shingle hashed once into one of ``size`` bins, the smallest
/// value kept, empty bins filled from their next neighbour), so its cost grows with the text, not with the signature.
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
    public static let maximumWords = 300
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
        self.init(subject: a.normalizedSubject.text, body: a.normalizedBody.text, links: a.urls.lazy.filter { $0.source != .text }.map(\.url))
    }

    public init(subject: String, body: String, links: some Sequence<String>) {
        var sketch = Sketch()
        var words: (UInt64, UInt64) = (0, 0)
        var count = 0
        for part in [subject, body] where count < CampaignFingerprint.maximumWords {
            CampaignFingerprint.words(in: part, limit: CampaignFingerprint.maximumWords - count) { h in
                count += 1
                if count >= 3 { sketch.add(CampaignFingerprint.mix(words.0 &* 0x9E37_79B9_7F4A_7C15 ^ words.1 &* 0xC2B2_AE3D_27D4_EB4F ^ h)) }
                words = (words.1, h)
            }
        }
        text = sketch.added >= CampaignFingerprint.minimumShingles ? sketch.signature : nil
        // Distinct links (a MinHash of a set: a link repeated adds nothing, and the count of distinct ones decides).
        var hashes = links.prefix(CampaignFingerprint.maximumLinks).map { CampaignFingerprint.mix(CampaignFingerprint.linkHash($0)) } as [UInt64]
        hashes.sort()
        var distinct = 0
        for (i, h) in hashes.enumerated() where i == 0 || hashes[i - 1] != h { distinct += 1 }
        if distinct >= CampaignFingerprint.minimumLinks {
            var linkSketch = Sketch()
            for h in hashes { linkSketch.add(h) }
            self.links = linkSketch.signature
        } else {
            self.links = nil
        }
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

    /// Bands of each signature counted in the sender state (``VelocityKind/campaign``): two messages of similarity s
    /// share one of the 4 with probability 1 - (1 - s^4)^4 (0.88 at 0.8, 0.99 at 0.9): a counter of near-identical
    /// mail, in 8 store keys a message at most.
    public static let countedBands = 4

    /// The keys a campaign is counted under: the first ``countedBands`` bands of the text signature (`t` and the
    /// band in hex) and of the link signature (`l`); empty without signatures.
    public var counterKeys: [String] {
        var keys: [String] = []
        if let text { keys += CampaignFingerprint.bands(text).prefix(CampaignFingerprint.countedBands).map { "t" + String($0, radix: 16) } }
        if let links { keys += CampaignFingerprint.bands(links).prefix(CampaignFingerprint.countedBands).map { "l" + String($0, radix: 16) } }
        return keys
    }

    // MARK: - Building

    /// A one-permutation MinHash sketch being built: each hash goes to one of ``size`` bins by its top 7 bits, and a
    /// bin keeps the smallest of its low 32 bits.
    struct Sketch {
        static let empty = UInt32.max
        var bins = [UInt32](repeating: Sketch.empty, count: CampaignFingerprint.size)
        var added = 0

        mutating func add(_ h: UInt64) {
            added += 1
            let bin = Int(h >> 57)
            let value = UInt32(truncatingIfNeeded: h)
            if value < bins[bin] { bins[bin] = value }
        }

        /// The signature, densified: an empty bin takes the value of the next filled bin to its right, offset by the
        /// distance, so two sets fill their empty bins alike (Shrivastava and Li, "Densifying one permutation
        /// hashing", 2014).
        var signature: [UInt32] {
            guard bins.contains(where: { $0 != Sketch.empty }) else { return bins }
            var filled = bins
            let size = bins.count
            for i in 0..<size where bins[i] == Sketch.empty {
                var d = 1
                while bins[(i + d) % size] == Sketch.empty { d += 1 }
                filled[i] = bins[(i + d) % size] &+ UInt32(d) &* 0x9E37_79B9
            }
            return filled
        }
    }

    /// Calls `body` with the hash of each word of `text` (runs of letters and digits, bytes as written: the
    /// normaliser has lower-cased and folded them), at most `limit`. The hash rotates a byte in at a time (exact for
    /// words of up to 8 bytes, folded beyond) and is mixed at the word's end: no multiplication per byte.
    static func words(in text: String, limit: Int, _ body: (UInt64) -> Void) {
        var text = text
        text.withUTF8 { u in
            var seen = 0
            var h: UInt64 = 0
            var inWord = false
            // Quoted lines (`>` first on the line, after blanks) are someone else's text: a reply quoting a message
            // is not that message's campaign.
            var lineStart = true, quoted = false
            for byte in u {
                if lineStart, byte != ASCII.space, byte != ASCII.tab {
                    lineStart = false
                    quoted = byte == UInt8(ascii: ">")
                }
                if wordBytes[Int(byte)] {
                    if !quoted {
                        h = (h &<< 8 | h &>> 56) ^ UInt64(byte)
                        inWord = true
                    }
                    continue
                }
                if byte == ASCII.lf {
                    lineStart = true
                    quoted = false
                }
                if inWord {
                    body(mix(h))
                    seen += 1
                    if seen >= limit { return }
                    h = 0
                    inWord = false
                }
            }
            if inWord, seen < limit { body(mix(h)) }
        }
    }

    /// The bytes words are made of: ASCII letters and digits, and every byte of a multi-byte character.
    static let wordBytes: [Bool] = (0..<256).map { b in ASCII.isAlpha(UInt8(b)) || ASCII.isDigit(UInt8(b)) || b >= 0x80 }

    /// A link as a campaign keeps it: lower-cased scheme and host, and the path, without query or fragment.
    public static func linkIdentity(_ url: String) -> String {
        var u = Array(url.utf8)
        let end = identityEnd(&u)
        return String(decoding: u[..<end], as: UTF8.self)
    }

    /// A hash of ``linkIdentity(_:)`` read straight off the URL's bytes (no copy): each byte rotated in, the scheme
    /// and host lower-cased on the way, then mixed.
    static func linkHash(_ url: String) -> UInt64 {
        var url = url
        return url.withUTF8 { u in
            var h: UInt64 = 0x9E37_79B9_7F4A_7C15
            var slashes = 0
            var inHost = true
            var i = 0
            while i < u.count {
                var byte = u[i]
                if byte == UInt8(ascii: "?") || byte == UInt8(ascii: "#") { break }
                if inHost {
                    if byte == UInt8(ascii: "/") {
                        slashes += 1
                        // `scheme://host/`: the third slash ends the host; without `//`, the first.
                        if slashes == 3 || (slashes == 1 && (i + 1 >= u.count || u[i + 1] != UInt8(ascii: "/")) && (i == 0 || u[i - 1] != UInt8(ascii: ":"))) { inHost = false }
                    } else if byte >= UInt8(ascii: "A") && byte <= UInt8(ascii: "Z") {
                        byte |= 0x20
                    }
                }
                h = (h &<< 7 | h &>> 57) ^ UInt64(byte)
                h = h &* 0x100_0000_01B3
                i += 1
            }
            return mix(h ^ UInt64(i))
        }
    }

    /// Lower-cases the scheme and host of the URL in `u` and returns where its identity ends (at `?` or `#`).
    static func identityEnd(_ u: inout [UInt8]) -> Int {
        let end = u.firstIndex { $0 == UInt8(ascii: "?") || $0 == UInt8(ascii: "#") } ?? u.count
        // Scheme and host end at the first slash after `://` (or at the first slash at all).
        var i = 0
        if let colon = u[..<end].firstIndex(of: ASCII.colon), colon + 2 < end, u[colon + 1] == UInt8(ascii: "/"), u[colon + 2] == UInt8(ascii: "/") { i = colon + 3 }
        while i < end, u[i] != UInt8(ascii: "/") { i += 1 }
        for j in 0..<i where u[j] >= UInt8(ascii: "A") && u[j] <= UInt8(ascii: "Z") { u[j] |= 0x20 }
        return end
    }

    /// splitmix64's finaliser.
    static func mix(_ x: UInt64) -> UInt64 {
        var z = x &+ 0x9E37_79B9_7F4A_7C15
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}
