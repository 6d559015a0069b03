import Foundation

/// What a message says about being list mail: `List-*` fields (RFC 2369, RFC 2919), `Precedence: list`/`bulk`,
/// `Mailing-List`, `X-BeenThere`, `X-Loop`. Anyone can write them: added to a spam with a made-up List-Id, they
/// were in 28 of the 35 spams that slipped below `quarantine` in the attack of docs/adversarial.md.
///
/// A list really relays its mail with the list's own envelope sender (Mailman's `list-bounces@`, Google Groups'
/// `group+bnc...@`, an ESP's bounce domain), so the claim is read (``Reading``) as **corroborated** when the list's
/// domain (``domain``: the List-Id's, else a list address's) has the registrable domain of the envelope sender
/// (MAIL FROM when the MTA gave it, else the top Return-Path) or of a DKIM signature a trusted host verified.
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
    /// The list's domains, lower case, at most ``maximumDomains``: the List-Id's namespace, then those of the list
    /// addresses (`List-Post`, `List-Unsubscribe`... each `mailto:` and web address; `X-BeenThere`,
    /// `X-Mailing-List`, `Mailing-List`). An ESP's newsletter may name its sender's site to unsubscribe on and
    /// its own bounce domain to mail. Empty when no field names one (`Precedence: bulk` alone).
    public var domains: [String] = []
    /// The first of ``domains``: the List-Id's when there is one.
    public var domain: String? { domains.first }

    /// Most domains a claim is corroborated by.
    static let maximumDomains = 8

    public init(_ message: Message) {
        var claims = false
        var listID: String?
        var addresses: [String] = []
        for field in message.headers {
            let name = field.lowercasedName
            guard ListClaim.isListField(name) else { continue }
            claims = true
            if name == "list-id" {
                if listID == nil { listID = ListClaim.listIDDomain(field.value) }
            } else if name != "precedence", addresses.count < ListClaim.maximumDomains {
                for d in ListClaim.addressDomains(field.value) where addresses.count < ListClaim.maximumDomains && !addresses.contains(d) {
                    addresses.append(d)
                }
            }
        }
        self.claims = claims
        domains = Array(((listID.map { [$0] } ?? []) + addresses.filter { $0 != listID }).prefix(ListClaim.maximumDomains))
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

    func corroborated(in message: Message, envelopeSender: String?) -> Bool {
        let lists = Set(domains.map(DomainName.registrable).filter { !$0.isEmpty })
        guard !lists.isEmpty else { return false }
        let sender = envelopeSender.map { AddressParser.parseList($0, limit: 1).first?.domain ?? "" } ?? message.returnPath.first?.domain ?? ""
        if !sender.isEmpty, lists.contains(DomainName.registrable(sender)) { return true }
        for field in message.headers where field.isAuthenticationResults {
            for check in AuthenticationResults(parsing: field.value).checks where check.method == "dkim" && check.result == "pass" {
                if let d = check.properties["header.d"], lists.contains(DomainName.registrable(d.fastLowercased())) { return true }
            }
        }
        return false
    }

    /// The fields a discounted claim loses.
    static func isListField(_ name: String) -> Bool {
        name.hasPrefix("list-") || fieldNames.contains(name)
    }

    static let fieldNames: Set<String> = ["precedence", "mailing-list", "x-mailing-list", "x-beenthere", "x-loop"]

    /// Bytes of a field read for the list's domain.
    static let maximumFieldBytes = 512

    /// RFC 2919: `phrase <list-label.namespace>` (or the id alone); the id lower case when it has a dot.
    static func listIDDomain(_ value: String) -> String? {
        var text = Substring(value.prefix(maximumFieldBytes))
        if let open = text.lastIndex(of: "<") {
            text = text[text.index(after: open)...]
            if let close = text.firstIndex(of: ">") { text = text[..<close] }
        }
        let id = text.trimmingCharacters(in: .whitespaces).fastLowercased()
        return id.contains(".") && !id.contains(" ") && !id.contains("@") ? ListClaim.host(id) : nil
    }

    /// The domains of the addresses in a list field, in order: `<mailto:x@domain?...>`, `<https://host/...>`,
    /// `x@domain`.
    static func addressDomains(_ value: String) -> [String] {
        let text = String(value.prefix(maximumFieldBytes)).fastLowercased()
        var out: [String] = []
        var rest = Substring(text)
        while out.count < maximumDomains {
            let scheme = rest.range(of: "://")
            let at = rest.firstIndex(of: "@")
            let host: Substring
            if let scheme, at == nil || scheme.lowerBound < at! {
                host = rest[scheme.upperBound...].prefix { $0 != "/" && $0 != ">" && $0 != "?" && $0 != ":" && $0 != "," && $0 != "@" && !$0.isWhitespace }
                rest = rest[scheme.upperBound...].drop { $0 != ">" && $0 != "," && !$0.isWhitespace }
            } else if let at {
                host = rest[rest.index(after: at)...].prefix { $0 != ">" && $0 != "?" && $0 != "," && $0 != ")" && $0 != "@" && !$0.isWhitespace }
                rest = rest[rest.index(after: at)...].dropFirst(host.count)
            } else {
                break
            }
            if let h = ListClaim.host(String(host)), !out.contains(h) { out.append(h) }
        }
        return out
    }

    static func host(_ text: String) -> String? {
        let host = text.hasSuffix(".") ? String(text.dropLast()) : text
        return host.contains(".") && host.count <= 253 ? host : nil
    }

    /// The message without its list fields. The raw bytes are left as they were.
    public static func discounted(_ message: Message) -> Message {
        var m = message
        var kept: [HeaderField] = []
        for field in m.root.headers {
            if isListField(field.lowercasedName) {
                m.removedHeaderBytes += field.byteCount
            } else {
                kept.append(field)
            }
        }
        m.root.headers = HeaderFields(kept)
        return m
    }
}
