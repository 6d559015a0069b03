import Foundation

/// Who a message comes from and goes to, as the sender state is keyed: the connecting client (and its /24
/// or /64), the envelope sender, the From domain, and the recipients. Worked out from the envelope where
/// the MTA gave it, else from the headers (a message read from a file).
public struct SenderKeys: Sendable, Hashable, Codable {
    /// The connecting client's IP address, as written.
    public var clientIP: String?
    /// The client's network: `a.b.c.0/24` for IPv4, the first 64 bits for IPv6.
    public var clientNetwork: String?
    /// The envelope sender (MAIL FROM, else Return-Path), lower case; nil for the null sender.
    public var envelopeSender: String?
    /// The registrable domain of the From address, lower case.
    public var fromDomain: String?
    /// The From address, lower case (the per-user contact lists are keyed by it).
    public var fromAddress: String?
    /// The recipients (envelope, else To and Cc), lower case, at most ``maxRecipients``.
    public var recipients: [String]
    /// Where a new sender's reputation starts, from what the message proves about it.
    public var prior: ReputationPrior
    /// The stream of mail the message belongs to (``streamIdentity(_:envelopeSender:)``), or nil.
    public var stream: String?
    /// The message's campaign keys (``CampaignFingerprint/counterKeys``), counted like the other velocity keys; nil
    /// when the message was not analysed (the keys are then added by ``SenderKeys/campaign(_:)``).
    public var campaigns: [String]?
    /// The recipients' language profile keys (``languageProfile(language:recipients:)``), read and taught like the
    /// other reputations; nil when the language was not known.
    public var languageProfile: [ReputationKey]?
    /// Who the campaign's distinct senders and recipients are counted by (``DistinctMembers``): this message's sender
    /// (envelope sender, else From address, else client IP) and recipients; nil: not counted.
    public var campaignSender: String?
    public var campaignRecipients: [String]?

    public static let maxRecipients = 16
    /// Recipients whose language profile a message reads and teaches.
    public static let maxProfileRecipients = 4
    static let angleBrackets = CharacterSet(charactersIn: "<> ")

    public init(
        clientIP: String? = nil, clientNetwork: String? = nil, envelopeSender: String? = nil, fromDomain: String? = nil,
        fromAddress: String? = nil, recipients: [String] = [], prior: ReputationPrior = .neutral, stream: String? = nil,
        campaigns: [String]? = nil
    ) {
        self.stream = stream
        self.campaigns = campaigns
        self.clientIP = clientIP
        self.clientNetwork = clientNetwork ?? clientIP.flatMap(SenderKeys.network)
        self.envelopeSender = envelopeSender
        self.fromDomain = fromDomain
        self.fromAddress = fromAddress
        self.recipients = recipients
        self.prior = prior
    }

    /// The keys of `a` as delivered with `envelope`.
    public init(_ a: AnalyzedMessage, envelope: Envelope = Envelope(), prior priorModel: ReputationPrior.Model = .init()) {
        var m = a.message
        if !a.discountedListFields.isEmpty { m.root.headers = HeaderFields(Array(m.root.headers) + a.discountedListFields) }
        self.init(m, envelope: envelope, prior: priorModel)
        campaigns = CampaignFingerprint(a).counterKeys
        (campaignSender, campaignRecipients) = (senderIdentity, recipients)
    }

    /// Who sent the message, for the campaign's distinct senders: the envelope sender, else the From address, else
    /// the client IP.
    public var senderIdentity: String? { envelopeSender ?? fromAddress ?? clientIP }

    /// Keys that count a campaign only: for a caller that observed the sender's keys before the analysis.
    public static func campaign(_ fingerprint: CampaignFingerprint) -> SenderKeys {
        SenderKeys(campaigns: fingerprint.counterKeys)
    }

    /// The keys of what the analysis found (the campaign, the language's profile keys), for a caller that observed
    /// the sender's keys (`sender`) before it: no sender or recipient is counted again, but the campaign's distinct
    /// senders and recipients are counted by them.
    public static func content(campaigns: [String]?, languageProfile: [ReputationKey]?, of sender: SenderKeys? = nil) -> SenderKeys {
        var keys = SenderKeys(campaigns: campaigns)
        keys.languageProfile = languageProfile
        if let sender, !(campaigns ?? []).isEmpty {
            keys.campaignSender = sender.senderIdentity
            keys.campaignRecipients = sender.recipients
        }
        return keys
    }

    /// The hashes of the campaign's members to count (``DistinctMembers``): senders, then recipients (at most
    /// ``maxRecipients``).
    public var campaignMemberHashes: (senders: [UInt32], recipients: [UInt32]) {
        (campaignSender.map { [DistinctMembers.hash($0)] } ?? [], (campaignRecipients ?? []).prefix(Self.maxRecipients).map(DistinctMembers.hash))
    }

    /// The language profile keys of mail in `language` to `recipients` (the first ``maxProfileRecipients``, in
    /// order): for each, all its mail and its mail in that language. Empty when the language is unknown (`un`).
    public static func languageProfile(language: String, recipients: [String]) -> [ReputationKey] {
        guard !language.isEmpty, language != "un" else { return [] }
        return Set(recipients).sorted().prefix(maxProfileRecipients).flatMap { r in
            [ReputationKey(.recipient, r), ReputationKey(.recipientLanguage, language + "|" + r)]
        }
    }

    /// The keys of a parsed message as delivered with `envelope` (they read its header fields only).
    public init(_ m: Message, envelope: Envelope = Envelope(), prior priorModel: ReputationPrior.Model = .init()) {
        let ip = envelope.clientIP ?? SenderKeys.deliveringIP(m)
        let from = m.from.first
        let sender = envelope.mailFrom.map { $0.trimmingCharacters(in: SenderKeys.angleBrackets) } ?? m.returnPath.first?.address
        // At most the recipients kept (an envelope, like a header, can list a great many).
        var recipients = envelope.recipients.prefix(4 * SenderKeys.maxRecipients).map { $0.trimmingCharacters(in: SenderKeys.angleBrackets) }
        if recipients.isEmpty { recipients = m.addresses(in: ["to", "cc"], limit: SenderKeys.maxRecipients).map(\.address) }
        let envelopeSender = sender.flatMap { $0.isEmpty ? nil : $0.lowercased() }
        self.init(
            clientIP: ip,
            envelopeSender: envelopeSender,
            fromDomain: from.map { DomainName.registrable($0.domain) }.flatMap { $0.isEmpty ? nil : $0 },
            fromAddress: from.map { $0.address.lowercased() }.flatMap { $0.isEmpty ? nil : $0 },
            recipients: Array(recipients.lazy.map { $0.lowercased() }.filter { !$0.isEmpty }.prefix(SenderKeys.maxRecipients)),
            prior: priorModel.prior(for: m),
            stream: SenderKeys.streamIdentity(m, envelopeSender: envelopeSender)
        )
    }

    /// The stream a message belongs to, as the site's users would name it: for list mail, `list:` and its
    /// `List-Id` (RFC 2919: the identifier between the angle brackets, lower case) with the registrable domain of
    /// its envelope sender, where list software sends from (`list:users.lists.example|lists.example`); for other
    /// mail, `sender:` and the envelope sender (`sender:news@shop.example`). Bound to the envelope, a List-Id copied
    /// into other mail is another stream; with SPF checked (issue 24) the envelope domain is also proven. Nil
    /// without an envelope sender (bounces), with one over 320 bytes or with spaces or control characters, or
    /// with a List-Id over 253 bytes or not printable ASCII.
    public static func streamIdentity(_ m: Message, envelopeSender: String?) -> String? {
        guard let sender = envelopeSender, let at = sender.lastIndex(of: "@"), sender.utf8.count <= 320,
              sender.utf8.allSatisfy({ $0 > 0x20 && $0 != 0x7F })
        else { return nil }
        guard let raw = m.headers["list-id"] else { return "sender:" + sender }
        var id = Substring(raw)
        if let open = id.lastIndex(of: "<"), let close = id[open...].firstIndex(of: ">") { id = id[id.index(after: open)..<close] }
        let identifier = id.trimmingCharacters(in: .whitespaces).lowercased()
        let domain = DomainName.registrable(String(sender[sender.index(after: at)...]))
        guard !identifier.isEmpty, identifier.utf8.count <= 253, !domain.isEmpty,
              identifier.utf8.allSatisfy({ $0 > 0x20 && $0 < 0x7F && $0 != UInt8(ascii: "|") })
        else { return nil }
        return "list:" + identifier + "|" + domain
    }

    /// The velocity keys of this message: one per kind that is known, one per recipient.
    public var velocityKeys: [VelocityKey] {
        var keys: [VelocityKey] = []
        if let clientIP { keys.append(VelocityKey(.clientIP, clientIP)) }
        if let clientNetwork { keys.append(VelocityKey(.clientNetwork, clientNetwork)) }
        if let envelopeSender { keys.append(VelocityKey(.envelopeSender, envelopeSender)) }
        if let fromDomain { keys.append(VelocityKey(.fromDomain, fromDomain)) }
        for r in Set(recipients).sorted() { keys.append(VelocityKey(.recipient, r)) }
        for c in campaigns ?? [] { keys.append(VelocityKey(.campaign, c)) }
        return keys
    }

    /// The reputation keys: the From domain, the client IP, the stream and the language profile.
    public var reputationKeys: [ReputationKey] {
        var keys: [ReputationKey] = []
        if let fromDomain { keys.append(ReputationKey(.domain, fromDomain)) }
        if let clientIP { keys.append(ReputationKey(.ip, clientIP)) }
        if let stream { keys.append(ReputationKey(.stream, stream)) }
        keys += languageProfile ?? []
        return keys
    }

    /// The keys a verdict may teach: all but the stream, whose reputation only users' feedback builds
    /// (``StreamContext``): a sender could otherwise earn a stream's trust with mail the model let through.
    public var withoutStream: SenderKeys {
        var keys = self
        keys.stream = nil
        return keys
    }

    /// The IP that handed the message to the first relay recording a public client: the first Received hop
    /// (newest first) whose client address is public.
    static func deliveringIP(_ m: Message) -> String? {
        for field in m.headers where field.lowercasedName == "received" {
            if let ip = ReceivedHop(parsing: field.value, parsesDate: false).fromIP, let address = IPAddress(ip), address.isPublic {
                return ip
            }
        }
        return nil
    }

    /// `a.b.c.0/24` for an IPv4 address, the first four groups and `::/64` for IPv6; nil when not an address.
    public static func network(_ ip: String) -> String? {
        guard let a = IPAddress(ip) else { return nil }
        let b = a.bytes
        if a.isV4 { return "\(b[12]).\(b[13]).\(b[14]).0/24" }
        func group(_ i: Int) -> String { String(UInt16(b[i]) << 8 | UInt16(b[i + 1]), radix: 16) }
        return "\(group(0)):\(group(2)):\(group(4)):\(group(6))::/64"
    }
}
