/// The pipeline every later stage shares: parse, HTML to text, URL extraction, normalisation, tokenisation.
public struct MessageAnalyzer: Sendable {
    public var parser: MessageParser
    public var html: HTMLTextExtractor
    public var normalizer: TextNormalizer
    public var tokenizer: Tokenizer
    /// Most body text normalised and tokenised, in bytes (the start of a message carries its content).
    public var maxTextBytes: Int
    /// Whether ``analyze(_:)`` hashes subject and body into ``AnalyzedMessage/features`` (a caller that
    /// hashes the texts its own way, as ``FeatureExtractor`` does, turns this off).
    public var hashesText = true
    /// Whether word salad (``WordSalad``) is taken out of the normalised body.
    public var removesWordSalad = true
    /// Inspects attachments (their content type, archives, macros, PDF actions, hashes) into
    /// ``AnalyzedMessage/attachments``; nil: attachments are judged by their names and first bytes only.
    public var attachmentInspector: (any AttachmentInspector)?
    /// Decodes images (attachments and inline parts) for their perceptual hash into ``AnalyzedMessage/images``;
    /// nil: images are not decoded.
    public var imageDecoder: (any ImageDecoder)?
    public var imageLimits = ImageLimits()
    /// Images decoded per message (others are counted, not decoded).
    public static let maximumImages = 8
    /// Detects the language of the visible text (subject and body, the first ``maximumLanguageBytes``) into
    /// ``AnalyzedMessage/language``; nil: no language is detected.
    public var languageDetector: (any LanguageDetector)?
    /// Bytes of text the language is detected from. CLD2's time grows with the text (about 22 ns a byte: 2,048 bytes
    /// took 45 us a message, a 0.59x on `bench classify`); its accuracy on 512 characters is 98.1%, on 1,024 99.0%
    /// (scripts/language-eval.sh, docs/content.md).
    public static let maximumLanguageBytes = 512
    /// Analyses of earlier messages with the same content (``AnalysisCache``); nil: every message is analysed.
    public var cache: AnalysisCache?
    /// Attachments inspected per message, and the decoded bytes read of each.
    public static let maximumAttachments = 16
    public static let maximumAttachmentBytes = 16 << 20

    /// Names what the analysis reads, for model versions: a model trained after a change here is another model
    /// even from the same data and options (2026-12-07: authentication fields only when trusted; then
    /// registrable domains from the Public Suffix List, ``DomainName/use(_:)``, where the process has it; 2026-12-08:
    /// an HTML part is left unread only where a plain alternative of its own multipart/alternative stands for it,
    /// ``Message/bodyTextPartsByAlternative``).
    public static var revision: String { DomainName.usesPublicSuffixList ? "text-alternatives" : "text-alternatives approximate-domains" }

    public static let subjectSeed: UInt64 = 0x5EB1EC7
    public static let bodySeed: UInt64 = 0xB0D1

    public init(
        parser: MessageParser = MessageParser(), html: HTMLTextExtractor = HTMLTextExtractor(),
        normalizer: TextNormalizer = TextNormalizer(), tokenizer: Tokenizer = Tokenizer(), maxTextBytes: Int = 256 << 10
    ) {
        self.parser = parser
        self.html = html
        self.normalizer = normalizer
        self.tokenizer = tokenizer
        self.maxTextBytes = maxTextBytes
    }

    /// Parses and analyses a message, with only the authentication results `trust` believes left in it
    /// (``AuthenticationTrust``; by default none).
    public func analyze(_ bytes: [UInt8], trust: AuthenticationTrust = .none, lists: ListClaim.Reading = .corroborated) throws(ParseError) -> AnalyzedMessage {
        analyze(try parser.parse(bytes), trust: trust, lists: lists)
    }

    /// The same for a message already parsed (and perhaps changed: ``ReplyClaim/discounted(_:)``).
    public func analyze(_ parsed: Message, trust: AuthenticationTrust = .none, lists: ListClaim.Reading = .corroborated) -> AnalyzedMessage {
        analyze(trust.judged(parsed), lists: lists)
    }

    /// The same for a message already judged (a caller that needed the judged message first: `serve`). Its list
    /// fields are read as `lists` says (``ListClaim``; by default only when the envelope sender, `envelopeSender` or
    /// else the Return-Path, corroborates the list).
    public func analyze(_ judgement: AuthenticationTrust.Judgement, lists: ListClaim.Reading = .corroborated, envelopeSender: String? = nil) -> AnalyzedMessage {
        guard lists != .asWritten, case let claim = ListClaim(judgement.message), !claim.counts(in: judgement.message, reading: lists, envelopeSender: envelopeSender) else {
            return analyzeReading(judgement)
        }
        var j = judgement
        let removed: [HeaderField]
        (j.message, removed) = ListClaim.discounted(j.message)
        var a = analyzeReading(j)
        a.listDiscounted = true
        a.discountedListFields = removed
        return a
    }

    func analyzeReading(_ judgement: AuthenticationTrust.Judgement) -> AnalyzedMessage {
        guard let cache else { return analyzeContent(judgement) }
        let now = ContinuousClock.now
        let key = AnalysisCache.key(judgement.message, settings: settingsKey)
        if let e = cache.entry(key, now: now) {
            var message = judgement.message
            if e.hiddenHTMLText { message.flags.insert(.hiddenHTMLText) }
            var a = AnalyzedMessage(
                message: message, bodyText: e.bodyText, hasPlainText: e.hasPlainText, hiddenText: e.hiddenText, urls: e.urls, html: e.html,
                normalizedSubject: e.normalizedSubject, normalizedBody: e.normalizedBody, features: e.features, wordSaladWords: e.wordSaladWords,
                ignoredAuthentication: judgement.ignored, claimedAuthenticationPasses: judgement.claimedPasses)
            a.attachments = e.attachments
            a.images = e.images
            a.language = e.language
            return a
        }
        let a = analyzeContent(judgement)
        cache.keep(.init(
            bodyText: a.bodyText, hasPlainText: a.hasPlainText, hiddenText: a.hiddenText, urls: a.urls, html: a.html,
            normalizedSubject: a.normalizedSubject, normalizedBody: a.normalizedBody, features: a.features, wordSaladWords: a.wordSaladWords,
            attachments: a.attachments, images: a.images, language: a.language, hiddenHTMLText: a.message.flags.contains(.hiddenHTMLText) && !judgement.message.flags.contains(.hiddenHTMLText)),
            for: key, now: now)
        return a
    }

    /// What decides the analysis besides the message: the settings a cached analysis must share.
    var settingsKey: UInt64 {
        var bits: UInt64 = 0
        if hashesText { bits |= 1 }
        if removesWordSalad { bits |= 2 }
        if attachmentInspector != nil { bits |= 4 }
        if imageDecoder != nil { bits |= 8 }
        if languageDetector != nil { bits |= 16 }
        return bits &* 0x9E37_79B9_7F4A_7C15 ^ UInt64(maxTextBytes)
    }

    func analyzeContent(_ judgement: AuthenticationTrust.Judgement) -> AnalyzedMessage {
        var message = judgement.message
        var body = ""
        var hidden = ""
        var urls: [ExtractedURL] = []
        var stats = HTMLStats()
        let parts = message.bodyTextPartsByAlternative
        let hasPlain = parts.contains { $0.part.contentType.subtype == "plain" }
        // What a client shows: every text part, except an HTML alternative that a plain alternative of the same
        // multipart/alternative stands for. Its links, hidden text and structure still count.
        for (part, plainAlternative) in parts {
            guard let text = part.text else { continue }
            if part.contentType.subtype == "html" {
                let extracted = html.extract(text)
                urls.append(contentsOf: extracted.links)
                urls.append(contentsOf: URLExtractor.extract(from: extracted.visibleText))
                if !extracted.hiddenText.isEmpty {
                    hidden += extracted.hiddenText + "\n"
                    message.flags.insert(.hiddenHTMLText)
                }
                stats.add(extracted.stats)
                if !plainAlternative { body += extracted.visibleText + "\n" }
            } else {
                urls.append(contentsOf: URLExtractor.extract(from: text))
                body += text + "\n"
            }
        }
        if body.utf8.count > maxTextBytes {
            body = String(decoding: body.utf8.prefix(maxTextBytes), as: UTF8.self)
        }
        let subject = normalizer.normalize(message.subject ?? "")
        var normalizedBody = normalizer.normalize(body)
        var salad = 0
        if removesWordSalad {
            (normalizedBody.text, salad) = WordSalad.removed(from: normalizedBody.text)
        }
        var features: [UInt64] = []
        if hashesText {
            features.reserveCapacity(normalizedBody.text.utf8.count * 2 + 64)
            tokenizer.hash(subject.text, seed: MessageAnalyzer.subjectSeed, into: &features)
            tokenizer.hash(normalizedBody.text, seed: MessageAnalyzer.bodySeed, into: &features)
        }
        var a = AnalyzedMessage(
            message: message, bodyText: body, hasPlainText: hasPlain, hiddenText: hidden, urls: urls, html: stats,
            normalizedSubject: subject, normalizedBody: normalizedBody, features: features, wordSaladWords: salad,
            ignoredAuthentication: judgement.ignored, claimedAuthenticationPasses: judgement.claimedPasses
        )
        if attachmentInspector != nil || imageDecoder != nil {
            (a.attachments, a.images) = inspectParts(of: message)
        }
        if let languageDetector { a.language = Self.language(subject: message.subject ?? "", body: body, languageDetector) }
        return a
    }

    /// The language and script of a subject and body: the first ``maximumLanguageBytes`` of both (a character cut
    /// in two at the end becomes U+FFFD, which is no letter). Plain English (``PlainEnglish``) is not given to the
    /// detector.
    public static func language(subject: String, body: String, _ detector: any LanguageDetector) -> LanguageGuess {
        var text = String(decoding: subject.utf8.prefix(maximumLanguageBytes / 4), as: UTF8.self) + "\n"
        text += String(decoding: body.utf8.prefix(maximumLanguageBytes - text.utf8.count), as: UTF8.self)
        let census = ScriptCensus(text)
        let d = PlainEnglish.matches(text, census: census)
            ? LanguageDetection(language: "en", percent: 100, reliable: true, letters: census.letters) : detector.detect(text)
        return LanguageGuess(language: d.language, percent: d.percent, reliable: d.reliable, script: census.dominant, scripts: census.significant)
    }

    /// The attachments inspected and the images decoded, each part's body decoded once for both (an attached image
    /// is both). Past ``maximumAttachments`` and ``maximumImages`` parts are not decoded; such images are reported
    /// as not decoded.
    func inspectParts(of message: Message) -> (attachments: [AttachmentReport]?, images: [ImageReport]?) {
        var attachments: [AttachmentReport] = [], images: [ImageReport] = []
        for leaf in message.leaves {
            let isImage = imageDecoder != nil && (leaf.contentType.type == "image" || leaf.sniffedType?.hasPrefix("image/") == true)
            let inspected = attachmentInspector != nil && leaf.isAttachment && attachments.count < MessageAnalyzer.maximumAttachments
            let decoded = isImage && images.count < MessageAnalyzer.maximumImages
            if isImage && !decoded {
                var skipped = ImageReport(bytes: leaf.decodedSize)
                skipped.failure = "not decoded: more than \(MessageAnalyzer.maximumImages) images"
                images.append(skipped)
            }
            guard inspected || decoded else { continue }
            let bytes = message.decodedBody(of: leaf, limit: MessageAnalyzer.maximumAttachmentBytes)
            if inspected, let inspector = attachmentInspector { attachments.append(inspector.inspect(bytes, filename: leaf.filename)) }
            if decoded, let decoder = imageDecoder { images.append(image(bytes, decoder)) }
        }
        return (attachmentInspector == nil ? nil : attachments, imageDecoder == nil ? nil : images)
    }

    func image(_ bytes: [UInt8], _ decoder: any ImageDecoder) -> ImageReport {
        var report = ImageReport(bytes: bytes.count)
        report.format = ImageFormat(bytes)
        guard report.format != nil else {
            report.failure = ImageFailure.unsupported.description
            return report
        }
        switch decoder.decode(bytes, limits: imageLimits) {
        case .success(let (image, frames)):
            (report.width, report.height, report.frames) = (image.width, image.height, frames)
            report.phash = PerceptualHash.hash(image)
        case .failure(let why):
            report.failure = why.description
        }
        return report
    }
}

extension HTMLStats {
    mutating func add(_ o: HTMLStats) {
        tags += o.tags
        images += o.images
        links += o.links
        forms += o.forms
        scripts += o.scripts
        iframes += o.iframes
        comments += o.comments
        hiddenElements += o.hiddenElements
        tagsInsideWords += o.tagsInsideWords
        htmlBytes += o.htmlBytes
        visibleTextBytes += o.visibleTextBytes
    }
}
