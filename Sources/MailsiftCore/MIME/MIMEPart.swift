/// One entity of the MIME tree: a message, a multipart container, an embedded message or a leaf.
///
/// Bodies are not copied: `bodyRange` indexes the message's bytes. Text leaves are decoded at parse time
/// (every later stage reads them); other leaves (attachments) are decoded only on request, through
/// ``Message/decodedBody(of:)``, and carry only their size and sniffed type.
public struct MIMEPart: Sendable {
    public var headers: HeaderFields
    public var contentType: ContentType
    public var transferEncoding: TransferEncoding
    public var disposition: ContentDisposition?
    /// Sub-parts of a multipart, or the one embedded message of a message/rfc822 part.
    public var children: [MIMEPart]
    /// The encoded body, as a range of ``Message/bytes``.
    public var bodyRange: Range<Int>
    /// Nesting depth: 0 for the message itself.
    public var depth: Int
    /// Decoded text of a text/* leaf (nil for other parts, or past the decoded-size limit).
    public var text: String?
    /// The charset used to decode `text`.
    public var charset: String?
    /// Size of the body after transfer decoding (leaves only).
    public var decodedSize: Int
    /// For leaves that are not text: the type the content's first bytes show (see ``ContentSniffer``).
    public var sniffedType: String?

    /// The file name from Content-Disposition, else from the Content-Type `name` parameter.
    public var filename: String? { disposition?.filename ?? contentType.name }

    /// Whether this leaf is an attachment rather than body text: disposition `attachment`, a file name, or
    /// a type that is not text.
    public var isAttachment: Bool {
        guard children.isEmpty, !contentType.isMultipart else { return false }
        if disposition?.isAttachment == true { return true }
        if !contentType.isText { return !contentType.isEmbeddedMessage }
        return filename != nil && disposition?.kind != "inline"
    }

    /// Every part in depth-first order, this one first.
    public func walk(_ visit: (MIMEPart) -> Void) {
        visit(self)
        for child in children { child.walk(visit) }
    }

    /// Leaves (parts without children) in depth-first order.
    public var leaves: [MIMEPart] {
        var out: [MIMEPart] = []
        walk { if $0.children.isEmpty { out.append($0) } }
        return out
    }
}
