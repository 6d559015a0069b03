import Foundation
import MailsiftCore
import MailsiftFiles
import MailsiftTraining

/// `mailsift campaigns`: how campaign fingerprints separate campaigns on labelled corpora (``CampaignStudy``).
public enum CampaignsCommand {
    public static func run(corpora: [String]) throws -> String {
        var messages: [CorpusMessage] = []
        for dir in corpora { messages += try CorpusReader.load(dir) }
        let analyzer = MessageAnalyzer()
        let items = ParallelMap.map(messages, progress: ProgressBar(title: "fingerprinting", total: messages.count), makeScratch: { () }) { m, _ in
            CampaignStudy.item(m, analyzer: analyzer)
        }.compactMap { $0 }
        var counts = CampaignStudy.measure(items)
        // The fingerprint's own cost, on one core, over analysed messages.
        let sample = messages.prefix(2_000).compactMap { try? analyzer.analyze($0.bytes) }
        let clock = ContinuousClock()
        var sink = 0
        let start = clock.now
        for a in sample { sink &+= CampaignFingerprint(a).text?.first.map(Int.init) ?? 0 }
        let elapsed = clock.now - start
        counts.microseconds = Double(elapsed.components.seconds) * 1e6 + Double(elapsed.components.attoseconds) / 1e12
        counts.microseconds /= Double(max(1, sample.count))
        return CampaignStudy.report(counts, messages: items.count) + (sink == 42 ? "" : "")
    }
}
