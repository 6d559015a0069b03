/// What the MTA knows about a message besides its bytes (SMTP envelope and connection). Every field is
/// optional: a message read from a file has none.
public struct Envelope: Sendable, Hashable, Codable {
    public var clientIP: String?
    public var helo: String?
    public var mailFrom: String?
    public var recipients: [String]
    public var user: String?

    public init(clientIP: String? = nil, helo: String? = nil, mailFrom: String? = nil, recipients: [String] = [], user: String? = nil) {
        self.clientIP = clientIP
        self.helo = helo
        self.mailFrom = mailFrom
        self.recipients = recipients
        self.user = user
    }
}
