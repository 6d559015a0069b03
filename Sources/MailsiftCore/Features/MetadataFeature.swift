/// The dense features of the tree stage: numbers read from a message's headers and structure, one column
/// each, in this order (a model records their names and is refused by a build whose list differs).
/// ``MetadataFeatureExtractor`` computes them; a value that cannot be known is NaN (missing, which the trees
/// handle). The last ones are slots for sender velocity and reputation, missing until that state is fed in.
public enum MetadataFeature: Int, CaseIterable, Sendable {
    // Received chain
    case receivedCount, receivedWithoutBy, receivedWithoutReverseDNS, receivedPrivateIPs, receivedDistinctRelays
    case receivedSpanHours, receivedOutOfOrder, receivedNotContiguous, dateBeforeReceivedHours
    // Date
    case dateMissing, dateZoneMissing, dateZoneHours, localHour, weekday
    // Sender
    case fromMissing, fromCount, fromDomainLabels, fromDomainLength, fromDomainDigits, fromDomainHyphens
    case fromLocalLength, fromLocalDigits, fromFreeMail, fromNameHasAddress, fromNameOtherDomain
    case fromTLDLength, fromTLDGeneric, senderPresent
    case replyToPresent, replyToMismatch, replyToFreeMail, returnPathPresent, returnPathEmpty, returnPathMismatch
    case messageIDMissing, messageIDMalformed, messageIDDomainMismatch
    // Recipients
    case toCount, ccCount, toMissing, toIsFrom
    // Authentication
    // Always 0 since 2026-12-07: the learned models read no authentication field (docs/authentication.md); kept so
    // the columns of existing models stay where they are.
    case spfPass, spfFail, spfSoftFail, dkimPass, dkimFail, dmarcPass, dmarcFail, authenticationResultsCount
    // Header block
    case headerCount, headerBytes, extensionHeaders, mailerPresent, mimeVersionMissing, parseDefects, duplicateSingletons
    // Subject
    case subjectMissing, subjectLength, subjectAllCaps, subjectNonASCII, subjectExclamations, subjectEncoded
    // Conversation and mailing-list headers
    case inReplyTo, referencesCount, listHeaders, listUnsubscribe, precedenceBulk, organizationPresent
    // Size and MIME structure
    case messageBytes, mimeLeaves, mimeDepth, textParts, htmlParts, charsets, base64Text, charsetProblems
    // HTML
    case htmlOnly, htmlTextRatio, htmlImages, htmlLinks, htmlTags, htmlForms, htmlScripts, htmlIframes
    case htmlComments, htmlHiddenElements, hiddenTextBytes, htmlTagsInsideWords
    // Body text
    case bodyBytes, bodyUppercase, bodyNonASCII, bodyCJK, bodyCyrillic, bodyDigits
    // URLs
    case urlCount, urlDomains, urlIPHosts, urlShorteners, urlUserInfo, urlAnchorOtherDomain, urlHTTPS, urlFromDomain, urlForms
    // Attachments
    case attachmentCount, attachmentKB, attachmentExecutable, attachmentDoubleExtension, attachmentTypeMismatch, attachmentArchive
    // Obfuscation, from the normaliser
    case obfuscationMixedScript, obfuscationLeet, obfuscationSplitWords, obfuscationFormatCharacters, obfuscationHTMLTricks
    case obfuscationCompatibilityForms
    // Sender state (velocity and reputation), from a ``SenderStateStore``; missing without one. New
    // columns are appended: a model trained on a prefix of this list still loads (it ignores the rest).
    case clientIPRateMinute, clientIPRateHour, clientIPRateDay, fromDomainRateHour, senderReputation, domainReputation
    case fromDomainRateDay, clientNetworkRateHour, envelopeSenderRateHour, recipientRateHour, senderEvidence, domainEvidence
    // The communication graph (``CommunicationGraph``): trust and per-user contacts; missing until sent mail is known.
    case senderTrust, fromDomainTrust, senderIsContact
    // Campaigns (``CampaignFingerprint``): near-identical messages counted in the sender state store.
    case campaignRateMinute, campaignRateHour, campaignRateDay
    // Attachments inspected (``AttachmentInspector``): missing when no inspector ran.
    case attachmentMacros, attachmentArchiveExecutables, attachmentEncryptedArchive, attachmentPDFActive, attachmentArchiveRatio, attachmentListed
    // Images decoded (``ImageDecoder``): missing when none was.
    case imagesDecoded, imageOnly, imageTextBytesPerImage, imageFailures
    // The recipients' language profile (``LanguageGuess``, ``SenderKeys/languageProfile``): missing until known.
    case recipientLanguageShare, recipientLanguageSpamRate
    // Campaign members: distinct senders and recipients of the message's campaign in the last hour or two.
    case campaignSenders, campaignRecipients

    /// The families of columns, as the list above groups them: what `train --drop-tree-columns` and the
    /// per-family ablation name (docs/generalisation.md).
    public enum Group: String, CaseIterable, Sendable {
        case received, date, sender, recipients, authentication, headerBlock = "header_block", subject, conversation, structure, html, body
        case urls, attachments, obfuscation, senderState = "sender_state", graph, campaign, attachmentContent = "attachment_content", images, language
        case campaignMembers = "campaign_members"

        /// The group's columns, in order.
        public var columns: [MetadataFeature] { MetadataFeature.allCases.filter { $0.group == self } }
    }

    /// The family the column belongs to.
    public var group: Group {
        switch self {
        case .receivedCount, .receivedWithoutBy, .receivedWithoutReverseDNS, .receivedPrivateIPs, .receivedDistinctRelays, .receivedSpanHours,
             .receivedOutOfOrder, .receivedNotContiguous, .dateBeforeReceivedHours:
            return .received
        case .dateMissing, .dateZoneMissing, .dateZoneHours, .localHour, .weekday: return .date
        case .toCount, .ccCount, .toMissing, .toIsFrom: return .recipients
        case .spfPass, .spfFail, .spfSoftFail, .dkimPass, .dkimFail, .dmarcPass, .dmarcFail, .authenticationResultsCount: return .authentication
        case .headerCount, .headerBytes, .extensionHeaders, .mailerPresent, .mimeVersionMissing, .parseDefects, .duplicateSingletons: return .headerBlock
        case .subjectMissing, .subjectLength, .subjectAllCaps, .subjectNonASCII, .subjectExclamations, .subjectEncoded: return .subject
        case .inReplyTo, .referencesCount, .listHeaders, .listUnsubscribe, .precedenceBulk, .organizationPresent: return .conversation
        case .messageBytes, .mimeLeaves, .mimeDepth, .textParts, .htmlParts, .charsets, .base64Text, .charsetProblems: return .structure
        case .htmlOnly, .htmlTextRatio, .htmlImages, .htmlLinks, .htmlTags, .htmlForms, .htmlScripts, .htmlIframes, .htmlComments,
             .htmlHiddenElements, .hiddenTextBytes, .htmlTagsInsideWords:
            return .html
        case .bodyBytes, .bodyUppercase, .bodyNonASCII, .bodyCJK, .bodyCyrillic, .bodyDigits: return .body
        case .urlCount, .urlDomains, .urlIPHosts, .urlShorteners, .urlUserInfo, .urlAnchorOtherDomain, .urlHTTPS, .urlFromDomain, .urlForms: return .urls
        case .attachmentCount, .attachmentKB, .attachmentExecutable, .attachmentDoubleExtension, .attachmentTypeMismatch, .attachmentArchive:
            return .attachments
        case .obfuscationMixedScript, .obfuscationLeet, .obfuscationSplitWords, .obfuscationFormatCharacters, .obfuscationHTMLTricks,
             .obfuscationCompatibilityForms:
            return .obfuscation
        case .clientIPRateMinute, .clientIPRateHour, .clientIPRateDay, .fromDomainRateHour, .senderReputation, .domainReputation, .fromDomainRateDay,
             .clientNetworkRateHour, .envelopeSenderRateHour, .recipientRateHour, .senderEvidence, .domainEvidence:
            return .senderState
        case .campaignRateMinute, .campaignRateHour, .campaignRateDay: return .campaign
        case .campaignSenders, .campaignRecipients: return .campaignMembers
        case .attachmentMacros, .attachmentArchiveExecutables, .attachmentEncryptedArchive, .attachmentPDFActive, .attachmentArchiveRatio, .attachmentListed:
            return .attachmentContent
        case .imagesDecoded, .imageOnly, .imageTextBytesPerImage, .imageFailures: return .images
        case .recipientLanguageShare, .recipientLanguageSpamRate: return .language
        case .senderTrust, .fromDomainTrust, .senderIsContact: return .graph
        case .fromMissing, .fromCount, .fromDomainLabels, .fromDomainLength, .fromDomainDigits, .fromDomainHyphens, .fromLocalLength,
             .fromLocalDigits, .fromFreeMail, .fromNameHasAddress, .fromNameOtherDomain, .fromTLDLength, .fromTLDGeneric, .senderPresent,
             .replyToPresent, .replyToMismatch, .replyToFreeMail, .returnPathPresent, .returnPathEmpty, .returnPathMismatch, .messageIDMissing,
             .messageIDMalformed, .messageIDDomainMismatch:
            return .sender
        }
    }

    /// The columns a list names, each entry a column (``name``) or a family (``Group``); nil names the unknown entry.
    public static func columns(named list: some Sequence<some StringProtocol>) -> (columns: Set<MetadataFeature>, unknown: String?) {
        var out = Set<MetadataFeature>()
        for entry in list {
            let name = String(entry)
            if let group = Group(rawValue: name) {
                out.formUnion(group.columns)
            } else if let i = names.firstIndex(of: name) {
                out.insert(allCases[i])
            } else {
                return (out, name)
            }
        }
        return (out, nil)
    }

    /// The column's name in model files and reports (the case name).
    public var name: String { MetadataFeature.names[rawValue] }

    /// The sender state columns (velocity, reputation, trust and contacts, campaigns, the recipients' language profile), which a ``SenderState`` fills.
    public static let senderColumns: [MetadataFeature] = Group.senderState.columns + Group.graph.columns + Group.campaign.columns + Group.language.columns
        + Group.campaignMembers.columns

    /// The columns missing unless something fills them: the sender state's, and the attachment inspection's.
    public static let missingByDefault: [MetadataFeature] = senderColumns + Group.attachmentContent.columns + Group.images.columns

    /// Every column's name, in order.
    public static let names: [String] = allCases.map { String(describing: $0) }

    /// What the column measures, in plain words, for explanations.
    public var summary: String {
        switch self {
        case .receivedCount: return "number of Received hops"
        case .receivedWithoutBy: return "Received hops without a receiving host"
        case .receivedWithoutReverseDNS: return "Received hops from a client without reverse DNS"
        case .receivedPrivateIPs: return "Received hops from private IP addresses"
        case .receivedDistinctRelays: return "distinct relay domains in the Received chain"
        case .receivedSpanHours: return "hours between the first and last Received hop"
        case .receivedOutOfOrder: return "Received hops dated out of order"
        case .receivedNotContiguous: return "Received fields not in one block at the top"
        case .dateBeforeReceivedHours: return "hours between the Date header and the last Received hop"
        case .dateMissing: return "no Date header"
        case .dateZoneMissing: return "Date header without a time zone"
        case .dateZoneHours: return "time zone of the Date header"
        case .localHour: return "hour the message was sent (sender's time)"
        case .weekday: return "weekday the message was sent"
        case .fromMissing: return "no From address"
        case .fromCount: return "number of From addresses"
        case .fromDomainLabels: return "labels in the From domain"
        case .fromDomainLength: return "length of the From domain"
        case .fromDomainDigits: return "digits in the From domain"
        case .fromDomainHyphens: return "hyphens in the From domain"
        case .fromLocalLength: return "length of the From local part"
        case .fromLocalDigits: return "digits in the From local part"
        case .fromFreeMail: return "From is a free mail provider"
        case .fromNameHasAddress: return "From display name contains an address"
        case .fromNameOtherDomain: return "From display name shows another domain"
        case .fromTLDLength: return "length of the From top-level domain"
        case .fromTLDGeneric: return "From top-level domain is com, net, org, edu or gov"
        case .senderPresent: return "Sender header present"
        case .replyToPresent: return "Reply-To present"
        case .replyToMismatch: return "Reply-To domain differs from From"
        case .replyToFreeMail: return "Reply-To is a free mail provider"
        case .returnPathPresent: return "Return-Path present"
        case .returnPathEmpty: return "empty Return-Path (bounce)"
        case .returnPathMismatch: return "Return-Path domain differs from From"
        case .messageIDMissing: return "no Message-ID"
        case .messageIDMalformed: return "malformed Message-ID"
        case .messageIDDomainMismatch: return "Message-ID domain differs from From"
        case .toCount: return "number of To addresses"
        case .ccCount: return "number of Cc addresses"
        case .toMissing: return "no To header"
        case .toIsFrom: return "To is the From address"
        case .spfPass: return "SPF pass"
        case .spfFail: return "SPF fail"
        case .spfSoftFail: return "SPF softfail"
        case .dkimPass: return "DKIM pass"
        case .dkimFail: return "DKIM fail"
        case .dmarcPass: return "DMARC pass"
        case .dmarcFail: return "DMARC fail"
        case .authenticationResultsCount: return "Authentication-Results fields"
        case .headerCount: return "number of header fields"
        case .headerBytes: return "size of the header"
        case .extensionHeaders: return "X- header fields"
        case .mailerPresent: return "X-Mailer or User-Agent present"
        case .mimeVersionMissing: return "MIME content without MIME-Version"
        case .parseDefects: return "parse defects"
        case .duplicateSingletons: return "header fields that must be single appear twice"
        case .subjectMissing: return "no Subject"
        case .subjectLength: return "length of the Subject"
        case .subjectAllCaps: return "Subject in capitals"
        case .subjectNonASCII: return "share of non-ASCII characters in the Subject"
        case .subjectExclamations: return "exclamation marks in the Subject"
        case .subjectEncoded: return "Subject in RFC 2047 encoded-words"
        case .inReplyTo: return "In-Reply-To present (a reply)"
        case .referencesCount: return "message IDs in References (thread depth)"
        case .listHeaders: return "List-* header fields (a mailing list)"
        case .listUnsubscribe: return "List-Unsubscribe present"
        case .precedenceBulk: return "Precedence bulk, list or junk"
        case .organizationPresent: return "Organization present"
        case .messageBytes: return "message size"
        case .mimeLeaves: return "MIME parts"
        case .mimeDepth: return "MIME nesting depth"
        case .textParts: return "text/plain parts"
        case .htmlParts: return "text/html parts"
        case .charsets: return "distinct charsets"
        case .base64Text: return "text sent in base64"
        case .charsetProblems: return "unknown or wrong charset labels"
        case .htmlOnly: return "HTML without a plain-text part"
        case .htmlTextRatio: return "visible text share of the HTML"
        case .htmlImages: return "images in the HTML"
        case .htmlLinks: return "links in the HTML"
        case .htmlTags: return "HTML tags"
        case .htmlForms: return "HTML forms"
        case .htmlScripts: return "HTML scripts"
        case .htmlIframes: return "HTML iframes"
        case .htmlComments: return "HTML comments"
        case .htmlHiddenElements: return "hidden HTML elements"
        case .hiddenTextBytes: return "hidden HTML text"
        case .htmlTagsInsideWords: return "HTML tags inside words"
        case .bodyBytes: return "body text size"
        case .bodyUppercase: return "share of capitals in the body"
        case .bodyNonASCII: return "share of non-ASCII characters in the body"
        case .bodyCJK: return "share of Chinese, Japanese or Korean characters in the body"
        case .bodyCyrillic: return "share of Cyrillic characters in the body"
        case .bodyDigits: return "share of digits in the body"
        case .urlCount: return "number of URLs"
        case .urlDomains: return "distinct URL domains"
        case .urlIPHosts: return "URLs with an IP address host"
        case .urlShorteners: return "URL shorteners"
        case .urlUserInfo: return "URLs with a user-info trick"
        case .urlAnchorOtherDomain: return "links whose text shows another domain"
        case .urlHTTPS: return "share of https URLs"
        case .urlFromDomain: return "URLs on the From domain"
        case .urlForms: return "form targets"
        case .attachmentCount: return "attachments"
        case .attachmentKB: return "attachment size (KB)"
        case .attachmentExecutable: return "executable attachments"
        case .attachmentDoubleExtension: return "attachments with a double extension"
        case .attachmentTypeMismatch: return "attachment content not matching its type"
        case .attachmentArchive: return "archive attachments"
        case .obfuscationMixedScript: return "words mixing scripts"
        case .obfuscationLeet: return "leetspeak words"
        case .obfuscationSplitWords: return "split words (S.P.A.M)"
        case .obfuscationFormatCharacters: return "invisible format characters"
        case .obfuscationHTMLTricks: return "HTML obfuscation tricks"
        case .obfuscationCompatibilityForms: return "compatibility (look-alike) characters"
        case .clientIPRateMinute: return "messages from this client IP in the last minute"
        case .clientIPRateHour: return "messages from this client IP in the last hour"
        case .clientIPRateDay: return "messages from this client IP in the last day"
        case .fromDomainRateHour: return "messages from this From domain in the last hour"
        case .senderReputation: return "spam rate of this client IP (reputation)"
        case .domainReputation: return "spam rate of this From domain (reputation)"
        case .fromDomainRateDay: return "messages from this From domain in the last day"
        case .clientNetworkRateHour: return "messages from this client's network in the last hour"
        case .envelopeSenderRateHour: return "messages from this envelope sender in the last hour"
        case .recipientRateHour: return "messages to this recipient in the last hour"
        case .senderEvidence: return "messages known from this client IP"
        case .domainEvidence: return "messages known from this From domain"
        case .senderTrust: return "trust of the From address in the communication graph"
        case .fromDomainTrust: return "trust of the From domain in the communication graph"
        case .senderIsContact: return "the From address is a recipient's contact (they wrote to it)"
        case .campaignRateMinute: return "near-identical messages (one campaign) in the last minute"
        case .campaignRateHour: return "near-identical messages (one campaign) in the last hour"
        case .campaignRateDay: return "near-identical messages (one campaign) in the last day"
        case .attachmentMacros: return "attachments with VBA macros"
        case .attachmentArchiveExecutables: return "programs inside attached archives"
        case .attachmentEncryptedArchive: return "attached archives that are encrypted"
        case .attachmentPDFActive: return "attached PDFs with JavaScript or a launch action"
        case .attachmentArchiveRatio: return "largest unpacked-to-packed size ratio of an attached archive"
        case .attachmentListed: return "attachments whose hash is on the site's list"
        case .imagesDecoded: return "images decoded (attachments and inline parts)"
        case .imageOnly: return "the message is an image with little text"
        case .imageTextBytesPerImage: return "bytes of body text per decoded image"
        case .imageFailures: return "images that could not be decoded or were over the limits"
        case .recipientLanguageShare: return "share of the recipient's known mail written in this message's language"
        case .recipientLanguageSpamRate: return "spam rate of the recipient's mail in this message's language"
        case .campaignSenders: return "distinct senders of near-identical messages (one campaign) in the last hour or two"
        case .campaignRecipients: return "distinct recipients of near-identical messages (one campaign) in the last hour or two"
        }
    }
}
