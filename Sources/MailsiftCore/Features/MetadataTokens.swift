/// The tokens of the metadata views (headers, URLs, attachments, HTML structure) of an analysed message:
/// short strings such as `from_domain=example.com` or `images=4-7`, hashed by ``FeatureExtractor`` and
/// shown as they are in explanations.
enum MetadataTokens {
    /// Headers a model must not learn from: other filters' verdicts, and what a mail client or a mailbox
    /// file adds after delivery (a corpus stored as mbox has them, mail arriving at an MTA does not).
    static func isFilterHeader(_ name: String) -> Bool {
        name.hasPrefix("x-spam") || name.hasPrefix("x-virus") || name.hasPrefix("x-bogosity") || name.hasPrefix("x-dspam")
            || name.hasPrefix("x-mailsift") || name == "x-amavis-alert" || mailboxHeaders.contains(name)
            || name.hasPrefix("x-mozilla-") || name.hasPrefix("x-evolution")
    }

    static let mailboxHeaders: Set<String> = ["status", "x-status", "x-keywords", "x-uid", "x-imap", "x-imapbase", "lines", "content-length"]

    /// Parse flags that describe how a corpus stored the message, not the message.
    static let storageFlags: Set<String> = ["mbox_from_line"]

    /// A count as a coarse bucket: 0, 1, 2, 3, 4-7, 8-15, ...
    static func bucket(_ n: Int) -> String {
        if n < 4 { return String(max(n, 0)) }
        let low = 1 << (Int.bitWidth - n.leadingZeroBitCount - 1)
        return "\(low)-\(low * 2 - 1)"
    }

    static func headers(_ a: AnalyzedMessage) -> [String] {
        let m = a.message
        var t: [String] = []
        var seen = Set<String>()
        var names: [String] = []
        var received = 0
        var recipients = (to: 0, cc: 0)
        // One pass over the fields for what needs no parsing.
        for field in m.headers {
            let name = field.lowercasedName
            switch name {
            case "received":
                received += 1
                if received <= 8 { hopTokens(field.value, into: &t) }
            case "to": recipients.to += field.value.utf8.count { $0 == UInt8(ascii: "@") }
            case "cc": recipients.cc += field.value.utf8.count { $0 == UInt8(ascii: "@") }
            default: break
            }
            if names.count < 64, name.utf8.count <= 40, !isFilterHeader(name), seen.insert(name).inserted { names.append(name) }
        }
        // In header order (deterministic, so a model's sums are too).
        t += names.map { "has:" + $0 }
        t.append("received=" + bucket(received))
        // Recipient counts: an address has one '@' (cheaper than parsing the lists).
        t.append("to=" + bucket(recipients.to))
        t.append("cc=" + bucket(recipients.cc))
        let from = m.from.first
        let fromDomain = from.map { DomainName.registrable($0.domain) } ?? ""
        if let from {
            t.append("from_domain=" + fromDomain)
            t.append("from_tld=" + DomainName.tld(from.domain))
            if let display = from.displayName, display.contains("@") {
                t.append("from_name_has_address")
                if !display.lowercased().contains(fromDomain) { t.append("from_name_other_domain") }
            }
        } else {
            t.append("from_missing")
        }
        if let reply = m.replyTo.first {
            let d = DomainName.registrable(reply.domain)
            t.append("replyto_domain=" + d)
            if d != fromDomain { t.append("replyto_mismatch") }
        }
        if let rp = m.returnPath.first, !fromDomain.isEmpty, DomainName.registrable(rp.domain) != fromDomain {
            t.append("return_path_mismatch")
        }
        if let id = m.messageID, let at = id.lastIndex(of: "@") {
            let d = DomainName.registrable(String(id[id.index(after: at)...].filter { $0 != ">" }))
            t.append("msgid_domain=" + d)
            if d != fromDomain { t.append("msgid_mismatch") }
        } else {
            t.append("msgid_missing")
        }
        if let mailer = m.headers["x-mailer"] ?? m.headers["user-agent"] {
            let word = mailer.split(whereSeparator: { $0 == " " || $0 == "/" || $0 == "(" }).first.map { $0.lowercased() } ?? ""
            t.append("mailer=" + String(word.prefix(32)))
        }
        for results in m.authenticationResults {
            for check in results.checks { t.append("auth_\(check.method)=\(check.result)") }
        }
        for spf in m.receivedSPF { t.append("received_spf=" + spf) }
        if m.headers.first("date") == nil { t.append("date_missing") }
        t.append("type=" + m.root.contentType.mimeType)
        let leaves = m.leaves
        t.append("leaves=" + bucket(leaves.count))
        for leaf in leaves.prefix(16) {
            t.append("part=" + leaf.contentType.mimeType)
            if let c = leaf.charset { t.append("charset=" + c) }
            t.append("encoding=\(leaf.transferEncoding)")
        }
        for name in m.flags.names where !storageFlags.contains(name) { t.append("flag=" + name) }
        if let subject = m.subject {
            let letters = subject.unicodeScalars.filter { $0.properties.isAlphabetic }
            if letters.count >= 6, letters.allSatisfy({ $0.properties.isUppercase }) { t.append("subject_all_caps") }
            if subject.isEmpty { t.append("subject_empty") }
        } else {
            t.append("subject_missing")
        }
        return t
    }

    /// From one Received field, by bytes: the protocol (`with`), the receiving domain (`by`), and whether
    /// the client had no reverse DNS name (`unknown[192.0.2.1]`, as Postfix and Sendmail write it).
    static func hopTokens(_ value: String, into t: inout [String]) {
        let u = Array(value.utf8.prefix(1_024))
        var words: [Range<Int>] = []
        var i = 0
        while i < u.count, words.count < 40 {
            while i < u.count, ASCII.isWhitespace(u[i]) { i += 1 }
            let start = i
            while i < u.count, !ASCII.isWhitespace(u[i]), u[i] != ASCII.semicolon { i += 1 }
            if i > start { words.append(start..<i) }
            if i < u.count, u[i] == ASCII.semicolon { break }
        }
        func lower(_ r: Range<Int>) -> String { String(decoding: u[r].map(ASCII.lower), as: UTF8.self) }
        func isWord(_ r: Range<Int>, _ w: StaticString) -> Bool {
            r.count == w.utf8CodeUnitCount && u.withUnsafeBufferPointer { $0.hasPrefixIgnoringCase(w, at: r.lowerBound, end: r.upperBound) }
        }
        var k = 0
        while k < words.count {
            let r = words[k]
            if k + 1 < words.count, isWord(r, "with") {
                t.append("hop_with=" + lower(words[k + 1]))
                k += 2
                continue
            }
            if k + 1 < words.count, isWord(r, "by") {
                var next = words[k + 1]
                while !next.isEmpty, u[next.lowerBound] == UInt8(ascii: "(") || u[next.lowerBound] == UInt8(ascii: "[") { next = (next.lowerBound + 1)..<next.upperBound }
                while !next.isEmpty, u[next.upperBound - 1] == UInt8(ascii: ")") || u[next.upperBound - 1] == UInt8(ascii: "]") { next = next.lowerBound..<(next.upperBound - 1) }
                t.append("hop_by=" + DomainName.registrable(lower(next)))
                k += 2
                continue
            }
            let start = u[r.lowerBound] == UInt8(ascii: "(") ? r.lowerBound + 1 : r.lowerBound
            if u.withUnsafeBufferPointer({ $0.hasPrefixIgnoringCase("unknown", at: start, end: r.upperBound) }),
               start + 7 < r.upperBound || u[r.lowerBound] == UInt8(ascii: "(") {
                t.append("hop_no_rdns")
            }
            k += 1
        }
    }

    static func urls(_ a: AnalyzedMessage) -> [String] {
        var t: [String] = ["count=" + bucket(a.urls.count)]
        var domains = Set<String>()
        for url in a.urls.prefix(100) {
            let host = url.host
            let domain = host.isEmpty ? "" : (url.isIPLiteral ? host : DomainName.registrable(host))
            domains.insert(domain)
            t.append("domain=" + domain)
            t.append("source=\(url.source.rawValue)")
            if url.isIPLiteral { t.append("ip_host") } else if !host.isEmpty { t.append("tld=" + DomainName.tld(host)) }
            if url.hasUserInfo { t.append("user_info") }
            if !url.isIPLiteral, DomainName.isShortener(host) { t.append("shortener") }
            let lower = url.url.lowercased()
            if lower.hasPrefix("https:") { t.append("https") } else if lower.hasPrefix("mailto:") { t.append("mailto") }
            if let anchor = url.anchorText?.lowercased(), !domain.isEmpty, let shown = shownDomain(anchor) {
                t.append(shown == domain ? "anchor_matches" : "anchor_other_domain")
            }
        }
        t.append("domains=" + bucket(domains.count))
        return t
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

    static func attachments(_ a: AnalyzedMessage) -> [String] {
        let parts = a.message.attachments
        var t: [String] = ["count=" + bucket(parts.count)]
        for part in parts.prefix(16) {
            t.append("type=" + part.contentType.mimeType)
            if let sniffed = part.sniffedType { t.append("sniffed=" + sniffed) }
            t.append("size=" + bucket(part.decodedSize >> 10) + "k")
            if let name = part.filename?.lowercased() {
                let pieces = name.split(separator: ".")
                if pieces.count >= 2, let ext = pieces.last {
                    t.append("ext=" + String(ext.prefix(8)))
                    if executableExtensions.contains(String(ext)) { t.append("executable") }
                    if pieces.count >= 3, pieces[pieces.count - 2].count <= 4 { t.append("double_extension") }
                }
            }
        }
        return t
    }

    static func html(_ a: AnalyzedMessage) -> [String] {
        var t: [String] = []
        let h = a.html
        if h.htmlBytes > 0 {
            t.append("has_html")
            let ratio = Double(h.visibleTextBytes) / Double(max(h.htmlBytes, 1))
            t.append("text_ratio=" + String(min(Int(ratio * 10), 9)))
            t.append("images=" + bucket(h.images))
            t.append("links=" + bucket(h.links))
            t.append("tags=" + bucket(h.tags))
            if h.forms > 0 { t.append("forms") }
            if h.scripts > 0 { t.append("scripts") }
            if h.iframes > 0 { t.append("iframes") }
            if h.comments > 0 { t.append("comments=" + bucket(h.comments)) }
            if h.hiddenElements > 0 { t.append("hidden_elements=" + bucket(h.hiddenElements)) }
            if h.tagsInsideWords > 0 { t.append("tags_inside_words=" + bucket(h.tagsInsideWords)) }
            if !a.hasPlainText { t.append("html_only") }
        }
        if !a.hiddenText.isEmpty { t.append("hidden_text") }
        for s in [a.normalizedSubject.signals, a.normalizedBody.signals] {
            if s.htmlTricks > 0 { t.append("obf_html_tricks=" + bucket(s.htmlTricks)) }
            if s.formatCharacters > 0 { t.append("obf_format_chars=" + bucket(s.formatCharacters)) }
            if s.mixedScriptWords > 0 { t.append("obf_mixed_script=" + bucket(s.mixedScriptWords)) }
            if s.splitWordsJoined > 0 { t.append("obf_split_words=" + bucket(s.splitWordsJoined)) }
            if s.leetWords > 0 { t.append("obf_leet=" + bucket(s.leetWords)) }
            if s.compatibilityChanged { t.append("obf_compatibility_forms") }
        }
        if a.bodyText.isEmpty { t.append("no_text") }
        return t
    }
}
