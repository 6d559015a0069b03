/// What a message says about being list mail: `List-*` fields (RFC 2369, RFC 2919), `Precedence: list`/`bulk`,
/// `Mailing-List`, `X-BeenThere`, `X-Loop`. Anyone can write them: added to a spam with a made-up List-Id, they
/// helped 79 of the 160 spams that slipped below `quarantine` in the attack of docs/adversarial.md. They count
/// only for a list the site's users read (its stream is trusted: ``StreamContext``); otherwise the message is
/// analysed without them (``discounted(_:)``), and the verdict says so. (Authenticated lists, by DKIM of the
/// list's domain, are the authentication issue's.)
public struct ListClaim: Sendable, Hashable {
    /// Whether any list field is present.
    public var claims: Bool

    public init(_ message: Message) {
        claims = message.headers.contains { ListClaim.isListField($0.lowercasedName) }
    }

    /// The fields a discounted claim loses.
    static func isListField(_ name: String) -> Bool {
        name.hasPrefix("list-") || fieldNames.contains(name)
    }

    static let fieldNames: Set<String> = ["precedence", "mailing-list", "x-mailing-list", "x-beenthere", "x-loop"]

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
