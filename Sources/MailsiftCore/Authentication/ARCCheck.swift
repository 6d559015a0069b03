/// ARC (RFC 8617): whether the chain of ARC sets that forwarders (mailing lists, forwarding services) added to a
/// message is intact, so that the authentication results the first of them recorded can be believed when the last
/// sealer is one the site trusts. Validates the structure (one seal, message signature and results field per
/// instance, 1 to 50, `cv=none` first and `cv=pass` after), the newest `ARC-Message-Signature` as DKIM is validated,
/// and every `ARC-Seal` over the sets up to its own, through the same key records and cryptography as DKIM.
public struct ARCCheck: Sendable {
    public enum Result: String, Sendable, Hashable, CaseIterable {
        case none, pass, fail
    }

    public struct Outcome: Sendable, Hashable {
        public var result: Result
        /// The newest instance.
        public var instance: Int
        /// The newest seal's signing domain.
        public var sealer: String
        public var detail: String
        /// The results the newest forwarder recorded (its `ARC-Authentication-Results`).
        public var upstream: AuthenticationResults?
    }

    public let dkim: DKIMCheck
    public static let maximumInstances = 50

    public init(resolver: any DNSResolver, crypto: any DKIMCrypto) {
        dkim = DKIMCheck(resolver: resolver, crypto: crypto)
    }

    /// `ARC-Seal`, `ARC-Message-Signature` or `ARC-Authentication-Results`, by its lower-cased name.
    static func isARCField(_ field: HeaderField) -> Bool {
        let name = field.lowercasedName
        return name == "arc-seal" || name == "arc-message-signature" || name == "arc-authentication-results"
    }

    public func check(_ message: Message, deadline: ContinuousClock.Instant) async -> Outcome {
        // Most mail has no ARC field: the raw header is read only when there is one.
        guard message.headers.contains(where: ARCCheck.isARCField) else {
            return Outcome(result: .none, instance: 0, sealer: "", detail: "no ARC sets", upstream: nil)
        }
        let bodyStart = DKIMCheck.bodyStart(message.bytes)
        let fields = DKIMCheck.rawFields(message.bytes, end: bodyStart)
        var seals: [Int: DKIMCheck.RawField] = [:], signatures: [Int: DKIMCheck.RawField] = [:], results: [Int: DKIMCheck.RawField] = [:]
        var none = Outcome(result: .none, instance: 0, sealer: "", detail: "no ARC sets", upstream: nil)
        func fail(_ why: String) -> Outcome {
            none.result = .fail
            none.detail = why
            return none
        }
        for field in fields {
            let kind: Int
            switch field.name {
            case "arc-seal": kind = 0
            case "arc-message-signature": kind = 1
            case "arc-authentication-results": kind = 2
            default: continue
            }
            guard let i = ARCCheck.instance(field), (1...ARCCheck.maximumInstances).contains(i) else { return fail("an ARC field without a valid i=") }
            switch kind {
            case 0: guard seals.updateValue(field, forKey: i) == nil else { return fail("two seals of instance \(i)") }
            case 1: guard signatures.updateValue(field, forKey: i) == nil else { return fail("two message signatures of instance \(i)") }
            default: guard results.updateValue(field, forKey: i) == nil else { return fail("two results of instance \(i)") }
            }
        }
        guard let newest = seals.keys.max() ?? signatures.keys.max() ?? results.keys.max() else { return none }
        none.instance = newest
        for i in 1...newest where seals[i] == nil || signatures[i] == nil || results[i] == nil {
            return fail("instance \(i) incomplete")
        }
        guard seals.count == newest, signatures.count == newest, results.count == newest else { return fail("instances beyond \(newest)") }
        // The seals' chain validation states.
        var sealTags: [Int: [(String, String)]] = [:]
        for i in 1...newest {
            guard let tags = try? DKIMSignature.tagList(String(decoding: seals[i]!.value, as: UTF8.self)) else { return fail("seal \(i) does not parse") }
            let cv = tags.first { $0.0 == "cv" }?.1.lowercased()
            if cv == "fail" { return fail("seal \(i) says the chain had failed") }
            guard cv == (i == 1 ? "none" : "pass") else { return fail("seal \(i) has cv=\(cv ?? "")") }
            sealTags[i] = tags
        }
        none.sealer = sealTags[newest]!.first { $0.0 == "d" }?.1.lowercased() ?? ""
        none.upstream = ARCCheck.results(results[newest]!)
        // The newest message signature, as a DKIM signature.
        let ams = String(decoding: signatures[newest]!.value, as: UTF8.self)
        guard let signature = try? DKIMSignature(parsing: ams, arc: true) else { return fail("message signature \(newest) does not parse") }
        var bodyHashes: [String: [UInt8]] = [:]
        let verified = await dkim.verify(
            signature, field: signatures[newest]!, fields: fields, message: message, bodyStart: bodyStart, bodyHashes: &bodyHashes, deadline: deadline)
        guard verified.result == .pass else { return fail("message signature \(newest): \(verified.detail)") }
        // Every seal, newest first, over the sets up to its own.
        for i in stride(from: newest, through: 1, by: -1) {
            let tags = sealTags[i]!
            func tag(_ n: String) -> String? { tags.first { $0.0 == n }?.1 }
            guard tag("a")?.lowercased() == "rsa-sha256" || tag("a")?.lowercased() == "ed25519-sha256", let b = tag("b").flatMap(DKIMSignature.base64),
                  let d = tag("d")?.lowercased(), let s = tag("s")?.lowercased() else { return fail("seal \(i) lacks a=, b=, d= or s=") }
            var data: [UInt8] = []
            for j in 1...i {
                data += DKIMCheck.canonicalHeader(results[j]!, .relaxed) + [ASCII.cr, ASCII.lf]
                data += DKIMCheck.canonicalHeader(signatures[j]!, .relaxed) + [ASCII.cr, ASCII.lf]
                if j < i { data += DKIMCheck.canonicalHeader(seals[j]!, .relaxed) + [ASCII.cr, ASCII.lf] }
            }
            data += DKIMCheck.canonicalHeader(DKIMCheck.withoutSignature(seals[i]!), .relaxed)
            let ed = tag("a")?.lowercased() == "ed25519-sha256"
            guard let key = await dkim.key(selector: s, domain: d, deadline: deadline) else { return fail("no key for seal \(i)") }
            let valid = ed ? dkim.crypto.verifyEd25519(publicKey: key.publicKey, signature: b, message: dkim.crypto.hash(data, sha1: false))
                : dkim.crypto.verifyRSA(publicKey: key.publicKey, signature: b, data: data, sha1: false)
            guard valid == true else { return fail("seal \(i) does not verify") }
        }
        none.result = .pass
        none.detail = "\(newest) sets"
        return none
    }

    /// The `i=` of an ARC field: its first tag.
    static func instance(_ field: DKIMCheck.RawField) -> Int? {
        let text = String(decoding: field.value.prefix(64), as: UTF8.self)
        let first = text.split(separator: ";", maxSplits: 1).first.map { $0.trimmingBlanks() } ?? ""
        guard first.hasPrefix("i") else { return nil }
        let parts = first.split(separator: "=", maxSplits: 1)
        guard parts.count == 2, parts[0].trimmingBlanks() == "i" else { return nil }
        return Int(parts[1].trimmingBlanks())
    }

    /// An `ARC-Authentication-Results` value read as the results field it carries (after `i=N;`).
    static func results(_ field: DKIMCheck.RawField) -> AuthenticationResults? {
        let text = String(decoding: field.value, as: UTF8.self)
        guard let semicolon = text.firstIndex(of: ";") else { return nil }
        return AuthenticationResults(parsing: String(text[text.index(after: semicolon)...]).replacingLineBreaks())
    }
}

extension String {
    /// Folded lines unfolded (line breaks to spaces).
    func replacingLineBreaks() -> String {
        String(decoding: utf8.map { $0 == ASCII.cr || $0 == ASCII.lf ? ASCII.space : $0 }, as: UTF8.self)
    }
}
