/// Computes the ``MetadataFeature`` columns of an analysed message. Pure and `Sendable`.
public struct MetadataFeatureExtractor: Sendable {
    public init() {}

    /// The columns of `a`, in ``MetadataFeature`` order.
    public func values(of a: AnalyzedMessage, sender: SenderState? = nil) -> [Float] {
        var v = [Float](repeating: 0, count: MetadataFeature.allCases.count)
        values(of: a, sender: sender, into: &v)
        return v
    }

    /// Writes the columns of `a` into `v` (resized to ``MetadataFeature`` count); the sender columns come
    /// from `sender`, missing (NaN) without it.
    public func values(of a: AnalyzedMessage, sender: SenderState? = nil, into v: inout [Float]) {
        v.removeAll(keepingCapacity: true)
        v.append(contentsOf: repeatElement(0, count: MetadataFeature.allCases.count))
        v.withUnsafeMutableBufferPointer { buffer in
            var w = Writer(v: buffer)
            fill(a, &w)
        }
        if let sender {
            sender.fill(&v)
        } else {
            for f in MetadataFeature.missingByDefault { v[f.rawValue] = .nan }
        }
    }

    private struct Writer {
        var v: UnsafeMutableBufferPointer<Float>
        subscript(_ f: MetadataFeature) -> Float {
            get { v[f.rawValue] }
            nonmutating set { v[f.rawValue] = newValue }
        }
        func set(_ f: MetadataFeature, _ value: Int) { v[f.rawValue] = Float(value) }
        func set(_ f: MetadataFeature, _ value: Bool) { v[f.rawValue] = value ? 1 : 0 }
    }

    private func fill(_ a: AnalyzedMessage, _ w: inout Writer) {
        let m = a.message
        let fromDomain = header(m, &w)
        structure(a, &w)
        body(a, &w)
        links(a, fromDomain: fromDomain, &w)
    }

    // MARK: - Header

    /// Fills the header columns; returns the From address's registrable domain ("" when none).
    private func header(_ m: Message, _ w: inout Writer) -> String {
        var hops: [ReceivedHop] = []
        var fields = (from: HeaderField?.none, replyTo: HeaderField?.none, returnPath: HeaderField?.none, messageID: HeaderField?.none,
                      date: HeaderField?.none, subject: HeaderField?.none)
        var to = 0, cc = 0, toFields = 0, extensions = 0, headerBytes = 0
        var sender = false, mailer = false, mimeVersion = false
        var list = (headers: 0, unsubscribe: false, bulk: false, inReplyTo: false, references: 0, organization: false)
        // Authentication fields are read by the rules and the reputation prior only: no training row has one
        // (docs/authentication.md), so the columns below stay 0 and the fields count in no other column.
        var authenticationFields = 0
        // Received fields should form one block at the top (each relay prepends one); trace fields that
        // relays and mailbox storage add may sit among them.
        var receivedBlocks = 0, inReceivedBlock = false
        for field in m.headers {
            let name = field.lowercasedName
            if field.isAuthenticationField {
                authenticationFields += 1
                continue
            }
            headerBytes += field.name.utf8.count + field.rawValue.utf8.count + 4
            if name.utf8.first == UInt8(ascii: "x"), name.utf8.dropFirst().first == UInt8(ascii: "-") { extensions += 1 }
            if name.utf8.starts(with: "list-".utf8) { list.headers += 1 }
            let kind = MetadataFeatureExtractor.headerKinds[name] ?? .other
            switch kind {
            case .received:
                if hops.count < 8 { hops.append(ReceivedHop(parsing: field.value)) }
                if !inReceivedBlock { receivedBlocks += 1; inReceivedBlock = true }
            case .trace, .returnPath, .authenticationResults, .receivedSPF:
                break
            default:
                if !MetadataTokens.isFilterHeader(name) { inReceivedBlock = false }
            }
            switch kind {
            case .from: if fields.from == nil { fields.from = field }
            case .replyTo: if fields.replyTo == nil { fields.replyTo = field }
            case .returnPath: if fields.returnPath == nil { fields.returnPath = field }
            case .messageID: if fields.messageID == nil { fields.messageID = field }
            case .date: if fields.date == nil { fields.date = field }
            case .subject: if fields.subject == nil { fields.subject = field }
            case .to:
                toFields += 1
                to += field.value.utf8.count { $0 == UInt8(ascii: "@") }
            case .cc: cc += field.value.utf8.count { $0 == UInt8(ascii: "@") }
            case .sender: sender = true
            case .mailer: mailer = true
            case .mimeVersion: mimeVersion = true
            case .listUnsubscribe: list.unsubscribe = true
            case .precedence:
                let v = field.value.fastLowercased()
                if v.hasPrefix("bulk") || v.hasPrefix("list") || v.hasPrefix("junk") { list.bulk = true }
            case .inReplyTo: list.inReplyTo = true
            case .references: list.references += field.value.utf8.count { $0 == UInt8(ascii: "<") }
            case .organization: list.organization = true
            case .authenticationResults, .receivedSPF: break
            case .received, .trace, .other: break
            }
        }
        received(hops, blocks: receivedBlocks, date: fields.date, &w)

        // Sender and the addresses around it.
        let fromList = AddressParser.parseList(fields.from?.value)
        let from = fromList.first
        let fromDomain = from.map { DomainName.registrable($0.domain) } ?? ""
        w.set(.fromMissing, from == nil)
        w.set(.fromCount, fromList.count)
        if let from {
            let d = from.domain.utf8
            w.set(.fromDomainLabels, from.domain.isEmpty ? 0 : d.count { $0 == UInt8(ascii: ".") } + 1)
            w.set(.fromDomainLength, d.count)
            w.set(.fromDomainDigits, d.count { ASCII.isDigit($0) })
            w.set(.fromDomainHyphens, d.count { $0 == UInt8(ascii: "-") })
            w.set(.fromLocalLength, from.localPart.utf8.count)
            w.set(.fromLocalDigits, from.localPart.utf8.count { ASCII.isDigit($0) })
            w.set(.fromFreeMail, MetadataFeatureExtractor.isFreeMail(fromDomain))
            if let display = from.displayName, display.utf8.contains(UInt8(ascii: "@")) {
                w.set(.fromNameHasAddress, true)
                w.set(.fromNameOtherDomain, !fromDomain.isEmpty && !display.lowercased().containsBytes(fromDomain))
            }
            let tld = DomainName.tld(from.domain)
            w.set(.fromTLDLength, tld.utf8.count)
            w.set(.fromTLDGeneric, ["com", "net", "org", "edu", "gov"].contains(tld))
        }
        w.set(.senderPresent, sender)
        if let reply = AddressParser.parseList(fields.replyTo?.value).first {
            let d = DomainName.registrable(reply.domain)
            w.set(.replyToPresent, true)
            w.set(.replyToMismatch, d != fromDomain)
            w.set(.replyToFreeMail, MetadataFeatureExtractor.isFreeMail(d))
        }
        if let field = fields.returnPath {
            w.set(.returnPathPresent, true)
            let rp = AddressParser.parseList(field.value).first
            w.set(.returnPathEmpty, rp == nil || rp?.address.isEmpty == true)
            if let rp, !fromDomain.isEmpty { w.set(.returnPathMismatch, DomainName.registrable(rp.domain) != fromDomain) }
        }
        if let id = fields.messageID?.value.trimmingBlanks() {
            let u = id.utf8
            let wellFormed = u.first == UInt8(ascii: "<") && u.last == UInt8(ascii: ">") && u.count { $0 == UInt8(ascii: "@") } == 1
            w.set(.messageIDMalformed, !wellFormed)
            if let at = u.lastIndex(of: UInt8(ascii: "@")) {
                let d = DomainName.registrable(String(decoding: u[u.index(after: at)...].filter { $0 != UInt8(ascii: ">") }, as: UTF8.self))
                w.set(.messageIDDomainMismatch, !fromDomain.isEmpty && d != fromDomain)
            }
        } else {
            w.set(.messageIDMissing, true)
        }
        w.set(.toCount, to)
        w.set(.ccCount, cc)
        w.set(.toMissing, toFields == 0)
        if let from, toFields == 1, to == 1, let first = AddressParser.parseList(m.headers.first("to")?.value).first {
            w.set(.toIsFrom, first.address.lowercased() == from.address.lowercased())
        }
        for f in [MetadataFeature.spfPass, .spfFail, .spfSoftFail, .dkimPass, .dkimFail, .dmarcPass, .dmarcFail, .authenticationResultsCount] {
            w.set(f, 0)
        }
        w.set(.inReplyTo, list.inReplyTo)
        w.set(.referencesCount, list.references)
        w.set(.listHeaders, list.headers)
        w.set(.listUnsubscribe, list.unsubscribe)
        w.set(.precedenceBulk, list.bulk)
        w.set(.organizationPresent, list.organization)
        w.set(.headerCount, m.headers.count - authenticationFields)
        w.set(.headerBytes, headerBytes)
        w.set(.extensionHeaders, extensions)
        w.set(.mailerPresent, mailer)
        w.set(.mimeVersionMissing, !mimeVersion && m.headers.first("content-type") != nil)
        var defects = m.flags
        defects.remove([.mboxFromLine, .hiddenHTMLText, .embeddedMessage])
        w.set(.parseDefects, defects.rawValue.nonzeroBitCount)
        w.set(.duplicateSingletons, m.flags.contains(.duplicateSingletonHeader))

        if let subject = fields.subject {
            let s = subject.value
            w.set(.subjectLength, s.count)
            w.set(.subjectAllCaps, MetadataTokens.isAllCaps(s))
            let scalars = s.unicodeScalars
            w[.subjectNonASCII] = scalars.isEmpty ? 0 : Float(scalars.count { !$0.isASCII }) / Float(scalars.count)
            w.set(.subjectExclamations, s.utf8.count { $0 == UInt8(ascii: "!") })
            w.set(.subjectEncoded, subject.rawValue.containsBytes("=?"))
        } else {
            w.set(.subjectMissing, true)
        }
        return fromDomain
    }

    private func received(_ hops: [ReceivedHop], blocks: Int, date: HeaderField?, _ w: inout Writer) {
        w.set(.receivedCount, hops.count)
        w.set(.receivedWithoutBy, hops.count { $0.by == nil })
        w.set(.receivedWithoutReverseDNS, hops.count { $0.fromIP != nil && $0.fromReverseName == nil })
        w.set(.receivedPrivateIPs, hops.count { $0.fromIP.map(MetadataFeatureExtractor.isPrivateIPv4) ?? false })
        var relays = DomainName.Recent()
        w.set(.receivedDistinctRelays, Set(hops.compactMap { $0.by.map { relays.registrable($0) } }).count)
        w.set(.receivedNotContiguous, blocks > 1)
        let times = hops.compactMap(\.timestamp)
        if let newest = times.max(), let oldest = times.min() {
            w[.receivedSpanHours] = Float(newest - oldest) / 3_600
            // Top hop first: each should be no older than the one below it (five minutes of clock skew allowed).
            w.set(.receivedOutOfOrder, zip(times, times.dropFirst()).count { $0.0 + 300 < $0.1 })
        } else {
            w[.receivedSpanHours] = .nan
        }
        let parsed = date.flatMap { MessageDate(parsing: $0.value) }
        w.set(.dateMissing, date == nil)
        if let parsed {
            w.set(.dateZoneMissing, !parsed.hasZone)
            w[.dateZoneHours] = Float(parsed.zoneOffsetMinutes) / 60
            let local = parsed.timestamp + Int64(parsed.zoneOffsetMinutes) * 60
            let day = local >= 0 ? local / 86_400 : (local - 86_399) / 86_400
            w.set(.localHour, Int((local - day * 86_400) / 3_600))
            w.set(.weekday, Int(((day + 4) % 7 + 7) % 7))  // 0 = Sunday; 1970-01-01 was a Thursday
            if let first = times.first {
                w[.dateBeforeReceivedHours] = Float(first - parsed.timestamp) / 3_600
            } else {
                w[.dateBeforeReceivedHours] = .nan
            }
        } else {
            for f in [MetadataFeature.dateZoneHours, .localHour, .weekday, .dateBeforeReceivedHours] { w[f] = .nan }
        }
    }

    // MARK: - Structure

    private func structure(_ a: AnalyzedMessage, _ w: inout Writer) {
        let m = a.message
        w.set(.messageBytes, m.bytes.count - m.removedHeaderBytes)
        let leaves = m.leaves
        w.set(.mimeLeaves, leaves.count)
        w.set(.mimeDepth, leaves.map(\.depth).max() ?? 0)
        var charsets = Set<String>()
        var attachments = (count: 0, bytes: 0, executable: 0, double: 0, archive: 0)
        for leaf in leaves {
            if leaf.isAttachment {
                attachments.count += 1
                attachments.bytes += leaf.decodedSize
                if let name = leaf.filename?.lowercased() {
                    let pieces = name.split(separator: ".")
                    if pieces.count >= 2, let ext = pieces.last {
                        if MetadataTokens.executableExtensions.contains(String(ext)) { attachments.executable += 1 }
                        if MetadataTokens.archiveExtensions.contains(String(ext)) { attachments.archive += 1 }
                        if pieces.count >= 3, pieces[pieces.count - 2].count <= 4 { attachments.double += 1 }
                    }
                }
                continue
            }
            guard leaf.contentType.isText else { continue }
            if leaf.contentType.subtype == "html" { w[.htmlParts] += 1 } else { w[.textParts] += 1 }
            if let c = leaf.charset { charsets.insert(c) }
            if leaf.transferEncoding == .base64 { w.set(.base64Text, true) }
        }
        w.set(.charsets, charsets.count)
        w.set(.charsetProblems, m.flags.contains(.unknownCharset) || m.flags.contains(.charsetMismatch))
        w.set(.attachmentCount, attachments.count)
        w.set(.attachmentKB, attachments.bytes >> 10)
        w.set(.attachmentExecutable, attachments.executable)
        w.set(.attachmentDoubleExtension, attachments.double)
        if let reports = a.attachments {
            w.set(.attachmentMacros, reports.count { $0.macros })
            w.set(.attachmentArchiveExecutables, reports.reduce(0) { $0 + ($1.archive?.executables ?? 0) })
            w.set(.attachmentEncryptedArchive, reports.count { $0.archive?.encrypted == true })
            w.set(.attachmentPDFActive, reports.count { $0.pdf?.isActive == true })
            w[.attachmentArchiveRatio] = Float(reports.compactMap { $0.archive?.ratio }.max() ?? 0)
            w.set(.attachmentListed, reports.count { $0.listed })
        }
        if let images = a.images {
            let decoded = images.count { $0.phash != nil }
            w.set(.imagesDecoded, decoded)
            w.set(.imageOnly, a.isImageOnly)
            w[.imageTextBytesPerImage] = decoded == 0 ? .nan : Float(a.normalizedBody.text.utf8.count / decoded)
            w.set(.imageFailures, images.count { $0.failure != nil })
        }
        w.set(.attachmentArchive, attachments.archive)
        w.set(.attachmentTypeMismatch, m.flags.contains(.attachmentTypeMismatch))

        let h = a.html
        w.set(.htmlOnly, h.htmlBytes > 0 && !a.hasPlainText)
        w[.htmlTextRatio] = h.htmlBytes > 0 ? Float(h.visibleTextBytes) / Float(h.htmlBytes) : .nan
        w.set(.htmlImages, h.images)
        w.set(.htmlLinks, h.links)
        w.set(.htmlTags, h.tags)
        w.set(.htmlForms, h.forms)
        w.set(.htmlScripts, h.scripts)
        w.set(.htmlIframes, h.iframes)
        w.set(.htmlComments, h.comments)
        w.set(.htmlHiddenElements, h.hiddenElements)
        w.set(.hiddenTextBytes, a.hiddenText.utf8.count)
        w.set(.htmlTagsInsideWords, h.tagsInsideWords)
    }

    // MARK: - Body

    /// Shares of character kinds over the first 4 KB of the body text, read by bytes: an ASCII byte is one
    /// character, a non-ASCII character is counted by its lead byte (CJK: U+2E80..U+9FFF and Hangul;
    /// Cyrillic: U+0400..U+04FF).
    private func body(_ a: AnalyzedMessage, _ w: inout Writer) {
        w.set(.bodyBytes, a.bodyText.utf8.count)
        // One table lookup per byte; counts[k] is the number of bytes of kind k.
        var counts = (0, 0, 0, 0, 0, 0, 0, 0)
        var text = a.bodyText
        text.withUTF8 { u in
            withUnsafeMutableBytes(of: &counts) { raw in
                let c = raw.bindMemory(to: Int.self)
                MetadataFeatureExtractor.byteKinds.withUnsafeBufferPointer { kinds in
                    for b in u.prefix(4_096) { c[Int(kinds[Int(b)])] += 1 }
                }
            }
        }
        let upper = counts.1, lower = counts.2, digits = counts.3, otherASCII = counts.4
        let cyrillic = counts.5, cjk = counts.6, otherLead = counts.7
        let letters = upper + lower
        let nonASCII = cyrillic + cjk + otherLead
        let characters = upper + lower + digits + otherASCII + nonASCII
        let n = Float(max(characters, 1))
        w[.bodyUppercase] = letters > 0 ? Float(upper) / Float(letters) : 0
        w[.bodyNonASCII] = Float(nonASCII) / n
        w[.bodyCJK] = Float(cjk) / n
        w[.bodyCyrillic] = Float(cyrillic) / n
        w[.bodyDigits] = Float(digits) / n
        var s = ObfuscationSignals()
        for signals in [a.normalizedSubject.signals, a.normalizedBody.signals] {
            s.mixedScriptWords += signals.mixedScriptWords
            s.leetWords += signals.leetWords
            s.splitWordsJoined += signals.splitWordsJoined
            s.formatCharacters += signals.formatCharacters
            s.htmlTricks += signals.htmlTricks
            s.compatibilityChanged = s.compatibilityChanged || signals.compatibilityChanged
        }
        w.set(.obfuscationMixedScript, s.mixedScriptWords)
        w.set(.obfuscationLeet, s.leetWords)
        w.set(.obfuscationSplitWords, s.splitWordsJoined)
        w.set(.obfuscationFormatCharacters, s.formatCharacters)
        w.set(.obfuscationHTMLTricks, s.htmlTricks)
        w.set(.obfuscationCompatibilityForms, s.compatibilityChanged)
    }

    // MARK: - URLs

    private func links(_ a: AnalyzedMessage, fromDomain: String, _ w: inout Writer) {
        var domains = Set<String>()
        var https = 0
        var recent = DomainName.Recent()
        w.set(.urlCount, a.urls.count)
        for url in a.urls.prefix(200) {
            let host = url.host
            let domain = host.isEmpty ? "" : (url.isIPLiteral ? host : recent.registrable(host))
            if !domain.isEmpty { domains.insert(domain) }
            if url.isIPLiteral { w[.urlIPHosts] += 1 } else if DomainName.isShortener(registrable: domain) { w[.urlShorteners] += 1 }
            if url.hasUserInfo { w[.urlUserInfo] += 1 }
            if url.source == .form { w[.urlForms] += 1 }
            if url.url.utf8.starts(with: "https:".utf8, by: { ASCII.lower($0) == $1 }) { https += 1 }
            if !fromDomain.isEmpty, domain == fromDomain { w[.urlFromDomain] += 1 }
            if let anchor = url.anchorText?.lowercased(), !domain.isEmpty, let shown = MetadataTokens.shownDomain(anchor), shown != domain {
                w[.urlAnchorOtherDomain] += 1
            }
        }
        w.set(.urlDomains, domains.count)
        w[.urlHTTPS] = a.urls.isEmpty ? .nan : Float(https) / Float(min(a.urls.count, 200))
    }

    // MARK: - Helpers

    /// The header fields the columns read, found with one lookup per field.
    private enum HeaderKind {
        case received, trace, from, replyTo, returnPath, messageID, date, subject, to, cc, sender, mailer, mimeVersion
        case authenticationResults, receivedSPF, listUnsubscribe, precedence, inReplyTo, references, organization, other
    }

    private static let headerKinds: [String: HeaderKind] = [
        "received": .received, "return-path": .returnPath, "authentication-results": .authenticationResults,
        "received-spf": .receivedSPF, "delivered-to": .trace, "x-original-to": .trace, "dkim-signature": .trace, "arc-seal": .trace,
        "arc-message-signature": .trace, "arc-authentication-results": .trace, "x-received": .trace,
        "from": .from, "reply-to": .replyTo, "message-id": .messageID, "date": .date, "subject": .subject, "to": .to, "cc": .cc,
        "sender": .sender, "x-mailer": .mailer, "user-agent": .mailer, "mime-version": .mimeVersion,
        "list-unsubscribe": .listUnsubscribe, "precedence": .precedence, "in-reply-to": .inReplyTo, "references": .references,
        "organization": .organization,
    ]

    /// Byte kinds for the body shares: 0 continuation byte, 1 upper, 2 lower, 3 digit, 4 other ASCII,
    /// 5 Cyrillic lead (U+0400..U+04FF), 6 CJK or Hangul lead (U+3000..U+DFFF), 7 other lead.
    private static let byteKinds: [UInt8] = (0...255).map { (b: Int) -> UInt8 in
        switch b {
        case 0x41...0x5A: return 1
        case 0x61...0x7A: return 2
        case 0x30...0x39: return 3
        case 0x00..<0x80: return 4
        case 0x80..<0xC0: return 0
        case 0xD0...0xD3: return 5
        case 0xE3...0xED: return 6
        default: return 7
        }
    }

    static let freeMail: Set<String> = [
        "gmail.com", "googlemail.com", "hotmail.com", "outlook.com", "live.com", "msn.com", "aol.com", "icloud.com", "me.com",
        "mail.com", "gmx.com", "gmx.net", "gmx.de", "web.de", "yandex.ru", "mail.ru", "qq.com", "163.com", "126.com", "sina.com",
        "protonmail.com", "proton.me", "zoho.com", "rediffmail.com", "excite.com", "lycos.com", "juno.com", "netscape.net",
        "earthlink.net", "comcast.net", "hushmail.com", "rocketmail.com", "ymail.com",
    ]

    static func isFreeMail(_ domain: String) -> Bool {
        freeMail.contains(domain) || domain.hasPrefix("yahoo.") || domain.hasPrefix("hotmail.")
    }

    /// Whether a dotted quad is in 10/8, 127/8, 172.16/12 or 192.168/16 (its numeric dot-separated parts are read).
    static func isPrivateIPv4(_ ip: String) -> Bool {
        var copy = ip
        return copy.withUTF8 { u in
            var parts = (0, 0), count = 0, start = 0
            for i in 0...u.count where i == u.count || u[i] == UInt8(ascii: ".") {
                if i > start, let n = ASCII.integer(UnsafeBufferPointer(rebasing: u[start..<i])) {
                    if count == 0 { parts.0 = n } else if count == 1 { parts.1 = n }
                    count += 1
                }
                start = i + 1
            }
            guard count == 4 else { return false }
            return parts.0 == 10 || parts.0 == 127 || (parts.0 == 172 && (16...31).contains(parts.1)) || (parts.0 == 192 && parts.1 == 168)
        }
    }
}
