import Foundation
import Testing
@testable import MailsiftFiles
import MailsiftTestKit
@testable import MailsiftCore

/// Every message of `../shared/corpus` must parse (or fail with a typed error) and go through the whole pipeline.
@Suite("Shared corpus", .enabled(if: TestSupport.corpusRoot != nil, "../shared/corpus is not present"))
struct CorpusTests {
    @Test(arguments: ["spamassassin", "csdmc2010", "nazario_phishing", "20news_bydate"])
    func everyMessageParses(corpus: String) throws {
        let dir = TestSupport.corpusRoot!.appendingPathComponent(corpus).path
        let messages = try CorpusReader.load(dir)
        #expect(!messages.isEmpty)
        let analyzer = MessageAnalyzer()
        var failures: [String] = []
        for m in messages {
            do {
                let a = try analyzer.analyze(m.bytes)
                // Structure invariants: ranges lie in the message, depth grows by one per level.
                a.message.root.walk { part in
                    if part.bodyRange.upperBound > m.bytes.count || part.bodyRange.lowerBound < 0 { failures.append(m.id + ": range") }
                    for child in part.children where child.depth != part.depth + 1 { failures.append(m.id + ": depth") }
                }
            } catch {
                failures.append("\(m.id): \(error)")
            }
        }
        #expect(failures.isEmpty, "\(failures.prefix(10))")
    }
}
