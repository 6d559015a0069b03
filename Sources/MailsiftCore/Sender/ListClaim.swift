/// What a message says about being list mail: `List-*` fields (RFC 2369, RFC 2919), `Precedence: list`/`bulk`,
/// `Mailing-List`, `X-BeenThere`, `X-Loop`. Anyone can write them: added to a spam with a made-up List-Id, they
/// were in 28 of the 35 spams that slipped below `quarantine` in the attack of docs/adversarial.md.
///
/// A list really relays its mail with the list's own envelope sender (Mailman's `list-bounces@`, Google Groups'
/// `group+bnc...@`, an ESP's bounce domain), so the claim is read (``Reading``) as **corroborated** when one of the
/// list's domains (``domains``: the List-Id's, then the list addresses') has the registrable domain of the envelope
/// sender (MAIL FROM when the MTA gave it, else the top Return-Path) or of a DKIM signature a trusted host verified.
/// Otherwise the message is analysed without its list fields (``discounted(_:)``), and the verdict says so. `serve`
/// reads every claim of a list its users read (``StreamContext``) as written, and with `verify_lists` no other.
public struct ListClaim: Sendable, Hashable {
    /// How an analysis reads list fields.
    public enum Reading: String, CaseIterable, Sendable, Hashable {
        /// As written: a list the site's users read.
        case asWritten = "as-written"
        /// Only when the envelope sender or a verified DKIM signature corroborates the list (the default).
        case corroborated
        /// Never: a list no user reads, at a site that counts only those (`verify_lists`).
        case discounted = "unread"
    }

    /// Whether any list field is present.
    public var claims: Bool
    /// The List-Id field's value, and those of the fields that name list addresses (at most ``maximumDomains``),
    /// read for the list's domains only when the claim is judged.
    var listIDValue: String?
    var addressValues: [String] = []

    /// Most domains a claim is corroborated by, and most address fields read for them.
    static let maximumDomains = 8

    public init(_ message: Message) {
        var claims = false
        for field in message.headers {
            let name = field.lowercasedName
            guard ListClaim.isListField(name) else { continue }
            claims = true
            if name == "list-id" {
                if listIDValue == nil { listIDValue = field.value }
            } else if name != "precedence", addressValues.count < ListClaim.maximumDomains {
                addressValues.append(field.value)
            }
        }
        self.claims = claims
    }

    /// The list's domains, lower case, at most ``maximumDomains``: the List-Id's namespace, then those of the list
    /// addresses (`List-Post`, `List-Unsubscribe`... each `mailto:` and web address; `X-BeenThere`,
    /// `X-Mailing-List`, `Mailing-List`). An ESP's newsletter may name its sender's site to unsubscribe on and
    /// its own bounce domain to mail. Empty when no field names one (`Precedence: bulk` alone).
    public var domains: [String] {
        var out: [String] = []
        _ = forEachDomain { out.append($0); return false }
        return out
    }

    /// The first of ``domains``: the List-Id's when there is one.
    public var domain: String? {
        var first: String?
        _ = forEachDomain { first = $0; return true }
        return first
    }

    /// Calls `body` with each of ``domains`` in order until it returns true; whether it did. The address fields are
    /// read only as far as the search goes.
    func forEachDomain(_ body: (String) -> Bool) -> Bool {
        var seen: [String] = []
        // Whether the search ends at `d`: the body accepted it, or it is one domain more than a claim is judged by.
        func endsAt(_ d: String) -> Bool {
            guard !seen.contains(d) else { return false }
            seen.append(d)
            return seen.count > ListClaim.maximumDomains || body(d)
        }
        if let id = listIDValue.flatMap(ListClaim.listIDDomain), endsAt(id) { return seen.count <= ListClaim.maximumDomains }
        for value in addressValues {
            for d in ListClaim.addressDomains(value) where endsAt(d) { return seen.count <= ListClaim.maximumDomains }
        }
        return false
    }

    /// Whether the claim counts when read as `reading` says: the envelope sender `envelopeSender` (MAIL FROM; nil:
    /// the message's top Return-Path) and the DKIM passes left in `message` (only trusted authentication results
    /// are, ``AuthenticationTrust``) corroborate it.
    public func counts(in message: Message, reading: Reading, envelopeSender: String? = nil) -> Bool {
        guard claims else { return true }
        switch reading {
        case .asWritten: return true
        case .discounted: return false
        case .corroborated: return corroborated(in: message, envelopeSender: envelopeSender)
        }
    }

    /// Whether one of the list's domains has the registrable domain of the envelope sender or of a trusted DKIM pass.
    /// A host has a registrable domain only as its suffix, so the Public Suffix List is asked only about a domain
    /// that ends with one of theirs.
    func corroborated(in message: Message, envelopeSender: String?) -> Bool {
        var owners: [String] = []
        let sender = envelopeSender.map { AddressParser.parseList($0, limit: 1).first?.domain ?? "" } ?? message.returnPath.first?.domain ?? ""
        if !sender.isEmpty { owners.append(DomainName.registrable(sender)) }
        for field in message.headers where field.isAuthenticationResults {
            for check in AuthenticationResults(parsing: field.value).checks where check.method == "dkim" && check.result == "pass" {
                if let d = check.properties["header.d"], owners.count < 2 * ListClaim.maximumDomains { owners.append(DomainName.registrable(d.fastLowercased())) }
            }
        }
        owners.removeAll { $0.isEmpty }
        guard !owners.isEmpty else { return false }
        return forEachDomain { host in
            owners.contains { owner in
                (host == owner || (host.utf8.count > owner.utf8.count && host.hasSuffix("." + owner))) && DomainName.registrable(host) == owner
            }
        }
    }

    /// The fields a discounted claim loses.
    static func isListField(_ name: String) -> Bool {
        // Most fields start with another letter: no hashing for them (this runs on every field of every message).
        switch name.utf8.first {
        case UInt8(ascii: "l"): return name.hasPrefix("list-")
        case UInt8(ascii: "p"), UInt8(ascii: "m"), UInt8(ascii: "x"): return fieldNames.contains(name)
        default: return false
        }
    }

    static let fieldNames: Set<String> = ["precedence", "mailing-list", "x-mailing-list", "x-beenthere", "x-loop"]

    /// Bytes of a field read for the list's domain.
    static let maximumFieldBytes = 512

    /// RFC 2919: `phrase <list-label.namespace>` (or the id alone); the id lower case when it has a dot.
    static func listIDDomain(_ value: String) -> String? {
        var text = value
        return text.withUTF8 { all -> String? in
            let u = UnsafeBufferPointer(rebasing: all.prefix(maximumFieldBytes))
            var start = 0, end = u.count
            if let open = u.lastIndex(of: UInt8(ascii: "<")) {
                start = open + 1
                end = u[start...].firstIndex(of: UInt8(ascii: ">")) ?? u.count
            }
            while start < end, ASCII.isWhitespace(u[start]) { start += 1 }
            while end > start, ASCII.isWhitespace(u[end - 1]) { end -= 1 }
            let id = u[start..<end]
            guard id.contains(UInt8(ascii: ".")), !id.contains(where: { ASCII.isWhitespace($0) || $0 == UInt8(ascii: "@") }) else { return nil }
            return host(UnsafeBufferPointer(rebasing: id))
        }
    }

    /// The hosts of the addresses in a list field, in order: `<mailto:x@domain?...>`, `<https://host/...>`,
    /// `x@domain`.
    static func addressDomains(_ value: String) -> [String] {
        var text = value
        return text.withUTF8 { all -> [String] in
            let u = UnsafeBufferPointer(rebasing: all.prefix(maximumFieldBytes))
            var out: [String] = []
            var i = 0
            while i < u.count, out.count < maximumDomains {
                let web = u[i] == UInt8(ascii: ":") && i + 2 < u.count && u[i + 1] == UInt8(ascii: "/") && u[i + 2] == UInt8(ascii: "/")
                guard web || u[i] == UInt8(ascii: "@") else {
                    i += 1
                    continue
                }
                let start = i + (web ? 3 : 1)
                var end = start
                while end < u.count, !endsHost(u[end]) { end += 1 }
                if let h = host(UnsafeBufferPointer(rebasing: u[start..<end])), !out.contains(h) { out.append(h) }
                i = end
                // The rest of a web address (its path and query may hold an `@`) names no list host.
                if web { while i < u.count, u[i] != UInt8(ascii: ">"), u[i] != UInt8(ascii: ","), !ASCII.isWhitespace(u[i]) { i += 1 } }
            }
            return out
        }
    }

    static func endsHost(_ b: UInt8) -> Bool {
        switch b {
        case UInt8(ascii: "/"), UInt8(ascii: ">"), UInt8(ascii: "?"), UInt8(ascii: ":"), UInt8(ascii: ","), UInt8(ascii: "@"),
             UInt8(ascii: ")"), UInt8(ascii: ";"), UInt8(ascii: "\""), UInt8(ascii: "<"):
            return true
        default:
            return ASCII.isWhitespace(b)
        }
    }

    /// A host's bytes as a lower-case name without a final dot; nil when it has no dot or is too long for a name.
    static func host(_ bytes: UnsafeBufferPointer<UInt8>) -> String? {
        var n = bytes.count
        if n > 0, bytes[n - 1] == UInt8(ascii: ".") { n -= 1 }
        guard n > 0, n <= 253, bytes[..<n].contains(UInt8(ascii: ".")) else { return nil }
        return String(decoding: bytes[..<n].lazy.map { $0 >= 0x41 && $0 <= 0x5A ? $0 | 0x20 : $0 }, as: UTF8.self)
    }

    /// The message without its list fields, and the fields taken out. The raw bytes are left as they were.
    public static func discounted(_ message: Message) -> (message: Message, removed: [HeaderField]) {
        var m = message
        var kept: [HeaderField] = []
        var removed: [HeaderField] = []
        for field in m.root.headers {
            if isListField(field.lowercasedName) {
                m.removedHeaderBytes += field.byteCount
                removed.append(field)
            } else {
                kept.append(field)
            }
        }
        m.root.headers = HeaderFields(kept)
        return (m, removed)
    }
}
