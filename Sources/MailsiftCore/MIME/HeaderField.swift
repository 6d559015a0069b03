/// One header field, unfolded.
public struct HeaderField: Sendable, Hashable {
    /// The field name as written (`Content-Type`).
    public let name: String
    /// The name in lower case, for lookups.
    public let lowercasedName: String
    /// A hash of ``lowercasedName``: lookups compare it before the string.
    let nameKey: UInt64
    /// The unfolded value with encoded-words left as written; 8-bit bytes read as UTF-8 or Windows-1252.
    public let rawValue: String
    /// The unfolded value with RFC 2047 encoded-words decoded, trimmed.
    public let value: String
    /// The field's bytes in the message, folded lines and line ending included (0 for a field made, not parsed).
    public let byteCount: Int

    public init(name: String, rawValue: String, value: String? = nil, byteCount: Int = 0) {
        self.name = name
        self.byteCount = byteCount
        self.lowercasedName = name.fastLowercased()
        self.nameKey = FeatureHash.xxh64(lowercasedName)
        self.rawValue = rawValue
        self.value = value ?? EncodedWordDecoder.decode(rawValue).0
    }
}

extension HeaderField {
    private static let authenticationResultsKey = FeatureHash.xxh64("authentication-results")
    private static let receivedSPFKey = FeatureHash.xxh64("received-spf")
    private static let receivedKey = FeatureHash.xxh64("received")

    /// An `Authentication-Results` field (the name's hash compared first, the string only when it matches).
    public var isAuthenticationResults: Bool {
        nameKey == HeaderField.authenticationResultsKey && lowercasedName == "authentication-results"
    }

    /// An `Authentication-Results` or `Received-SPF` field: one the trust boundary judges.
    public var isAuthenticationField: Bool {
        isAuthenticationResults || nameKey == HeaderField.receivedSPFKey && lowercasedName == "received-spf"
    }

    /// A `Received` field.
    public var isReceived: Bool { nameKey == HeaderField.receivedKey && lowercasedName == "received" }
}
