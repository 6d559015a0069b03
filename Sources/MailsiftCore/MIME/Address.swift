/// A mailbox from an address header.
public struct Address: Sendable, Hashable, Codable {
    /// The display name, decoded, or nil.
    public var displayName: String?
    /// `local@domain` as written (domain lower-cased), or the whole text when it has no `@`.
    public var address: String
    public var localPart: String
    /// The lower-cased domain, or "" when none.
    public var domain: String

    public init(displayName: String?, address: String) {
        self.displayName = displayName
        if let at = address.utf8.lastIndex(of: UInt8(ascii: "@")) {
            localPart = String(address[..<at])
            domain = address[address.utf8.index(after: at)...].fastLowercased()
            self.address = localPart + "@" + domain
        } else {
            localPart = address
            domain = ""
            self.address = address
        }
    }
}
