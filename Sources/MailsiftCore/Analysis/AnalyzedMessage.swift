/// A message as the later stages read it: parsed, its text extracted, normalised and hashed.
public struct AnalyzedMessage: Sendable {
    public var message: Message
    /// Body text: the text/plain parts, and the visible text of HTML parts that have no plain twin.
    public var bodyText: String
    /// Whether the body has a text/plain part (else its text comes from HTML).
    public var hasPlainText: Bool
    /// Hidden HTML text across parts.
    public var hiddenText: String
    /// Every URL, from text and from HTML attributes.
    public var urls: [ExtractedURL]
    /// Structure of the HTML parts, summed.
    public var html: HTMLStats
    public var normalizedSubject: NormalizedText
    public var normalizedBody: NormalizedText
    /// Hashed features of subject and body (namespaced apart).
    public var features: [UInt64]
    /// Words of word salad taken out of ``normalizedBody`` (``WordSalad``); ``bodyText`` keeps them.
    public var wordSaladWords = 0
    /// The attachments inspected (``MessageAnalyzer/attachmentInspector``); nil when none was.
    public var attachments: [AttachmentReport]?
    /// The images decoded (``MessageAnalyzer/imageDecoder``), attachments and inline parts; nil when none was.
    public var images: [ImageReport]?
    /// The language and script of the visible text (``MessageAnalyzer/languageDetector``); nil when not detected.
    public var language: LanguageGuess?

    /// The links inside attached documents (PDFs' `/URI` actions), with the attachment inspector on: the rules'
    /// `url_domain` test reads them beside ``urls``; the models do not (they were trained without them). A link with
    /// a space in it is no URL and is left out.
    public var attachmentURLs: [ExtractedURL] {
        (attachments ?? []).flatMap { $0.pdf?.links ?? [] }.filter { !$0.contains(" ") }.map { ExtractedURL(url: $0, source: .attachment) }
    }

    /// A message that is mostly a picture: an image, and fewer than ``imageOnlyWords`` words of text.
    public var isImageOnly: Bool {
        guard let images, images.contains(where: { $0.phash != nil }) else { return false }
        return normalizedBody.text.split(whereSeparator: { $0 == " " || $0 == "\n" }).count < AnalyzedMessage.imageOnlyWords
    }

    public static let imageOnlyWords = 20
    /// `Authentication-Results` and `Received-SPF` fields the analysis took out as not trusted
    /// (``AuthenticationTrust``), and the passes they claimed (`spf=pass`, `dkim=pass`...).
    public var ignoredAuthentication = 0
    public var claimedAuthenticationPasses: [String] = []
    /// The message claimed to be a reply to mail the site does not know, and was analysed without the claim
    /// (``ReplyClaim/discounted(_:)``).
    public var replyDiscounted = false
    /// The message carried list fields that nothing corroborated (``ListClaim``), and was analysed without them
    /// (``ListClaim/discounted(_:)``).
    public var listDiscounted = false
    /// The list fields a discounted claim lost: the sender keys (``SenderKeys``) still name the list's stream, as
    /// `serve`'s do from the message as written.
    public var discountedListFields: [HeaderField] = []
}
