/// What a message says about being a reply: the Message-IDs its `In-Reply-To` and `References` fields name, and a
/// reply prefix on its subject (`Re:`, `AW:`, `SV:`...). Anyone can write those: an attacker who adds them to a
/// spam, with a made-up Message-ID and `Re: ` on the subject, made 29.5% of caught spam slip below `quarantine`
/// (docs/adversarial.md). A reply is evidence only when it answers mail the site knows: one of the named
/// Message-IDs is in its ``MessageLedger`` (mail its users sent, `POST /v1/sent`), as Rspamd's `replies` module
/// checks. A claim that names none the site knows is taken out before the message is analysed
/// (``discounted(_:)``), so no stage reads it as a reply, and the verdict says so.
public struct ReplyClaim: Sendable, Hashable {
    /// The ledger keys (``key(_:)``) of the Message-IDs named: `In-Reply-To`'s first, then `References`' from
    /// the newest, at most ``maximumReferences`` (an attacker writes as many as they like).
    public var referenced: [UInt64]
    /// Whether any field that makes a message part of a thread is present (`In-Reply-To`, `References`,
    /// Outlook's `Thread-Index` and `Thread-Topic`).
    public var threadFields: Bool
    /// Whether the subject starts with a reply prefix.
    public var subjectPrefix: Bool

    /// Most Message-IDs looked up per message.
    public static let maximumReferences = 16
    /// Longest Message-ID taken, in bytes (RFC 5322 has no limit; real ones are under 100).
    public static let maximumIDBytes = 250
    /// The fields a discounted claim loses.
    static let threadFieldNames: Set<String> = ["in-reply-to", "references", "thread-index", "thread-topic"]
    /// Their name hashes (``HeaderField``'s), compared before the names.
    static let inReplyToKey = FeatureHash.xxh64("in-reply-to")
    static let referencesKey = FeatureHash.xxh64("references")
    static let threadIndexKey = FeatureHash.xxh64("thread-index")
    static let threadTopicKey = FeatureHash.xxh64("thread-topic")

    static func isThreadField(_ field: HeaderField) -> Bool {
        let k = field.nameKey
        return (k == inReplyToKey || k == referencesKey || k == threadIndexKey || k == threadTopicKey) && threadFieldNames.contains(field.lowercasedName)
    }

    public init(_ message: Message) {
        var ids: [UInt64] = []
        var seen = Set<UInt64>()
        var threadFields = false
        func take(_ value: String, newestFirst: Bool) {
            let found = ReplyClaim.messageIDs(in: value)
            for id in newestFirst ? found.reversed() : found {
                guard ids.count < ReplyClaim.maximumReferences, let k = ReplyClaim.key(id), seen.insert(k).inserted else { continue }
                ids.append(k)
            }
        }
        for field in message.headers where ReplyClaim.isThreadField(field) {
            threadFields = true
            if field.nameKey == ReplyClaim.inReplyToKey { take(field.value, newestFirst: false) }
            if field.nameKey == ReplyClaim.referencesKey { take(field.value, newestFirst: true) }
        }
        referenced = ids
        self.threadFields = threadFields
        subjectPrefix = ReplyClaim.replyPrefixLength(message.subject ?? "") > 0
    }

    /// Whether the message claims to be a reply at all.
    public var claims: Bool { threadFields || subjectPrefix }

    /// The ledger key of a Message-ID (`<local@domain>`, brackets and surrounding blanks optional); nil when empty
    /// or longer than ``maximumIDBytes``. Case is kept: the local part is case-sensitive (RFC 5322 3.6.4).
    public static func key(_ messageID: String) -> UInt64? {
        var id = Substring(messageID.trimmingBlanks())
        if id.hasPrefix("<"), id.hasSuffix(">"), id.count >= 2 { id = id.dropFirst().dropLast() }
        guard !id.isEmpty, id.utf8.count <= maximumIDBytes else { return nil }
        return FeatureHash.xxh64(String(id), seed: 0x4D534744)
    }

    /// The `<...>` Message-IDs in a field value, in order (at most a bounded number are looked at).
    static func messageIDs(in value: String) -> [String] {
        var out: [String] = []
        var rest = Substring(value)
        while out.count < 4 * maximumReferences, let open = rest.firstIndex(of: "<") {
            let after = rest.index(after: open)
            guard let close = rest[after...].firstIndex(of: ">") else { break }
            out.append(String(rest[open...close]))
            rest = rest[rest.index(after: close)...]
        }
        return out
    }

    /// Whether `subject` starts with a reply prefix (`Re:`, `AW:`, `SV:`...).
    public static func hasReplyPrefix(_ subject: String) -> Bool { replyPrefixLength(subject) > 0 }

    /// The length, in UTF-8 bytes, of the reply prefixes a subject starts with (`Re: AW: [2]`...): 0 when none.
    /// Read byte by byte (every prefix word is ASCII; the colon may be the fullwidth one).
    static func replyPrefixLength(_ subject: String) -> Int {
        var subject = subject
        return subject.withUTF8 { u -> Int in
            let n = min(u.count, 200)
            var i = 0, end = 0
            func blanks() { while i < n, u[i] == 0x20 || u[i] == 0x09 { i += 1 } }
            while true {
                blanks()
                var word: UInt64 = 0, letters = 0
                while i < n, letters < 5, case let b = u[i] | 0x20, b >= 0x61, b <= 0x7A {
                    word = word << 8 | UInt64(b)
                    letters += 1
                    i += 1
                }
                guard letters > 0, letters < 5 || !(i < n && (u[i] | 0x20) >= 0x61 && (u[i] | 0x20) <= 0x7A), replyWords.contains(word) else { return end }
                // An optional count: "Re[2]:" or "Re^2:".
                if i < n, u[i] == UInt8(ascii: "[") || u[i] == UInt8(ascii: "^") {
                    let bracket = u[i] == UInt8(ascii: "[")
                    i += 1
                    while i < n, u[i] >= 0x30, u[i] <= 0x39 { i += 1 }
                    if bracket {
                        guard i < n, u[i] == UInt8(ascii: "]") else { return end }
                        i += 1
                    }
                }
                blanks()
                if i < n, u[i] == UInt8(ascii: ":") {
                    i += 1
                } else if i + 2 < n, u[i] == 0xEF, u[i + 1] == 0xBC, u[i + 2] == 0x9A {  // U+FF1A FULLWIDTH COLON
                    i += 3
                } else {
                    return end
                }
                end = i
            }
        }
    }

    /// Reply prefixes of common mail clients' languages (not forwards: a forward claims no thread), as their
    /// lower-case ASCII bytes packed big-endian into an integer.
    static let replyWords: Set<UInt64> = Set(["re", "aw", "sv", "vs", "antw", "odp", "ynt", "rif", "res", "atb"].map { word in
        word.utf8.reduce(UInt64(0)) { $0 << 8 | UInt64($1) }
    })

    /// The message without its claim: the thread fields removed and the subject's reply prefixes cut, so every
    /// stage sees it as a message that answers nothing. The raw bytes are left as they were.
    public static func discounted(_ message: Message) -> Message {
        var m = message
        var fields: [HeaderField] = []
        for field in m.root.headers where !isThreadField(field) {
            if field.lowercasedName == "subject" {
                let cut = replyPrefixLength(field.value)
                if cut > 0 {
                    let rest = String(decoding: field.value.utf8.dropFirst(cut), as: UTF8.self).trimmingBlanks()
                    fields.append(HeaderField(name: field.name, rawValue: rest, value: rest))
                    continue
                }
            }
            fields.append(field)
        }
        m.root.headers = HeaderFields(fields)
        return m
    }
}
