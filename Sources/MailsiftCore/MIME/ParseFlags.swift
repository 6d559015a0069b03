/// Defects and anomalies found while parsing. Each is evidence a later stage may use
/// (spam is far more often malformed than legitimate mail), and none stops parsing.
public struct ParseFlags: OptionSet, Sendable, Hashable {
    public let rawValue: UInt64
    public init(rawValue: UInt64) { self.rawValue = rawValue }

    /// The first line was an mbox `From ` envelope line, skipped.
    public static let mboxFromLine = ParseFlags(rawValue: 1 << 0)
    /// A line in the header block was neither a field nor a continuation; the body starts there.
    public static let missingHeaderBodySeparator = ParseFlags(rawValue: 1 << 1)
    /// A continuation line came before any field.
    public static let orphanContinuation = ParseFlags(rawValue: 1 << 2)
    /// Header bytes were neither ASCII nor valid UTF-8 (decoded as Windows-1252).
    public static let eightBitHeader = ParseFlags(rawValue: 1 << 3)
    /// An RFC 2047 encoded-word was malformed or named an unknown charset.
    public static let badEncodedWord = ParseFlags(rawValue: 1 << 4)
    /// More fields than ``ParseLimits/maxHeaderCount``.
    public static let tooManyHeaders = ParseFlags(rawValue: 1 << 5)
    /// A field longer than ``ParseLimits/maxHeaderBytes`` was cut.
    public static let headerTruncated = ParseFlags(rawValue: 1 << 6)
    /// A multipart part declared no boundary parameter.
    public static let missingBoundary = ParseFlags(rawValue: 1 << 7)
    /// A multipart body ended without its closing `--boundary--` line.
    public static let missingClosingBoundary = ParseFlags(rawValue: 1 << 8)
    /// A multipart body held no part at all.
    public static let emptyMultipart = ParseFlags(rawValue: 1 << 9)
    /// Nesting deeper than ``ParseLimits/maxDepth``; deeper parts kept as opaque leaves.
    public static let depthLimitReached = ParseFlags(rawValue: 1 << 10)
    /// More parts than ``ParseLimits/maxParts``; the rest were dropped.
    public static let partLimitReached = ParseFlags(rawValue: 1 << 11)
    /// Decoded text past ``ParseLimits/maxDecodedBytes`` was dropped.
    public static let decodedSizeLimitReached = ParseFlags(rawValue: 1 << 12)
    /// Base64 content had characters outside the alphabet or bad padding.
    public static let badBase64 = ParseFlags(rawValue: 1 << 13)
    /// Quoted-printable content had an `=` not followed by two hex digits or a line break.
    public static let badQuotedPrintable = ParseFlags(rawValue: 1 << 14)
    /// A Content-Transfer-Encoding value was not one of 7bit, 8bit, binary, base64, quoted-printable.
    public static let unknownTransferEncoding = ParseFlags(rawValue: 1 << 15)
    /// A text part named a charset that is not known; decoded by sniffing.
    public static let unknownCharset = ParseFlags(rawValue: 1 << 16)
    /// A text part's bytes did not fit its declared charset; decoded by sniffing.
    public static let charsetMismatch = ParseFlags(rawValue: 1 << 17)
    /// The text held NUL bytes (removed from the decoded text).
    public static let nulBytes = ParseFlags(rawValue: 1 << 18)
    /// The message contained a bare CR or mixed CRLF and LF line endings.
    public static let mixedLineEndings = ParseFlags(rawValue: 1 << 19)
    /// A Content-Type value could not be parsed; treated as text/plain.
    public static let badContentType = ParseFlags(rawValue: 1 << 20)
    /// A header field that must appear once (From, Date, Subject, Message-ID...) appeared more than once.
    public static let duplicateSingletonHeader = ParseFlags(rawValue: 1 << 21)
    /// A message/rfc822 part is attached or embedded.
    public static let embeddedMessage = ParseFlags(rawValue: 1 << 22)
    /// HTML had hidden text (display:none, zero font size, text colour equal to its background).
    public static let hiddenHTMLText = ParseFlags(rawValue: 1 << 23)
    /// An attachment's content does not match its declared type or file name extension.
    public static let attachmentTypeMismatch = ParseFlags(rawValue: 1 << 24)
    /// The message has no body (no separator line, no bytes after the header).
    public static let emptyBody = ParseFlags(rawValue: 1 << 25)

    /// Every flag with the name used in JSON output, in bit order.
    public static let named: [(ParseFlags, String)] = [
        (.mboxFromLine, "mbox_from_line"),
        (.missingHeaderBodySeparator, "missing_header_body_separator"),
        (.orphanContinuation, "orphan_continuation"),
        (.eightBitHeader, "eight_bit_header"),
        (.badEncodedWord, "bad_encoded_word"),
        (.tooManyHeaders, "too_many_headers"),
        (.headerTruncated, "header_truncated"),
        (.missingBoundary, "missing_boundary"),
        (.missingClosingBoundary, "missing_closing_boundary"),
        (.emptyMultipart, "empty_multipart"),
        (.depthLimitReached, "depth_limit_reached"),
        (.partLimitReached, "part_limit_reached"),
        (.decodedSizeLimitReached, "decoded_size_limit_reached"),
        (.badBase64, "bad_base64"),
        (.badQuotedPrintable, "bad_quoted_printable"),
        (.unknownTransferEncoding, "unknown_transfer_encoding"),
        (.unknownCharset, "unknown_charset"),
        (.charsetMismatch, "charset_mismatch"),
        (.nulBytes, "nul_bytes"),
        (.mixedLineEndings, "mixed_line_endings"),
        (.badContentType, "bad_content_type"),
        (.duplicateSingletonHeader, "duplicate_singleton_header"),
        (.embeddedMessage, "embedded_message"),
        (.hiddenHTMLText, "hidden_html_text"),
        (.attachmentTypeMismatch, "attachment_type_mismatch"),
        (.emptyBody, "empty_body"),
    ]

    /// The names of the flags that are set, in bit order.
    public var names: [String] {
        ParseFlags.named.compactMap { contains($0.0) ? $0.1 : nil }
    }
}
