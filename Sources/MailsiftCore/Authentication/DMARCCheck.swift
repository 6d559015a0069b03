/// DMARC (RFC 7489): whether the From domain's owner vouches for the message, by an SPF or DKIM pass aligned with it,
/// and what the owner asks receivers to do otherwise. The record is looked up at `_dmarc.` the From domain, else at
/// `_dmarc.` its organisational domain (``PublicSuffixes``); alignment is relaxed (same organisational domain) or
/// strict (`adkim=s`, `aspf=s`: the same domain).
public struct DMARCCheck: Sendable {
    public enum Result: String, Sendable, Hashable, CaseIterable {
        case pass, fail, none, temperror, permerror
    }

    public struct Record: Sendable, Hashable {
        /// `none`, `quarantine` or `reject`.
        public var policy: String
        public var subdomainPolicy: String?
        public var strictDKIM = false
        public var strictSPF = false
        /// `pct=`: the share of failing mail the owner asks the policy applied to. Read, and not applied: a filter
        /// that rejects at all (`dmarc_reject`) rejects every failure.
        public var percent = 100

        /// Parses a `v=DMARC1` record; nil when it is not one (section 6.6.3: such records are ignored).
        public init?(_ text: String) {
            guard let tags = try? DKIMSignature.tagList(text), tags.first?.0.lowercased() == "v", tags.first?.1 == "DMARC1" else { return nil }
            func tag(_ name: String) -> String? { tags.first { $0.0.lowercased() == name }?.1.lowercased() }
            let policies = ["none", "quarantine", "reject"]
            if let p = tag("p") {
                guard policies.contains(p) else { return nil }
                policy = p
            } else {
                // Section 6.6.3: without p=, a record with rua= is read as p=none; otherwise it is not a record.
                guard tag("rua") != nil else { return nil }
                policy = "none"
            }
            if let sp = tag("sp"), policies.contains(sp) { subdomainPolicy = sp }
            strictDKIM = tag("adkim") == "s"
            strictSPF = tag("aspf") == "s"
            if let pct = tag("pct"), let n = Int(pct), (0...100).contains(n) { percent = n }
        }
    }

    public struct Outcome: Sendable, Hashable {
        public var result: Result
        /// The RFC 5322.From domain.
        public var fromDomain: String
        /// The policy that applies (the subdomain policy for a subdomain of the record's domain), when a record was found.
        public var policy: String?
        public var detail: String
    }

    public let resolver: any DNSResolver
    public let suffixes: any PublicSuffixes
    /// Records parsed before, by their text, bounded as SPF's are.
    let parsed = BoundedCache<[UInt8], Record?>(capacity: 10_000)


    public init(resolver: any DNSResolver, suffixes: any PublicSuffixes) {
        self.resolver = resolver
        self.suffixes = suffixes
    }

    /// The outcome for `message` given the SPF result (and the domain SPF checked) and the DKIM results; nil when the
    /// message has no single From domain to check.
    public func check(
        _ message: Message, spf: SPFCheck.Outcome?, dkim: [DKIMCheck.Outcome], deadline: ContinuousClock.Instant
    ) async -> Outcome? {
        let from = message.from
        guard from.count == 1, let raw = from.first?.domain, case let domain = raw.lowercased().trimmingSuffixDot(),
              SPFCheck.isValidDomain(domain) else { return nil }
        let organizational = suffixes.organizationalDomain(domain) ?? domain
        var found = await lookup(domain, deadline: deadline)
        var atOrganization = false
        if case .none = found.result, organizational != domain {
            found = await lookup(organizational, deadline: deadline)
            atOrganization = true
        }
        guard let record = found.record else {
            return Outcome(result: found.result, fromDomain: domain, policy: nil, detail: found.detail)
        }
        let policy = atOrganization ? (record.subdomainPolicy ?? record.policy) : record.policy
        func aligned(_ other: String, strict: Bool) -> Bool {
            let o = other.fastLowercased().trimmingSuffixDot()
            // The same domain is aligned either way, without asking the Public Suffix List.
            return o == domain || !strict && (o == organizational || (suffixes.organizationalDomain(o) ?? o) == organizational)
        }
        if let d = dkim.first(where: { $0.result == .pass && aligned($0.domain, strict: record.strictDKIM) }) {
            return Outcome(result: .pass, fromDomain: domain, policy: policy, detail: "DKIM of \(d.domain) aligned")
        }
        if let spf, spf.result == .pass, aligned(spf.domain, strict: record.strictSPF) {
            return Outcome(result: .pass, fromDomain: domain, policy: policy, detail: "SPF of \(spf.domain) aligned")
        }
        return Outcome(result: .fail, fromDomain: domain, policy: policy, detail: "no aligned SPF or DKIM pass")
    }

    /// The record at `_dmarc.domain`: none when there is none or more than one (section 6.6.3).
    func lookup(_ domain: String, deadline: ContinuousClock.Instant) async -> (result: Result, record: Record?, detail: String) {
        let answer = await resolver.query("_dmarc." + domain, .txt, deadline: deadline)
        if answer.isTemporaryFailure { return (.temperror, nil, "record lookup failed") }
        let records = answer.records.compactMap(\.text).compactMap { text in
            parsed.value(text.count <= 4096 ? text : Array(text.prefix(4096)), making: { Record(String(decoding: $0, as: UTF8.self)) })
        }
        guard records.count == 1 else { return (.none, nil, records.isEmpty ? "no record" : "more than one record") }
        return (.fail, records[0], "")
    }
}
