import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import MailsiftCore
import MailsiftLanguage
import MailsiftTestKit
import NIOCore
import Testing

@testable import MailsiftServer

/// Language detection with Debian's CLD2, through the analysis and the server.
@Suite struct LanguageTests {
    /// Text in each language (a sentence or two of ordinary prose, as mail has), and the code CLD2 gives it.
    static let samples: [(code: String, text: String)] = [
        ("en", "Please find attached the minutes of Tuesday's meeting. We agreed to move the release to the second week of March."),
        ("de", "Anbei das Protokoll der Sitzung vom Dienstag. Wir haben vereinbart, die Veröffentlichung auf die zweite Märzwoche zu verschieben."),
        ("fr", "Vous trouverez ci-joint le compte rendu de la réunion de mardi. Nous avons convenu de reporter la sortie à la deuxième semaine de mars."),
        ("es", "Adjunto el acta de la reunión del martes. Acordamos trasladar el lanzamiento a la segunda semana de marzo, cuando estén las traducciones."),
        ("it", "In allegato il verbale della riunione di martedì. Abbiamo deciso di spostare il rilascio alla seconda settimana di marzo."),
        ("nl", "In de bijlage vindt u de notulen van de vergadering van dinsdag. We hebben afgesproken de release naar de tweede week van maart te verplaatsen."),
        ("pl", "W załączeniu protokół z wtorkowego spotkania. Uzgodniliśmy przesunięcie wydania na drugi tydzień marca, po zakończeniu tłumaczeń."),
        ("ru", "Во вложении протокол совещания во вторник. Мы договорились перенести выпуск на вторую неделю марта, когда будут готовы переводы."),
        ("uk", "У вкладенні протокол наради у вівторок. Ми домовилися перенести випуск на другий тиждень березня, коли будуть готові переклади."),
        ("el", "Σας επισυνάπτω τα πρακτικά της συνάντησης της Τρίτης. Συμφωνήσαμε να μεταφέρουμε την κυκλοφορία στη δεύτερη εβδομάδα του Μαρτίου."),
        ("ja", "火曜日の会議の議事録を添付します。翻訳が揃ってから、リリースを三月の第二週に延期することで合意しました。"),
        ("zh", "附件是星期二会议的纪要。我们同意在翻译完成之后，把发布推迟到三月的第二个星期。请在星期五之前提出意见。"),
        ("ko", "화요일 회의록을 첨부합니다. 번역이 끝난 뒤 출시를 삼월 둘째 주로 미루기로 합의했습니다. 의견은 금요일까지 보내 주세요."),
        ("ar", "مرفق محضر اجتماع يوم الثلاثاء. اتفقنا على تأجيل الإصدار إلى الأسبوع الثاني من شهر مارس بعد الانتهاء من الترجمات."),
        ("he", "מצורף הפרוטוקול של הישיבה ביום שלישי. סיכמנו לדחות את ההשקה לשבוע השני של מרץ, אחרי שהתרגומים יהיו מוכנים."),
        ("tr", "Salı günkü toplantının tutanağı ektedir. Çeviriler tamamlandıktan sonra sürümü mart ayının ikinci haftasına ertelemeye karar verdik."),
    ]

    @Test func cld2NamesTheLanguageOfEachSample() {
        #expect(CLD2LanguageDetector.hasFullTables, "libcld2_full's tables must take the place of libcld2's (link order in Package.swift)")
        let detector = CLD2LanguageDetector()
        for (code, text) in Self.samples {
            let d = detector.detect(text)
            #expect(d.language == code, "\(code): \(d)")
            #expect(d.reliable, "\(code): \(d)")
        }
        // No letters, or bytes that are not UTF-8 after a cut: unknown, never a crash.
        #expect(detector.detect("").language == "un")
        #expect(detector.detect("1234 5678 !!! ---").reliable == false)
    }

    /// The analysis' plain-English path (not asking CLD2) takes an English letter, and none of the other samples, each
    /// four times over so that it is long enough to be judged; where it fires, CLD2 says English too.
    @Test func plainEnglishIsOnlyEverEnglish() {
        let detector = CLD2LanguageDetector()
        #expect(PlainEnglish.matches(Self.english, census: ScriptCensus(Self.english)))
        #expect(detector.detect(Self.english).language == "en")
        for (code, text) in Self.samples where code != "en" {
            let long = Array(repeating: text, count: 4).joined(separator: " ")
            #expect(!PlainEnglish.matches(long, census: ScriptCensus(long)), "\(code)")
        }
        // A few English words in another language's text do not make it English.
        let dutch = "Dit is de notulen van de vergadering. The meeting was goed, and we hebben afgesproken dat de release naar maart gaat. "
        #expect(!PlainEnglish.matches(dutch + dutch, census: ScriptCensus(dutch + dutch)))
    }

    @Test func theAnalysisGivesLanguageAndScript() throws {
        var analyzer = MessageAnalyzer()
        analyzer.languageDetector = CLD2LanguageDetector()
        func message(_ subject: String, _ body: String) throws -> AnalyzedMessage {
            let raw = "From: a@example.org\r\nTo: b@example.org\r\nSubject: \(subject)\r\nMIME-Version: 1.0\r\n"
                + "Content-Type: text/plain; charset=utf-8\r\nContent-Transfer-Encoding: 8bit\r\n\r\n\(body)\r\n"
            return try analyzer.analyze(Array(raw.utf8))
        }
        let ru = try message("=?utf-8?b?0J/RgNC+0YLQvtC60L7Quw==?=", Self.samples[7].text)
        #expect(ru.language?.known == "ru")
        #expect(ru.language?.script == "Cyrl")
        #expect(ru.language?.scripts == 1)
        let ja = try message("会議", Self.samples[10].text)
        #expect(ja.language?.known == "ja")
        #expect(ja.language?.script == "Jpan")
        // A Latin text with Cyrillic look-alikes in half its words: English to CLD2, two scripts to the census.
        let mixed = try message("Account", "Yоur аccоunt hаs bееn suspеnded. Plеаse vеrify yоur dеtаils tоdаy tо rеstоre full аccеss.")
        #expect(mixed.language?.scripts == 2, "\(String(describing: mixed.language))")
        // Without a detector, no language.
        #expect(try MessageAnalyzer().analyze(Array("From: a@example.org\r\n\r\nHello there\r\n".utf8)).language == nil)
    }

    static func server(language: Bool) -> Server {
        var c = ServerConfiguration()
        c.language = language
        c.port = 0
        c.watchSeconds = 0
        c.latencyBudgetMilliseconds = 10_000
        return Server(configuration: c, model: Fixture.model, logger: Fixture.logger)
    }

    static func mail(_ n: Int, body: String, subject: String) -> String {
        "From: Colleague \(n) <c\(n)@partner-\(n).example>\r\nTo: alice@example.org\r\nSubject: \(subject)\r\n"
            + "Message-ID: <m\(n)@partner-\(n).example>\r\nMIME-Version: 1.0\r\nContent-Type: text/plain; charset=utf-8\r\n"
            + "Content-Transfer-Encoding: 8bit\r\n\r\n\(body)\r\n"
    }

    static let english = """
        Hi Alice, please find attached the minutes of Tuesday's meeting. We agreed to move the release to the second week \
        of March, after the translations are in and the installer has been tested on the older machines. Comments before \
        Friday, please. Thanks, and see you at the review next week.
        """
    static let russian = """
        Здравствуйте! Во вложении протокол совещания во вторник. Мы договорились перенести выпуск на вторую неделю марта, \
        когда будут готовы переводы и установщик будет проверен на старых машинах. Замечания присылайте до пятницы.
        """

    /// Mail the recipient gets in English builds its language profile (in the sender state, from confident verdicts);
    /// a message in Russian is then named as unusual for it, and not for a recipient without a profile. The verdict
    /// carries the language either way; with `language: false`, neither.
    @Test(arguments: [true, false]) func aLanguageTheRecipientNeverGetsIsNamed(language: Bool) async throws {
        let server = Self.server(language: language)
        try await server.application().test(.router) { client in
            for n in 1...14 {
                try await client.execute(
                    uri: "/v1/classify", method: .post, headers: [.init("X-Envelope-To")!: "alice@example.org"],
                    body: ByteBuffer(string: Self.mail(n, body: Self.english, subject: "Minutes \(n)"))
                ) { r in
                    let json = Fixture.json(r.body)
                    #expect((json["probability"] as? Double ?? 1) <= 0.2, "a confident ham verdict teaches the profile")
                    #expect(((json["language"] as? [String: Any])?["code"] as? String) == (language ? "en" : nil))
                }
            }
            for (recipient, unusual) in [("alice@example.org", language), ("bob@example.org", false)] {
                try await client.execute(
                    uri: "/v1/classify", method: .post, headers: [.init("X-Envelope-To")!: recipient],
                    body: ByteBuffer(string: Self.mail(99, body: Self.russian, subject: "Протокол"))
                ) { r in
                    let json = Fixture.json(r.body)
                    let features = (json["reasons"] as? [[String: Any]])?.compactMap { $0["feature"] as? String } ?? []
                    #expect(features.contains("language_unusual") == unusual, "\(recipient): \(features)")
                    let detected = json["language"] as? [String: Any]
                    #expect((detected?["code"] as? String) == (language ? "ru" : nil))
                    #expect((detected?["script"] as? String) == (language ? "Cyrl" : nil))
                }
            }
        }
        // The profile as the sender state holds it: all of alice's known mail is English.
        var state = SenderState()
        let now = Int64(Date().timeIntervalSince1970)
        await server.service.learning.observeContent(
            campaigns: nil, languageProfile: SenderKeys.languageProfile(language: "en", recipients: ["alice@example.org"]), into: &state, at: now)
        if language {
            #expect(state.languageShare.map { $0 > 0.99 } == true, "\(state.reputations)")
        } else {
            #expect(state.languageShare == nil)
        }
    }
}
