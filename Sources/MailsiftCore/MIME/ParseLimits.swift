/// Bounds on the work and memory that parsing one message may take.
///
/// A message larger than `maxMessageBytes` is refused with ``ParseError/messageTooLarge(size:limit:)``.
/// Every other limit truncates: the parser stops at the limit, keeps what it has, and sets a flag
/// on the result (see ``ParseFlags``), so a hostile message costs bounded time and memory but still
/// yields a classifiable result.
public struct ParseLimits: Sendable, Hashable, Codable {
    /// Largest raw message accepted, in bytes.
    public var maxMessageBytes: Int
    /// Most header fields kept per header block; the rest are dropped (`tooManyHeaders`).
    public var maxHeaderCount: Int
    /// Longest unfolded header field kept, in bytes; longer ones are cut (`headerTruncated`).
    public var maxHeaderBytes: Int
    /// Deepest nesting of multipart and message/rfc822 parts that is parsed (`depthLimitReached`).
    public var maxDepth: Int
    /// Most MIME parts in the whole tree (`partLimitReached`).
    public var maxParts: Int
    /// Most bytes of decoded text kept across all text parts (`decodedSizeLimitReached`).
    public var maxDecodedBytes: Int

    public init(
        maxMessageBytes: Int = 32 << 20,
        maxHeaderCount: Int = 1_000,
        maxHeaderBytes: Int = 64 << 10,
        maxDepth: Int = 24,
        maxParts: Int = 1_000,
        maxDecodedBytes: Int = 16 << 20
    ) {
        self.maxMessageBytes = maxMessageBytes
        self.maxHeaderCount = maxHeaderCount
        self.maxHeaderBytes = maxHeaderBytes
        self.maxDepth = maxDepth
        self.maxParts = maxParts
        self.maxDecodedBytes = maxDecodedBytes
    }

    public static let `default` = ParseLimits()
}
