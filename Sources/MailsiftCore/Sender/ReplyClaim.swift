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
        for field in message.headers where ReplyClaim.threadFieldNames.contains(field.lowercasedName) {
            threadFields = true
            switch field.lowercasedName {
            case "in-reply-to": take(field.value, newestFirst: false)
            case "references": take(field.value, newestFirst: true)
            default: break
            }
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

    /// The length, in characters, of the reply prefixes a subject starts with (`Re: AW: [2]`...): 0 when none.
    static func replyPrefixLength(_ subject: String) -> Int {
        let chars = Array(subject.prefix(200))
        var i = 0
        var end = 0
        func blanks() { while i < chars.count, chars[i] == " " || chars[i] == "\t" { i += 1 } }
        while true {
            blanks()
            var word = ""
            while i < chars.count, chars[i].isLetter, word.count < 5 { word.append(chars[i]); i += 1 }
            guard replyWords.contains(word.lowercased()) else { return end }
            // An optional count: "Re[2]:" or "Re^2:".
            if i < chars.count, chars[i] == "[" || chars[i] == "^" {
                let bracket = chars[i] == "["
                i += 1
                while i < chars.count, chars[i].isNumber { i += 1 }
                if bracket { guard i < chars.count, chars[i] == "]" else { return end }; i += 1 }
            }
            blanks()
            guard i < chars.count, chars[i] == ":" || chars[i] == "：" else { return end }
            i += 1
            end = i
        }
    }

    /// Reply prefixes of common mail clients' languages (not forwards: a forward claims no thread).
    static let replyWords: Set<String> = ["re", "aw", "sv", "vs", "antw", "odp", "ynt", "rif", "res", "atb"]

    /// The message without its claim: the thread fields removed and the subject's reply prefixes cut, so every
    /// stage sees it as a message that answers nothing. The raw bytes are left as they were.
    public static func discounted(_ message: Message) -> Message {
        var m = message
        var fields: [HeaderField] = []
        for field in m.root.headers where !threadFieldNames.contains(field.lowercasedName) {
            if field.lowercasedName == "subject" {
                let cut = replyPrefixLength(field.value)
                if cut > 0 {
                    let rest = String(field.value.dropFirst(cut)).trimmingBlanks()
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
