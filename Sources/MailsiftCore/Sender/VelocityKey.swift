/// One thing whose message rate is counted: a client IP, its network, an envelope sender, a From domain or
/// a recipient.
public struct VelocityKey: Sendable, Hashable, Codable, CustomStringConvertible {
    public enum Kind: String, CaseIterable, Sendable, Codable {
        case clientIP = "ip", clientNetwork = "net", envelopeSender = "sender", fromDomain = "domain", recipient = "rcpt"
    }

    public var kind: Kind
    public var value: String

    public init(_ kind: Kind, _ value: String) {
        self.kind = kind
        self.value = value
    }

    /// `kind:value`, as stores key it.
    public var description: String { "\(kind.rawValue):\(value)" }
}

/// One thing with a reputation: a From domain or a client IP.
public struct ReputationKey: Sendable, Hashable, Codable, CustomStringConvertible {
    public enum Kind: String, CaseIterable, Sendable, Codable {
        case domain, ip
    }

    public var kind: Kind
    public var value: String

    public init(_ kind: Kind, _ value: String) {
        self.kind = kind
        self.value = value
    }

    public var description: String { "\(kind.rawValue):\(value)" }
}
