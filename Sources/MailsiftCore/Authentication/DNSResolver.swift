/// The DNS lookups sender authentication needs, as a port: the core asks, an adapter (`UnboundResolver` in
/// `MailsiftDNS`) answers. An answer says what DNS said, so the checks can tell a name that does not exist from a
/// server that failed or did not answer in time (RFC 7208 treats them differently).
public protocol DNSResolver: Sendable {
    /// The records of `type` at `name` (CNAMEs followed by the resolver), or ``DNSAnswer/timeout`` once `deadline`
    /// has passed. Never throws: every failure is an answer.
    func query(_ name: String, _ type: DNSRecordType, deadline: ContinuousClock.Instant) async -> DNSAnswer
}

public enum DNSRecordType: String, Sendable, Hashable, CaseIterable {
    case a = "A", aaaa = "AAAA", txt = "TXT", mx = "MX", ptr = "PTR"

    /// The type's number (RFC 1035, RFC 3596).
    public var code: UInt16 {
        switch self {
        case .a: 1
        case .ptr: 12
        case .mx: 15
        case .txt: 16
        case .aaaa: 28
        }
    }
}

/// One record's data.
public enum DNSRecord: Sendable, Hashable {
    /// An IPv4 or IPv6 address, as text.
    case address(String)
    /// A TXT record: its character-strings, concatenated (RFC 7208 section 3.3) by ``text``.
    case text([[UInt8]])
    case mx(preference: UInt16, exchange: String)
    case ptr(String)

    /// A TXT record's strings joined, as RFC 7208 and RFC 6376 read them.
    public var text: [UInt8]? {
        if case .text(let strings) = self { return strings.flatMap { $0 } }
        return nil
    }
}

public enum DNSAnswer: Sendable, Hashable {
    /// Records, with the smallest TTL among them.
    case records([DNSRecord], ttl: UInt32)
    /// The name exists but has no record of the type.
    case noData
    /// The name does not exist (NXDOMAIN).
    case nameError
    /// The server failed (SERVFAIL, REFUSED, a malformed reply, a CNAME loop).
    case serverFailure
    /// No answer in time.
    case timeout

    /// The records; empty for every other answer.
    public var records: [DNSRecord] {
        if case .records(let r, _) = self { return r }
        return []
    }

    /// Whether the lookup failed for a reason that may pass (SPF's `temperror`).
    public var isTemporaryFailure: Bool { self == .serverFailure || self == .timeout }
}
