/// The hashing and signature checks DKIM needs, as a port: the core canonicalises and decides, an adapter
/// (`SwiftCryptoDKIM` in `MailsiftCrypto`, on swift-crypto) does the cryptography.
public protocol DKIMCrypto: Sendable {
    /// SHA-256 of `data`, or SHA-1 with `sha1`.
    func hash(_ data: [UInt8], sha1: Bool) -> [UInt8]
    /// Whether `signature` is an RSASSA-PKCS1-v1_5 signature of `data` (hashed with SHA-256, or SHA-1) by the key in
    /// `publicKey` (DER: SubjectPublicKeyInfo or RSAPublicKey); nil when the key does not parse or is under 1024 bits.
    func verifyRSA(publicKey: [UInt8], signature: [UInt8], data: [UInt8], sha1: Bool) -> Bool?
    /// Whether `signature` is an Ed25519 signature of `message` by the raw 32-byte `publicKey`; nil for a bad key.
    func verifyEd25519(publicKey: [UInt8], signature: [UInt8], message: [UInt8]) -> Bool?
}

/// DKIM (RFC 6376, and RFC 8463 for Ed25519): checks every `DKIM-Signature` of a message (at most
/// ``maximumSignatures``) against the signer's key in DNS. Relaxed and simple canonicalisation of header and body,
/// `l=`, `x=`, key records with `k=`, `h=`, `t=` (`s`: the identity's domain must be the signing domain) and `p=`
/// (empty: revoked). rsa-sha1 is checked but reported as weak.
public struct DKIMCheck: Sendable {
    public enum Result: String, Sendable, Hashable, CaseIterable {
        case pass, fail, temperror, permerror
    }

    public struct Outcome: Sendable, Hashable {
        public var result: Result
        public var domain: String
        public var selector: String
        public var algorithm: String
        /// Why, in a few words (`body hash mismatch`, `key revoked`...).
        public var detail: String
        /// The key was published in testing mode (`t=y`).
        public var testing = false
    }

    public let resolver: any DNSResolver
    public let crypto: any DKIMCrypto
    /// Seconds since 1970, for `x=`.
    public var now: Int64 = 0
    public static let maximumSignatures = 5

    /// Key records parsed before, by their text (a signer's key signs much of its mail), bounded as SPF's records are.
    let keys = BoundedCache<[UInt8], DKIMKey?>(capacity: 10_000)

    public init(resolver: any DNSResolver, crypto: any DKIMCrypto) {
        self.resolver = resolver
        self.crypto = crypto
    }

    /// The outcome of each signature, top first.
    public func check(_ message: Message, deadline: ContinuousClock.Instant) async -> [Outcome] {
        // Most mail of some sources is unsigned: the raw header is read only when there is a signature.
        guard message.headers.first("dkim-signature") != nil else { return [] }
        let bodyStart = DKIMCheck.bodyStart(message.bytes)
        let fields = DKIMCheck.rawFields(message.bytes, end: bodyStart)
        var outcomes: [Outcome] = []
        var bodyHashes: [String: [UInt8]] = [:]
        for field in fields where field.name == "dkim-signature" {
            guard outcomes.count < DKIMCheck.maximumSignatures else { break }
            let value = String(decoding: field.value, as: UTF8.self)
            let signature: DKIMSignature
            do {
                signature = try DKIMSignature(parsing: value)
            } catch {
                outcomes.append(Outcome(result: .permerror, domain: "", selector: "", algorithm: "", detail: error.description))
                continue
            }
            outcomes.append(await verify(
                signature, field: field, fields: fields, message: message, bodyStart: bodyStart, bodyHashes: &bodyHashes, deadline: deadline))
        }
        return outcomes
    }

    func verify(
        _ s: DKIMSignature, field: RawField, fields: [RawField], message: Message, bodyStart: Int, bodyHashes: inout [String: [UInt8]],
        deadline: ContinuousClock.Instant
    ) async -> Outcome {
        var outcome = Outcome(result: .fail, domain: s.domain, selector: s.selector, algorithm: s.algorithm.rawValue, detail: "")
        func ending(_ result: Result, _ detail: String) -> Outcome {
            outcome.result = result
            outcome.detail = detail
            return outcome
        }
        if let x = s.expiration, now > 0, x < now { return ending(.fail, "signature expired") }
        if let t = s.timestamp, let x = s.expiration, x < t { return ending(.permerror, "x= before t=") }
        // The key.
        let key: DKIMKey
        switch await lookupKey(selector: s.selector, domain: s.domain, deadline: deadline) {
        case .failure(let why): return ending(why.temporary ? .temperror : .permerror, why.detail)
        case .success(let k): key = k
        }
        outcome.testing = key.testing
        guard !key.publicKey.isEmpty else { return ending(.permerror, "key revoked") }
        let keyIsEd = key.type == "ed25519"
        guard key.type == "rsa" || keyIsEd, keyIsEd == (s.algorithm == .ed25519SHA256) else { return ending(.permerror, "key type \(key.type) does not fit \(s.algorithm.rawValue)") }
        let sha1 = s.algorithm == .rsaSHA1
        if let accepted = key.hashes, !accepted.contains(sha1 ? "sha1" : "sha256") { return ending(.permerror, "hash not accepted by the key") }
        if key.strict, let at = s.identity.lastIndex(of: "@"), s.identity[s.identity.index(after: at)...].lowercased() != s.domain {
            return ending(.permerror, "i= is a subdomain and the key is strict")
        }
        // The body.
        let cacheKey = "\(s.body.rawValue) \(s.length ?? -1) \(sha1)"
        let bodyHash: [UInt8]
        if let cached = bodyHashes[cacheKey] {
            bodyHash = cached
        } else {
            var body = DKIMCheck.canonicalBody(message.bytes, bodyStart: bodyStart, s.body)
            if let l = s.length {
                guard l <= body.count else { return ending(.permerror, "l= beyond the body") }
                body.removeLast(body.count - l)
            }
            bodyHash = crypto.hash(body, sha1: sha1)
            bodyHashes[cacheKey] = bodyHash
        }
        guard bodyHash == s.bodyHash else { return ending(.fail, "body hash mismatch") }
        // The header.
        var data: [UInt8] = []
        var used = Set<Int>()
        for name in s.headers {
            // The last instance not yet used, bottom up (section 5.4.2); a name not present signs nothing.
            guard let index = fields.indices.last(where: { fields[$0].name == name && !used.contains($0) && fields[$0].start != field.start }) else { continue }
            used.insert(index)
            data += DKIMCheck.canonicalHeader(fields[index], s.header)
            data += [ASCII.cr, ASCII.lf]
        }
        data += DKIMCheck.canonicalHeader(DKIMCheck.withoutSignature(field), s.header)
        let valid: Bool?
        if keyIsEd {
            valid = crypto.verifyEd25519(publicKey: key.publicKey, signature: s.signature, message: crypto.hash(data, sha1: false))
        } else {
            valid = crypto.verifyRSA(publicKey: key.publicKey, signature: s.signature, data: data, sha1: sha1)
        }
        guard let valid else { return ending(.permerror, "key does not parse") }
        return valid ? ending(.pass, sha1 ? "weak hash (rsa-sha1)" : "") : ending(.fail, "signature does not verify")
    }

    struct KeyFailure: Error {
        var temporary: Bool
        var detail: String
    }

    /// The key record at `selector._domainkey.domain`.
    func lookupKey(selector: String, domain: String, deadline: ContinuousClock.Instant) async -> Swift.Result<DKIMKey, KeyFailure> {
        let answer = await resolver.query(selector + "._domainkey." + domain, .txt, deadline: deadline)
        if answer.isTemporaryFailure { return .failure(KeyFailure(temporary: true, detail: "key lookup failed")) }
        guard let record = answer.records.compactMap(\.text).first else { return .failure(KeyFailure(temporary: false, detail: "no key")) }
        guard let key = keys.value(Array(record.prefix(8192)), making: { DKIMKey(String(decoding: $0, as: UTF8.self)) }) else {
            return .failure(KeyFailure(temporary: false, detail: "key record does not parse"))
        }
        return .success(key)
    }

    /// A usable key (published, not revoked), or nil.
    func key(selector: String, domain: String, deadline: ContinuousClock.Instant) async -> DKIMKey? {
        guard case .success(let key) = await lookupKey(selector: selector, domain: domain, deadline: deadline), !key.publicKey.isEmpty else { return nil }
        return key
    }

    // MARK: - The message as signed

    /// A header field as its bytes stand in the message.
    struct RawField {
        /// The lower-cased name.
        var name: String
        /// The name as written, the colon excluded.
        var rawName: ArraySlice<UInt8>
        /// Everything after the colon, folding included, without the final line break.
        var value: ArraySlice<UInt8>
        var start: Int
    }

    /// Where the body starts (after the first empty line), or the end.
    static func bodyStart(_ b: [UInt8]) -> Int {
        b.withUnsafeBufferPointer { u in
            // From line feed to line feed: a line that is empty, or only a CR, ends the header.
            var lineStart = 0
            while case let lf = u.firstIndex(of: ASCII.lf, from: lineStart, end: u.count), lf < u.count {
                let n = lf - lineStart
                if n == 0 || (n == 1 && u[lineStart] == ASCII.cr) { return lf + 1 }
                lineStart = lf + 1
            }
            return u.count
        }
    }

    /// The header fields as written (an mbox `From ` line first is skipped), the header ending at `end`
    /// (``bodyStart(_:)``).
    static func rawFields(_ b: [UInt8], end: Int? = nil) -> [RawField] {
        let end = end ?? bodyStart(b)
        var fields: [RawField] = []
        var i = 0
        if b.starts(with: Array("From ".utf8)), let nl = b.firstIndex(of: ASCII.lf) { i = nl + 1 }
        while i < end {
            var lineEnd = b[i..<end].firstIndex(of: ASCII.lf) ?? end
            // Continuation lines belong to the field.
            while lineEnd + 1 < end, b[lineEnd + 1] == ASCII.space || b[lineEnd + 1] == ASCII.tab {
                lineEnd = b[(lineEnd + 1)..<end].firstIndex(of: ASCII.lf) ?? end
            }
            var valueEnd = lineEnd
            if valueEnd > i, b[valueEnd - 1] == ASCII.cr { valueEnd -= 1 }
            if let colon = b[i..<valueEnd].firstIndex(of: ASCII.colon) {
                let rawName = b[i..<colon]
                var lo = i, hi = colon
                while lo < hi, ASCII.isWhitespace(b[lo]) { lo += 1 }
                while hi > lo, ASCII.isWhitespace(b[hi - 1]) { hi -= 1 }
                let name = b.withUnsafeBufferPointer { ASCII.lowercasedString(UnsafeBufferPointer(rebasing: $0[lo..<hi])) }
                fields.append(RawField(name: name, rawName: rawName, value: b[(colon + 1)..<valueEnd], start: i))
            }
            i = lineEnd + 1
            if fields.count > 1_000 { break }
        }
        return fields
    }

    /// One header field canonicalised, without the final CRLF (section 3.4.1 and 3.4.2). Bare LF line endings, as
    /// messages stored on Unix have them, count as CRLF.
    static func canonicalHeader(_ f: RawField, _ c: DKIMSignature.Canonicalization) -> [UInt8] {
        switch c {
        case .simple:
            var out = Array(f.rawName) + [ASCII.colon]
            var previous: UInt8 = 0
            for byte in f.value {
                if byte == ASCII.lf && previous != ASCII.cr { out.append(ASCII.cr) }
                out.append(byte)
                previous = byte
            }
            return out
        case .relaxed:
            var out = Array(f.name.utf8)
            while let last = out.last, last == ASCII.space || last == ASCII.tab { out.removeLast() }
            out.append(ASCII.colon)
            var value: [UInt8] = []
            var blank = false
            for byte in f.value where byte != ASCII.cr && byte != ASCII.lf {
                if byte == ASCII.space || byte == ASCII.tab {
                    blank = true
                } else {
                    if blank && !value.isEmpty { value.append(ASCII.space) }
                    blank = false
                    value.append(byte)
                }
            }
            return out + value
        }
    }

    /// The signature field with the value of its `b=` tag emptied (section 3.7).
    static func withoutSignature(_ f: RawField) -> RawField {
        var value = Array(f.value)
        var i = 0
        var tagStart = true
        while i < value.count {
            let byte = value[i]
            if byte == ASCII.semicolon { tagStart = true; i += 1; continue }
            if tagStart, !ASCII.isWhitespace(byte) {
                tagStart = false
                // Is this tag `b` (not `bh`)?
                var j = i + 1
                while j < value.count, ASCII.isWhitespace(value[j]) { j += 1 }
                if byte == UInt8(ascii: "b"), j < value.count, value[j] == ASCII.equals {
                    let start = j + 1
                    var end = start
                    while end < value.count, value[end] != ASCII.semicolon { end += 1 }
                    value.removeSubrange(start..<end)
                    return RawField(name: f.name, rawName: f.rawName, value: value[...], start: f.start)
                }
            }
            i += 1
        }
        return f
    }

    /// The body canonicalised (section 3.4.3 and 3.4.4), with CRLF line endings: one pass over the bytes, each line
    /// written as it is read and the empty lines at the end cut off after.
    static func canonicalBody(_ b: [UInt8], bodyStart: Int, _ c: DKIMSignature.Canonicalization) -> [UInt8] {
        var out: [UInt8] = []
        out.reserveCapacity(max(0, b.count - bodyStart) + 64)
        // The length of `out` after the last line that is not empty once canonicalised.
        var kept = 0
        b.withUnsafeBufferPointer { p in
            var i = bodyStart
            while i < p.count {
                var j = i
                while j < p.count, p[j] != ASCII.lf { j += 1 }
                // A line ends at LF, a CR before it dropped; an unterminated last line keeps what it has.
                let end = j < p.count && j > i && p[j - 1] == ASCII.cr ? j - 1 : j
                let before = out.count
                if c == .relaxed {
                    // Runs of other bytes copied at once; a run of blanks becomes one space, none at the end.
                    var k = i
                    while k < end {
                        var run = k
                        while run < end, p[run] != ASCII.space, p[run] != ASCII.tab { run += 1 }
                        out.append(contentsOf: UnsafeBufferPointer(rebasing: p[k..<run]))
                        k = run
                        while k < end, p[k] == ASCII.space || p[k] == ASCII.tab { k += 1 }
                        if k > run, k < end { out.append(ASCII.space) }
                    }
                } else {
                    out.append(contentsOf: UnsafeBufferPointer(rebasing: p[i..<end]))
                }
                let empty = out.count == before
                out.append(ASCII.cr)
                out.append(ASCII.lf)
                if !empty { kept = out.count }
                i = j + 1
            }
        }
        if kept == 0 { return c == .simple ? [ASCII.cr, ASCII.lf] : [] }
        out.removeSubrange(kept...)
        return out
    }
}

/// A DKIM key record (RFC 6376 section 3.6.1).
struct DKIMKey: Sendable, Hashable {
    var type = "rsa"
    var publicKey: [UInt8] = []
    /// Accepted hashes (`h=`); nil: any.
    var hashes: [String]?
    var testing = false
    var strict = false

    init?(_ record: String) {
        guard let tags = try? DKIMSignature.tagList(record) else { return nil }
        if let v = tags.first(where: { $0.0 == "v" }) { guard tags.first?.0 == "v", v.1 == "DKIM1" else { return nil } }
        if let k = tags.first(where: { $0.0 == "k" })?.1 { type = k.lowercased() }
        if let h = tags.first(where: { $0.0 == "h" })?.1 { hashes = h.lowercased().split(separator: ":").map { String($0.trimmingBlanks()) } }
        if let s = tags.first(where: { $0.0 == "s" })?.1, !s.split(separator: ":").contains(where: { $0.trimmingBlanks() == "email" || $0.trimmingBlanks() == "*" }) {
            return nil
        }
        if let t = tags.first(where: { $0.0 == "t" })?.1 {
            let flags = t.split(separator: ":").map { String($0.trimmingBlanks()) }
            testing = flags.contains("y")
            strict = flags.contains("s")
        }
        guard let p = tags.first(where: { $0.0 == "p" })?.1 else { return nil }
        guard let key = DKIMSignature.base64(p) else { return nil }
        publicKey = key
    }
}
