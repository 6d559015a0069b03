/// The tokens of the metadata views (headers, URLs, attachments, HTML structure) of an analysed message:
/// short strings such as `from_domain=example.com` or `images=4-7`, hashed by ``FeatureExtractor`` and
/// shown as they are in explanations.
enum MetadataTokens {
    /// Headers a model must not learn from: other filters' verdicts, and what a mail client or a mailbox
    /// file adds after delivery (a corpus stored as mbox has them, mail arriving at an MTA does not).
    static func isFilterHeader(_ name: String) -> Bool {
        guard name.utf8.first == UInt8(ascii: "x") else { return mailboxHeaders.contains(name) }
        return name.hasPrefix("x-spam") || name.hasPrefix("x-virus") || name.hasPrefix("x-bogosity") || name.hasPrefix("x-dspam")
            || name.hasPrefix("x-mailsift") || name == "x-amavis-alert" || mailboxHeaders.contains(name)
            || name.hasPrefix("x-mozilla-") || name.hasPrefix("x-evolution")
    }

    static let mailboxHeaders: Set<String> = ["status", "x-status", "x-keywords", "x-uid", "x-imap", "x-imapbase", "lines", "content-length"]

    /// Parse flags that describe how a corpus stored the message, not the message.
    static let storageFlags: Set<String> = ["mbox_from_line"]

    /// Headers that make a message a reply or list mail: what `FeatureConfiguration.conversationHeaders` off
    /// leaves unnamed (the tree stage's `conversation` columns read the same fields).
    static func isConversationHeader(_ name: String) -> Bool {
        name.hasPrefix("list-") || conversationHeaders.contains(name)
    }

    static let conversationHeaders: Set<String> = [
        "in-reply-to", "references", "precedence", "organization", "mailing-list", "x-mailing-list", "x-beenthere", "x-loop",
    ]

    static func headers(_ a: AnalyzedMessage, conversationHeaders: Bool = true, into t: inout some TokenSink) {
        let m = a.message
        var seen = Set<String>(minimumCapacity: 64)
        var names: [String] = []
        names.reserveCapacity(64)
        var received = 0
        var hopDomains = DomainName.Recent()
        var recipients = (to: 0, cc: 0)
        var fields = (from: HeaderField?.none, replyTo: HeaderField?.none, returnPath: HeaderField?.none, messageID: HeaderField?.none,
                      mailer: HeaderField?.none, userAgent: HeaderField?.none, date: false)
        // One pass over the fields: what needs no parsing, and the fields read below.
        for field in m.headers {
            let name = field.lowercasedName
            // Read by the rules and the reputation prior only (docs/authentication.md).
            if field.isAuthenticationField { continue }
            switch name {
            case "received":
                received += 1
                if received <= 8 { hopTokens(field.value, recent: &hopDomains, into: &t) }
            case "to": recipients.to += field.value.utf8.count { $0 == UInt8(ascii: "@") }
            case "cc": recipients.cc += field.value.utf8.count { $0 == UInt8(ascii: "@") }
            case "from": if fields.from == nil { fields.from = field }
            case "reply-to": if fields.replyTo == nil { fields.replyTo = field }
            case "return-path": if fields.returnPath == nil { fields.returnPath = field }
            case "message-id": if fields.messageID == nil { fields.messageID = field }
            case "x-mailer": if fields.mailer == nil { fields.mailer = field }
            case "user-agent": if fields.userAgent == nil { fields.userAgent = field }
            case "date": fields.date = true
            default: break
            }
            if names.count < 64, name.utf8.count <= 40, !isFilterHeader(name), conversationHeaders || !isConversationHeader(name),
                seen.insert(name).inserted
            {
                names.append(name)
            }
        }
        // In header order (deterministic, so a model's sums are too).
        for name in names { t.add("has:", name) }
        t.add("received=", bucket: received)
        // Recipient counts: an address has one '@' (cheaper than parsing the lists).
        t.add("to=", bucket: recipients.to)
        t.add("cc=", bucket: recipients.cc)
        let from = AddressParser.parseList(fields.from?.value).first
        let fromDomain = from.map { DomainName.registrable($0.domain) } ?? ""
        if let from {
            t.add("from_domain=", fromDomain)
            t.add("from_tld=", DomainName.tld(from.domain))
            if let display = from.displayName, display.utf8.contains(UInt8(ascii: "@")) {
                t.add("from_name_has_address")
                if !display.lowercased().contains(fromDomain) { t.add("from_name_other_domain") }
            }
        } else {
            t.add("from_missing")
        }
        if let reply = AddressParser.parseList(fields.replyTo?.value).first {
            let d = DomainName.registrable(reply.domain)
            t.add("replyto_domain=", d)
            if d != fromDomain { t.add("replyto_mismatch") }
        }
        if !fromDomain.isEmpty, let rp = AddressParser.parseList(fields.returnPath?.value).first, DomainName.registrable(rp.domain) != fromDomain {
            t.add("return_path_mismatch")
        }
        if let id = fields.messageID?.value.trimmingBlanks(), let at = id.lastIndex(of: "@") {
            let d = DomainName.registrable(String(id[id.index(after: at)...].filter { $0 != ">" }))
            t.add("msgid_domain=", d)
            if d != fromDomain { t.add("msgid_mismatch") }
        } else {
            t.add("msgid_missing")
        }
        if let mailer = (fields.mailer ?? fields.userAgent)?.value {
            let word = mailer.split(whereSeparator: { $0 == " " || $0 == "/" || $0 == "(" }).first.map { $0.lowercased() } ?? ""
            t.add("mailer=", word.prefix(32))
        }
        if !fields.date { t.add("date_missing") }
        t.add("type=", m.root.contentType.mimeType)
        let leaves = m.leaves
        t.add("leaves=", bucket: leaves.count)
        for leaf in leaves.prefix(16) {
            t.add("part=", leaf.contentType.mimeType)
            if let c = leaf.charset { t.add("charset=", c) }
            t.add("encoding=", leaf.transferEncoding.featureName)
        }
        for name in m.flags.names where !storageFlags.contains(name) { t.add("flag=", name) }
        if let subject = m.subject {
            if isAllCaps(subject) { t.add("subject_all_caps") }
            if subject.isEmpty { t.add("subject_empty") }
        } else {
            t.add("subject_missing")
        }
    }

    /// At least six letters, all upper case. ASCII subjects are checked by bytes.
    static func isAllCaps(_ s: String) -> Bool {
        if s.utf8.allSatisfy({ $0 < 0x80 }) {
            var letters = 0
            for c in s.utf8 {
                if c >= UInt8(ascii: "a") && c <= UInt8(ascii: "z") { return false }
                if c >= UInt8(ascii: "A") && c <= UInt8(ascii: "Z") { letters += 1 }
            }
            return letters >= 6
        }
        let letters = s.unicodeScalars.filter { $0.properties.isAlphabetic }
        return letters.count >= 6 && letters.allSatisfy { $0.properties.isUppercase }
    }

    /// From one Received field, by bytes: the protocol (`with`), the receiving domain (`by`), and whether
    /// the client had no reverse DNS name (`unknown[192.0.2.1]`, as Postfix and Sendmail write it).
    static func hopTokens(_ value: String, recent: inout DomainName.Recent, into t: inout some TokenSink) {
        var value = value
        value.withUTF8 { all in
            let u = UnsafeBufferPointer(rebasing: all.prefix(1_024))
            var words: [Range<Int>] = []
            var i = 0
            while i < u.count, words.count < 40 {
                while i < u.count, ASCII.isWhitespace(u[i]) { i += 1 }
                let start = i
                while i < u.count, !ASCII.isWhitespace(u[i]), u[i] != ASCII.semicolon { i += 1 }
                if i > start { words.append(start..<i) }
                if i < u.count, u[i] == ASCII.semicolon { break }
            }
            func isWord(_ r: Range<Int>, _ w: StaticString) -> Bool {
                r.count == w.utf8CodeUnitCount && u.hasPrefixIgnoringCase(w, at: r.lowerBound, end: r.upperBound)
            }
            var k = 0
            while k < words.count {
                let r = words[k]
                if k + 1 < words.count, isWord(r, "with") {
                    t.add("hop_with=", lowercased: UnsafeBufferPointer(rebasing: u[words[k + 1]]))
                    k += 2
                    continue
                }
                if k + 1 < words.count, isWord(r, "by") {
                    var next = words[k + 1]
                    while !next.isEmpty, u[next.lowerBound] == UInt8(ascii: "(") || u[next.lowerBound] == UInt8(ascii: "[") { next = (next.lowerBound + 1)..<next.upperBound }
                    while !next.isEmpty, u[next.upperBound - 1] == UInt8(ascii: ")") || u[next.upperBound - 1] == UInt8(ascii: "]") { next = next.lowerBound..<(next.upperBound - 1) }
                    t.add("hop_by=", recent.registrable(String(decoding: u[next], as: UTF8.self)))
                    k += 2
                    continue
                }
                let start = u[r.lowerBound] == UInt8(ascii: "(") ? r.lowerBound + 1 : r.lowerBound
                if u.hasPrefixIgnoringCase("unknown", at: start, end: r.upperBound), start + 7 < r.upperBound || u[r.lowerBound] == UInt8(ascii: "(") {
                    t.add("hop_no_rdns")
                }
                k += 1
            }
        }
    }

    static func urls(_ a: AnalyzedMessage, into t: inout some TokenSink) {
        t.add("count=", bucket: a.urls.count)
        var domains = Set<String>()
        var recent = DomainName.Recent()
        for url in a.urls.prefix(100) {
            let host = url.host
            let domain = host.isEmpty ? "" : (url.isIPLiteral ? host : recent.registrable(host))
            domains.insert(domain)
            t.add("domain=", domain)
            t.add("source=", url.source.rawValue)
            if url.isIPLiteral { t.add("ip_host") } else if !host.isEmpty { t.add("tld=", DomainName.tld(host)) }
            if url.hasUserInfo { t.add("user_info") }
            if !url.isIPLiteral, DomainName.isShortener(registrable: domain) { t.add("shortener") }
            if url.url.utf8.starts(with: "https:".utf8, by: { ASCII.lower($0) == $1 }) {
                t.add("https")
            } else if url.url.utf8.starts(with: "mailto:".utf8, by: { ASCII.lower($0) == $1 }) {
                t.add("mailto")
            }
            if let anchor = url.anchorText?.lowercased(), !domain.isEmpty, let shown = shownDomain(anchor) {
                t.add(shown == domain ? "anchor_matches" : "anchor_other_domain")
            }
        }
        t.add("domains=", bucket: domains.count)
    }

    /// The domain that a link's visible text shows, when it looks like a URL or a host name.
    static func shownDomain(_ anchor: String) -> String? {
        let trimmed = anchor.trimmingBlanks()
        guard !trimmed.contains(" "), trimmed.contains(".") else { return nil }
        let parsed = URLHost.parse(trimmed.contains("://") ? trimmed : "http://" + trimmed)
        guard !parsed.host.isEmpty, parsed.host.contains(".") else { return nil }
        return parsed.isIPLiteral ? parsed.host : DomainName.registrable(parsed.host)
    }

    static let executableExtensions: Set<String> = [
        "exe", "scr", "pif", "com", "bat", "cmd", "js", "jse", "vbs", "vbe", "wsf", "hta", "jar", "msi", "lnk", "cpl", "ps1",
    ]
    /// Archive extensions, as the attachment column `attachmentArchive` counts them.
    static let archiveExtensions: Set<String> = ["zip", "rar", "7z", "gz", "tgz", "ace", "arj", "cab", "iso"]

    static func attachments(_ a: AnalyzedMessage, into t: inout some TokenSink) {
        let parts = a.message.attachments
        t.add("count=", bucket: parts.count)
        for part in parts.prefix(16) {
            t.add("type=", part.contentType.mimeType)
            if let sniffed = part.sniffedType { t.add("sniffed=", sniffed) }
            t.add("size=", bucket: part.decodedSize >> 10, suffix: "k")
            if let name = part.filename?.lowercased() {
                let pieces = name.split(separator: ".")
                if pieces.count >= 2, let ext = pieces.last {
                    t.add("ext=", ext.prefix(8))
                    if executableExtensions.contains(String(ext)) { t.add("executable") }
                    if pieces.count >= 3, pieces[pieces.count - 2].count <= 4 { t.add("double_extension") }
                }
            }
        }
    }

    static func html(_ a: AnalyzedMessage, into t: inout some TokenSink) {
        let h = a.html
        if h.htmlBytes > 0 {
            t.add("has_html")
            let ratio = Double(h.visibleTextBytes) / Double(max(h.htmlBytes, 1))
            t.add("text_ratio=", String(min(Int(ratio * 10), 9)))
            t.add("images=", bucket: h.images)
            t.add("links=", bucket: h.links)
            t.add("tags=", bucket: h.tags)
            if h.forms > 0 { t.add("forms") }
            if h.scripts > 0 { t.add("scripts") }
            if h.iframes > 0 { t.add("iframes") }
            if h.comments > 0 { t.add("comments=", bucket: h.comments) }
            if h.hiddenElements > 0 { t.add("hidden_elements=", bucket: h.hiddenElements) }
            if h.tagsInsideWords > 0 { t.add("tags_inside_words=", bucket: h.tagsInsideWords) }
            if !a.hasPlainText { t.add("html_only") }
        }
        if !a.hiddenText.isEmpty { t.add("hidden_text") }
        for s in [a.normalizedSubject.signals, a.normalizedBody.signals] {
            if s.htmlTricks > 0 { t.add("obf_html_tricks=", bucket: s.htmlTricks) }
            if s.formatCharacters > 0 { t.add("obf_format_chars=", bucket: s.formatCharacters) }
            if s.mixedScriptWords > 0 { t.add("obf_mixed_script=", bucket: s.mixedScriptWords) }
            if s.splitWordsJoined > 0 { t.add("obf_split_words=", bucket: s.splitWordsJoined) }
            if s.leetWords > 0 { t.add("obf_leet=", bucket: s.leetWords) }
            if s.compatibilityChanged { t.add("obf_compatibility_forms") }
        }
        if a.bodyText.isEmpty { t.add("no_text") }
    }
}
