import CCLD2
import MailsiftCore

/// The ``LanguageDetector`` port answered by CLD2 (Compact Language Detector 2, Debian libcld2-dev) with its full
/// tables (libcld2_full: 160 languages; libcld2 alone has 83). Chosen over libexttextcat (n-gram profiles: on the
/// same 10,501 texts in 26 languages, 77% right against CLD2's 93%, at 18 to 20 times the time per text; docs/content.md,
/// scripts/language-eval.sh) and over a model trained here (CLD2's tables come from a web crawl of every language it
/// names; we have no such corpus).
/// Thread-safe: CLD2 keeps no state between calls.
public struct CLD2LanguageDetector: LanguageDetector {
    public init() {}

    public func detect(_ text: String) -> LanguageDetection {
        var result = mailsift_cld2_result()
        var text = text
        let status = text.withUTF8 { b in
            b.withMemoryRebound(to: CChar.self) { c in
                mailsift_cld2_detect(c.baseAddress, Int32(clamping: c.count), 1, &result)
            }
        }
        guard status == 0 else { return .unknown }
        let code = withUnsafeBytes(of: result.codes.0) { String(decoding: $0.prefix { $0 != 0 }, as: UTF8.self) }
        return LanguageDetection(language: Self.currentCodes[code] ?? code, percent: Int(result.percents.0), reliable: result.reliable != 0, letters: Int(result.text_bytes))
    }

    /// CLD2 writes some languages with ISO 639-1 codes withdrawn in 1989: today's codes instead.
    static let currentCodes = ["iw": "he", "jw": "jv", "in": "id", "ji": "yi"]

    /// CLD2's version and the date of its tables.
    public static var version: String { String(cString: mailsift_cld2_version()) }

    /// Whether the full tables (160 languages) answer, not libcld2's own 83: Esperanto is only in the full ones.
    public static var hasFullTables: Bool {
        CLD2LanguageDetector().detect(
            "La kato sidas sur la tapiŝo kaj rigardas la birdojn en la ĝardeno. Esperanto estas internacia lingvo."
        ).language == "eo"
    }
}
