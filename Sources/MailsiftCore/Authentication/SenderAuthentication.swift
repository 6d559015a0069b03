/// Mailsift's own check of who sent a message, written as an `Authentication-Results` field of its own (RFC 8601)
/// that the analysis then trusts: SPF (``SPFCheck``) of the SMTP client (the envelope's client IP, HELO and MAIL FROM
/// when the MTA gives them: milter, `/checkv2` headers, `/v1/classify` headers; else the first untrusted Received hop,
/// ``AuthenticationTrust``, and Return-Path), and DKIM (``DKIMCheck``) of the message's signatures.
public struct SenderAuthentication: Sendable {
    /// The SPF check; nil: SPF is not checked.
    public var spf: SPFCheck?
    /// The DKIM check; nil: signatures are not checked.
    public var dkim: DKIMCheck?
    /// The DMARC check, on the SPF and DKIM results; nil: not checked.
    public var dmarc: DMARCCheck?
    /// The ARC check; nil: chains are not checked.
    public var arc: ARCCheck?
    /// Signing domains of ARC sealers the site trusts (lower-cased): when such a sealer's chain is intact and its
    /// recorded results say DMARC passed upstream, a DMARC failure here (a mailing list changed the message) reads as
    /// a pass (RFC 7489 section 6.7's local policy override).
    public var trustedSealers: Set<String> = []
    /// Whether a DMARC failure under `p=reject` is written so the shipped rule `DMARC_REJECT` rejects it (`p=` in the
    /// result's comment); else the policy is named without `p=` and the failure only counts as evidence.
    public var dmarcReject = false
    /// The authserv-id Mailsift writes (`mailsift` by default; a site usually names its MX).
    public var authservID: String

    /// SPF through `resolver`; DKIM too with `crypto`.
    public init(resolver: any DNSResolver, authservID: String, spf checksSPF: Bool = true, dkim crypto: (any DKIMCrypto)? = nil) {
        if checksSPF {
            var spf = SPFCheck(resolver: resolver)
            spf.receiver = authservID
            self.spf = spf
        }
        dkim = crypto.map { DKIMCheck(resolver: resolver, crypto: $0) }
        self.authservID = authservID
    }

    /// The SMTP client whose authority is checked.
    public struct Client: Sendable, Hashable {
        public var ip: String
        public var helo: String
        /// The envelope sender; empty for a null sender (bounces), which SPF checks through the HELO name.
        public var mailFrom: String
    }

    /// What was found, and the field that says so.
    public struct Report: Sendable {
        /// The client SPF checked; nil when none is known.
        public var client: Client?
        public var spf: SPFCheck.Outcome?
        /// Each signature's outcome, top first.
        public var dkim: [DKIMCheck.Outcome] = []
        public var dmarc: DMARCCheck.Outcome?
        public var arc: ARCCheck.Outcome?
        /// The `Authentication-Results` value Mailsift writes.
        public var field: String
        /// The same results as parsing ``field`` gives, built with it (the rules and the reputation prior read them
        /// without parsing the field again).
        public var results = AuthenticationResults(authservID: "", checks: [])
        /// One entry per result, for the verdict's reasons: the symbol as Rspamd names it (`R_SPF_ALLOW`,
        /// `R_DKIM_REJECT`, `DMARC_POLICY_REJECT`, `ARC_ALLOW`...) and the result in words.
        public var entries: [(symbol: String, text: String)] {
            var out: [(symbol: String, text: String)] = []
            if let spf {
                let symbol = switch spf.result {
                case .pass: "R_SPF_ALLOW"
                case .fail: "R_SPF_FAIL"
                case .softfail: "R_SPF_SOFTFAIL"
                case .neutral: "R_SPF_NEUTRAL"
                case .none: "R_SPF_NA"
                case .temperror: "R_SPF_DNSFAIL"
                case .permerror: "R_SPF_PERMFAIL"
                }
                out.append((symbol, "SPF \(spf.result.rawValue) for \(spf.domain)\(client.map { ", client \($0.ip)" } ?? ""): \(spf.detail)"))
            }
            for d in dkim {
                let symbol = switch d.result {
                case .pass: "R_DKIM_ALLOW"
                case .fail: "R_DKIM_REJECT"
                case .temperror: "R_DKIM_TEMPFAIL"
                case .permerror: "R_DKIM_PERMFAIL"
                }
                out.append((symbol, "DKIM \(d.result.rawValue) for \(d.domain.isEmpty ? "a signature" : d.domain)\(d.selector.isEmpty ? "" : " (selector \(d.selector))")\(d.detail.isEmpty ? "" : ": " + d.detail)"))
            }
            if let arc {
                let symbol = switch arc.result {
                case .pass: "ARC_ALLOW"
                case .fail: "ARC_REJECT"
                case .none: "ARC_NA"
                }
                out.append((symbol, arc.result == .none ? "no ARC chain" : "ARC \(arc.result.rawValue) (\(arc.instance) sets, newest sealer \(arc.sealer.isEmpty ? "unknown" : arc.sealer)): \(arc.detail)"))
            }
            if let dmarc {
                let symbol = switch dmarc.result {
                case .pass: "DMARC_POLICY_ALLOW"
                case .fail: dmarc.policy == "reject" ? "DMARC_POLICY_REJECT" : dmarc.policy == "quarantine" ? "DMARC_POLICY_QUARANTINE" : "DMARC_POLICY_SOFTFAIL"
                case .none: "DMARC_NA"
                case .temperror: "DMARC_DNSFAIL"
                case .permerror: "DMARC_BAD_POLICY"
                }
                out.append((symbol, "DMARC \(dmarc.result.rawValue) for \(dmarc.fromDomain)\(dmarc.policy.map { " (policy \($0))" } ?? ""): \(dmarc.detail)"))
            }
            return out
        }
    }

    /// The client of `message`: the envelope's where it names an IP address, else the first Received hop from
    /// outside the site's relays. Nil when neither gives an address.
    public static func client(of message: Message, envelope: Envelope, trust: AuthenticationTrust) -> Client? {
        if let ip = envelope.clientIP?.trimmingBlanks(), IPAddress(ip) != nil {
            return Client(ip: ip, helo: envelope.helo ?? "", mailFrom: envelope.mailFrom ?? returnPath(message))
        }
        guard let hop = trust.arrival(in: message.headers)?.hop, let ip = hop.fromIP, IPAddress(ip) != nil else { return nil }
        return Client(ip: ip, helo: envelope.helo ?? hop.from ?? "", mailFrom: envelope.mailFrom ?? returnPath(message))
    }

    static func returnPath(_ message: Message) -> String {
        message.returnPath.first?.address ?? ""
    }

    /// Checks the client's authority (SPF) and the message's signatures (DKIM); nil when there was nothing to check.
    /// Bounded by `deadline`: what DNS has not answered by then is `temperror`.
    public func authenticate(
        _ message: Message, envelope: Envelope, trust: AuthenticationTrust, deadline: ContinuousClock.Instant
    ) async -> Report? {
        var parts: [String] = []
        var checks: [AuthenticationResults.Check] = []
        var report = Report(field: "")
        if let spf, let client = SenderAuthentication.client(of: message, envelope: envelope, trust: trust) {
            let helo = client.helo.isEmpty ? "unknown" : client.helo
            let outcome = await spf.check(ip: client.ip, mailFrom: client.mailFrom, helo: helo, deadline: deadline)
            let identity = client.mailFrom.isEmpty ? "smtp.helo=\(SenderAuthentication.token(helo))"
                : "smtp.mailfrom=\(SenderAuthentication.token(client.mailFrom))"
            let comment = SenderAuthentication.comment("\(outcome.domain): client-ip \(client.ip); \(outcome.detail)")
            parts.append("spf=\(outcome.result.rawValue) (\(comment)) \(identity)")
            checks.append(.init(method: "spf", result: outcome.result.rawValue, properties: client.mailFrom.isEmpty
                ? ["smtp.helo": SenderAuthentication.token(helo)] : ["smtp.mailfrom": SenderAuthentication.token(client.mailFrom)]))
            report.client = client
            report.spf = outcome
        }
        if let dkim {
            report.dkim = await dkim.check(message, deadline: deadline)
            for d in report.dkim {
                var part = "dkim=\(d.result.rawValue)"
                if !d.detail.isEmpty || d.testing { part += " (\(SenderAuthentication.comment(d.detail + (d.testing ? "; key in testing mode" : ""))))" }
                var properties: [String: String] = [:]
                if !d.domain.isEmpty {
                    let (domain, selector) = (SenderAuthentication.token(d.domain), SenderAuthentication.token(d.selector))
                    part += " header.d=\(domain) header.s=\(selector) header.a=\(d.algorithm)"
                    properties = ["header.d": domain, "header.s": selector, "header.a": "\(d.algorithm)"]
                }
                parts.append(part)
                checks.append(.init(method: "dkim", result: d.result.rawValue, properties: properties))
            }
        }
        if let arc {
            let outcome = await arc.check(message, deadline: deadline)
            var part = "arc=\(outcome.result.rawValue)"
            if outcome.result != .none {
                part += " (\(SenderAuthentication.comment("\(outcome.instance) sets, newest sealer \(outcome.sealer); \(outcome.detail)")))"
            }
            parts.append(part)
            checks.append(.init(method: "arc", result: outcome.result.rawValue, properties: [:]))
            report.arc = outcome
        }
        if let dmarc, var outcome = await dmarc.check(message, spf: report.spf, dkim: report.dkim, deadline: deadline) {
            if outcome.result == .fail, let arc = report.arc, arc.result == .pass, trustedSealers.contains(arc.sealer),
               arc.upstream?.result(for: "dmarc") == "pass" {
                outcome.result = .pass
                outcome.detail = "passed upstream, by the ARC chain of trusted sealer \(arc.sealer)"
            }
            var part = "dmarc=\(outcome.result.rawValue)"
            if let policy = outcome.policy {
                // `p=` in the comment is what the DMARC_REJECT rule reads (as in OpenDMARC's results).
                part += dmarcReject ? " (p=\(policy))" : " (policy \(policy))"
            }
            let fromDomain = SenderAuthentication.token(outcome.fromDomain)
            part += " header.from=\(fromDomain)"
            parts.append(part)
            var properties = ["header.from": fromDomain]
            if dmarcReject, let policy = outcome.policy { properties["p"] = "\(policy)".fastLowercased() }
            checks.append(.init(method: "dmarc", result: outcome.result.rawValue, properties: properties))
            report.dmarc = outcome
        }
        guard !parts.isEmpty else { return nil }
        report.field = authservID + "; " + parts.joined(separator: "; ")
        report.results = AuthenticationResults(authservID: authservID, checks: checks)
        // Every debug build (the tests) checks that the results built are those the field parses to.
        assert(report.results == AuthenticationResults(parsing: report.field), "built results differ from \(report.field)")
        return report
    }

    /// `message` with Mailsift's field on top and every field claiming Mailsift's authserv-id taken out (RFC 8601
    /// section 5: a sender must not be able to write results in its name).
    public func stamped(_ message: Message, with report: Report?) -> Message {
        var m = message
        stamp(&m, with: report)
        return m
    }

    /// ``stamped(_:with:)`` in place: with the message's own copy of its fields (the caller's, consumed), no field is
    /// copied.
    public func stamp(_ m: inout Message, with report: Report?) {
        let own = authservID.fastLowercased()
        let ownField = { (field: HeaderField) in
            field.isAuthenticationResults && AuthenticationResults.authservID(of: field.value).fastLowercased() == own
        }
        if m.root.headers.contains(where: ownField) {
            m.removedHeaderBytes += m.root.headers.reduce(0) { $0 + (ownField($1) ? $1.byteCount : 0) }
            m.root.headers.removeAll(where: ownField)
        }
        if let report {
            let value = report.field
            m.root.headers.insert(HeaderField(name: "Authentication-Results", rawValue: value, value: value, byteCount: 0), at: 0)
            m.stampedResults = (value, report.results)
        } else {
            m.stampedResults = nil
        }
    }

    /// A value fit for an RFC 8601 property: no blanks, semicolons or parentheses, 256 bytes at most.
    static func token(_ s: String) -> String {
        func kept(_ b: UInt8) -> Bool {
            b > 0x20 && b < 0x7F && b != ASCII.semicolon && b != 0x28 && b != 0x29 && b != ASCII.quote && b != ASCII.backslash
        }
        // Most values need nothing taken out: kept as they are, not copied.
        if s.utf8.count <= 256, allBytes(of: s, satisfy: kept) { return s }
        return String(decoding: s.utf8.prefix(256).filter(kept), as: UTF8.self)
    }

    /// Whether every byte of `s` passes `test`, read from its contiguous UTF-8 (the generic `utf8.allSatisfy` costs
    /// several times more, and the field's text is checked for every message).
    static func allBytes(of s: String, satisfy test: (UInt8) -> Bool) -> Bool {
        var text = s
        return text.withUTF8 { $0.allSatisfy(test) }
    }

    /// Text fit for a comment: printable ASCII without parentheses or backslashes, 200 bytes at most.
    static func comment(_ s: String) -> String {
        func kept(_ b: UInt8) -> Bool { b >= 0x20 && b < 0x7F && b != 0x28 && b != 0x29 && b != ASCII.backslash }
        if s.utf8.count <= 200, allBytes(of: s, satisfy: kept) { return s }
        return String(decoding: s.utf8.prefix(200).filter(kept), as: UTF8.self)
    }
}
