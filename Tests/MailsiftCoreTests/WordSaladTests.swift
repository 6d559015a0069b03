import Foundation
import Testing

@testable import MailsiftCore

@Suite struct WordSaladTests {
    static let salad = (0..<40).map { ["wrote", "listinfo", "mailman", "linux", "debian", "thanks"][$0 % 6] }.joined(separator: " ")

    @Test func aRunOfBareWordsIsTakenOutWhereverItIs() {
        let spam = "buy cheap pills now, limited offer!\n"
        for text in [spam + Self.salad, Self.salad + "\n" + spam, spam + Self.salad.replacingOccurrences(of: "linux ", with: "linux\n") + "\nbye."] {
            // A run goes on across a line break: the payload's first bare words ("buy cheap pills") join a salad
            // just before them.
            let (out, words) = WordSalad.removed(from: text)
            #expect((40...43).contains(words), "\(text)")
            #expect(out.contains("now, limited offer!") && !out.contains("mailman"), "\(out)")
        }
    }

    @Test func proseAndShortRunsStay() {
        let prose = """
            Hi Bob, the minutes are attached below. We agreed to move the release to Friday, and Carol will write
            the notes for the next meeting; if anything is missing, tell me before Thursday so that I can fix it in
            time for the review with the whole team and the customer who asked for it last week.
            """
        #expect(WordSalad.removed(from: prose).words == 0)
        // 29 bare words, then a blank line, then 29 more: two runs under the limit.
        let short = Array(repeating: "word", count: 29).joined(separator: " ")
        #expect(WordSalad.removed(from: short + "\n\n" + short).words == 0)
        #expect(WordSalad.removed(from: short + " " + short).words == 58)
        // Digits, URLs and punctuation break a run.
        let mixed = (0..<60).map { $0 % 10 == 9 ? "v2" : "word" }.joined(separator: " ")
        #expect(WordSalad.removed(from: mixed).words == 0)
    }

    @Test func lettersOfOtherScriptsAreLettersAndCJKPunctuationIsNot() {
        let cyrillic = Array(repeating: "привет", count: 35).joined(separator: " ")
        #expect(WordSalad.removed(from: cyrillic).words == 35)
        let cjk = Array(repeating: "会议纪要，", count: 40).joined(separator: " ")
        #expect(WordSalad.removed(from: cjk).words == 0)
        #expect(WordSalad.removed(from: "").words == 0)
    }

    /// The analyser reads the text without the salad and counts it; the body text keeps it.
    @Test func theAnalyserLeavesTheSaladOutOfTheTextModels() throws {
        let bytes = Array("From: a@b.example\r\nSubject: offer\r\n\r\nBuy cheap pills now.\r\n\(Self.salad)\r\n".utf8)
        let a = try MessageAnalyzer().analyze(bytes)
        #expect(a.wordSaladWords == 40 && !a.normalizedBody.text.contains("mailman") && a.bodyText.contains("mailman"))
        var off = MessageAnalyzer()
        off.removesWordSalad = false
        #expect(try off.analyze(bytes).normalizedBody.text.contains("mailman"))
    }
}
