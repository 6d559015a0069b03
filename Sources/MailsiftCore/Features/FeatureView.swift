/// A named family of hashed features. Each view hashes with its own seed, so the same token in two views
/// is two features, and each can be switched off in ``FeatureConfiguration``.
public enum FeatureView: String, CaseIterable, Codable, Sendable, Hashable {
    /// Words and word bigrams of the normalised subject.
    case subjectWords = "subject_words"
    /// Words and word bigrams of the normalised body.
    case bodyWords = "body_words"
    /// Byte n-grams of the normalised subject and the start of the body.
    case charNGrams = "char_ngrams"
    /// Sender and Reply-To domains and their mismatch, Received hops, mailer, MIME structure, authentication
    /// verdicts, parse defects.
    case headers
    /// URL domains, TLDs, IP-literal hosts, shorteners, user-info tricks, anchor text naming another domain.
    case urls
    /// Attachment types (declared and sniffed), extensions, sizes.
    case attachments
    /// HTML structure: text-to-HTML ratio, images, forms, scripts, hidden text, tags inside words, and the
    /// normaliser's obfuscation counts.
    case html
    /// Byte n-grams of the header block as written (field names and raw values, without the fields other
    /// filters and mailbox files add): the TREC 2007 filters read the raw message's start the same way.
    case headerNGrams = "header_ngrams"
    /// Byte n-grams of the fields the sender's side wrote, without the trace fields that relays add (Received,
    /// Return-Path, authentication results, signatures: ``FeatureExtractor/isTraceField(_:)``) and with every
    /// digit written as 0: the shape of the mailer's header, not the names and addresses of the relays, which
    /// identify a corpus's source and period rather than spam (docs/generalisation.md).
    case headerShape = "header_shape"

    public var seed: UInt64 {
        switch self {
        case .subjectWords: return 0x5EB1_EC70
        case .bodyWords: return 0xB0D1_0001
        case .charNGrams: return 0xC4A2_0002
        case .headers: return 0x4EAD_0003
        case .urls: return 0x0041_0004
        case .attachments: return 0xA77A_0005
        case .html: return 0x47A1_0006
        case .headerNGrams: return 0x4E6A_0007
        case .headerShape: return 0x54A9_0008
        }
    }

    /// Words for explanations ("body word", "URL").
    public var label: String {
        switch self {
        case .subjectWords: return "subject word"
        case .bodyWords: return "body word"
        case .charNGrams: return "text fragment"
        case .headers: return "header"
        case .urls: return "URL"
        case .attachments: return "attachment"
        case .html: return "HTML"
        case .headerNGrams: return "header fragment"
        case .headerShape: return "header shape"
        }
    }
}
