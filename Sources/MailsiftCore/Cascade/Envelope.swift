/// What the MTA knows about a message besides its bytes (SMTP envelope and connection). Every field is
/// optional: a message read from a file has none.
public struct Envelope: Sendable, Hashable, Codable {
    public var clientIP: String?
    public var helo: String?
    public var mailFrom: String?
    public var recipients: [String]
    public var user: String?
    /// The SMTP AUTH login of the client, as the MTA saw it (the milter's `{auth_authen}` macro): the message is
    /// one a local user sends, and `serve` records it as sent mail (its Message-ID answers replies).
    public var authenticatedSender: String?

    public init(
        clientIP: String? = nil, helo: String? = nil, mailFrom: String? = nil, recipients: [String] = [], user: String? = nil,
        authenticatedSender: String? = nil
    ) {
        self.clientIP = clientIP
        self.helo = helo
        self.mailFrom = mailFrom
        self.recipients = recipients
        self.user = user
        self.authenticatedSender = authenticatedSender
    }
}
