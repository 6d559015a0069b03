/// A key of sender state: a kind and a value, written `kind:value` (as stores key it).
public struct SenderStateKey<Kind>: Sendable, Hashable, Codable, CustomStringConvertible
where Kind: RawRepresentable & CaseIterable & Sendable & Hashable & Codable, Kind.RawValue == String {
    public var kind: Kind
    public var value: String

    public init(_ kind: Kind, _ value: String) {
        self.kind = kind
        self.value = value
    }

    public var description: String { "\(kind.rawValue):\(value)" }

    /// Reads ``description``.
    public init?(_ description: String) {
        guard let colon = description.firstIndex(of: ":"), let kind = Kind(rawValue: String(description[..<colon])) else { return nil }
        self.init(kind, String(description[description.index(after: colon)...]))
    }
}

/// What message rates are counted for: a client IP, its network, an envelope sender, a From domain, a
/// recipient, a campaign (a band of a ``CampaignFingerprint``: near-identical messages share it).
public enum VelocityKind: String, CaseIterable, Sendable, Codable {
    case clientIP = "ip", clientNetwork = "net", envelopeSender = "sender", fromDomain = "domain", recipient = "rcpt"
    case campaign
}

/// What has a reputation: a From domain, a client IP, or a stream of mail (``SenderKeys/stream``: learned from
/// users' feedback only, never from verdicts: ``StreamContext``); and a recipient's language profile
/// (``SenderKeys/languageProfile``): all the mail to a recipient whose language was known (`rcpt`), and the mail
/// to it in one language (`rcpt-lang`, valued `language|recipient`).
public enum ReputationKind: String, CaseIterable, Sendable, Codable {
    case domain, ip, stream
    case recipient = "rcpt", recipientLanguage = "rcpt-lang"
}

public typealias VelocityKey = SenderStateKey<VelocityKind>
public typealias ReputationKey = SenderStateKey<ReputationKind>
