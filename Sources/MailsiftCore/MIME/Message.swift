/// A parsed message: its bytes, the MIME tree over them, and the defects found.
///
/// Header-derived views (addresses, the Received chain, authentication results, the date) are computed on
/// access, so a caller that does not need them does not pay for them.
public struct Message: Sendable {
    /// The raw message bytes, shared by every part (no copies).
    public let bytes: [UInt8]
    /// The top-level entity; its headers are the message headers.
    public var root: MIMEPart
    /// Defects and anomalies found while parsing, across the whole tree.
    public var flags: ParseFlags
    /// Bytes of the header fields the analysis took out (``AuthenticationTrust``, ``ListClaim``): the message's
    /// size is counted without them, as if they had never been written.
    public var removedHeaderBytes = 0
    /// The results of the `Authentication-Results` field Mailsift stamped (``SenderAuthentication/stamp(_:with:)``),
    /// known as built, with the field's value: ``authenticationResults`` does not parse that field again.
    public var stampedResults: (field: String, results: AuthenticationResults)?

    public var headers: HeaderFields { root.headers }
    public var subject: String? { headers["subject"] }
    public var messageID: String? { headers["message-id"]?.trimmingBlanks() }

    public var from: [Address] { AddressParser.parseList(headers.first("from")?.value) }
    public var sender: [Address] { AddressParser.parseList(headers.first("sender")?.value) }
    public var replyTo: [Address] { AddressParser.parseList(headers.first("reply-to")?.value) }
    public var to: [Address] { headers.all("to").flatMap { AddressParser.parseList($0.value) } }
    public var cc: [Address] { headers.all("cc").flatMap { AddressParser.parseList($0.value) } }

    /// The first `limit` non-empty addresses of the fields `names`, in that order (To then Cc, say), parsing
    /// no more of them than that takes: a message can carry a million addresses.
    public func addresses(in names: [String], limit: Int) -> [Address] {
        var out: [Address] = []
        for name in names {
            for field in headers.all(name) {
                guard out.count < limit else { return out }
                out += AddressParser.parseList(field.value, limit: limit - out.count)
            }
        }
        return out
    }
    public var returnPath: [Address] { AddressParser.parseList(headers.first("return-path")?.value) }

    /// The Received chain, newest (top) first.
    public var received: [ReceivedHop] { headers.all("received").map { ReceivedHop(parsing: $0.value) } }
    /// Every Authentication-Results field, top first.
    public var authenticationResults: [AuthenticationResults] {
        headers.all("authentication-results").map { field in
            if let stamped = stampedResults, stamped.field == field.value { return stamped.results }
            return AuthenticationResults(parsing: field.value)
        }
    }
    /// The result word of each Received-SPF field (`pass`, `fail`, `softfail`...), top first.
    public var receivedSPF: [String] { headers.all("received-spf").compactMap { Message.spfResult($0.value) } }

    /// The result word of a Received-SPF field's value.
    static func spfResult(_ value: String) -> String? {
        var text = value
        return text.withUTF8 { u in
            func separates(_ b: UInt8) -> Bool { b == ASCII.space || b == ASCII.tab || b == UInt8(ascii: "(") || b == ASCII.semicolon }
            var start = 0
            while start < u.count, separates(u[start]) { start += 1 }
            var end = start
            while end < u.count, !separates(u[end]) { end += 1 }
            return end > start ? ASCII.lowercased(UnsafeBufferPointer(rebasing: u[start..<end])) : nil
        }
    }
    /// The Date header as seconds since 1970 (UTC), when it parses.
    public var date: MessageDate? { headers["date"].flatMap(MessageDate.init(parsing:)) }

    /// Leaves of the MIME tree, depth first.
    public var leaves: [MIMEPart] { root.leaves }
    /// The text leaves that are body text (text/plain, text/html... not attachments), in order, each with whether it
    /// is an HTML leaf a client shows only in place of a plain alternative: a text/html leaf inside a
    /// multipart/alternative whose other branch has a text/plain leaf. A text/plain part beside the HTML outside such a
    /// group (a list's footer, an added part) hides nothing.
    public var bodyTextPartsByAlternative: [(part: MIMEPart, plainAlternative: Bool)] {
        var out: [(part: MIMEPart, plainAlternative: Bool)] = []
        func isBodyText(_ p: MIMEPart) -> Bool { p.children.isEmpty && p.contentType.isText && !p.isAttachment && p.text != nil }
        func hasPlain(_ p: MIMEPart) -> Bool {
            var found = false
            p.walk { if !found && isBodyText($0) && $0.contentType.subtype == "plain" { found = true } }
            return found
        }
        func visit(_ p: MIMEPart, _ shadowed: Bool) {
            if p.children.isEmpty {
                if isBodyText(p) { out.append((p, shadowed && p.contentType.subtype == "html")) }
            } else if p.contentType.isMultipart && p.contentType.subtype == "alternative" {
                let plain = p.children.map(hasPlain)
                let plainCount = plain.count { $0 }
                for (i, child) in p.children.enumerated() {
                    visit(child, shadowed || plainCount - (plain[i] ? 1 : 0) > 0)
                }
            } else {
                for child in p.children { visit(child, shadowed) }
            }
        }
        visit(root, false)
        return out
    }
    /// Leaves that are attachments.
    public var attachments: [MIMEPart] { leaves.filter(\.isAttachment) }

    /// The transfer-decoded body of a part (for attachments, decoded only now).
    public func decodedBody(of part: MIMEPart, limit: Int = .max) -> [UInt8] {
        var out: [UInt8] = []
        bytes.withUnsafeBufferPointer { buf in
            let body = UnsafeBufferPointer(rebasing: buf[part.bodyRange])
            switch part.transferEncoding {
            case .base64: Base64Decoder.decode(body, into: &out, limit: limit)
            case .quotedPrintable: QuotedPrintableDecoder.decode(body, into: &out, limit: limit)
            default: out.append(contentsOf: body.prefix(limit))
            }
        }
        return out
    }
}
