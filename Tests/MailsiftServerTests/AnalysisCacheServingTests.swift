import Foundation
import MailsiftCore
import MailsiftTestKit
import Testing

@testable import MailsiftServer

/// The server analyses a campaign's copies once: the second copy, to another recipient, is a cache hit in the metrics,
/// and gets the same verdict; with `analysis_cache_entries: 0` nothing is cached.
@Suite struct AnalysisCacheServingTests {
    @Test(arguments: [10_000, 0]) func aCopyIsAHit(entries: Int) async throws {
        let server = Fixture.server { $0.analysisCacheEntries = entries }
        let phishing = try String(contentsOf: TestPaths.repositoryRoot.appendingPathComponent("examples/phishing.eml"), encoding: .utf8)
        let first = try await server.service.classify(Array(phishing.utf8), envelope: Envelope(recipients: ["alice@example.org"]), reasons: 8)
        let copy = try await server.service.classify(Array(phishing.utf8), envelope: Envelope(recipients: ["bob@example.org"]), reasons: 8)
        #expect(first.probability == copy.probability && first.action == copy.action)
        let metrics = String(decoding: server.metrics.render(), as: UTF8.self)
        #expect(metrics.contains("mailsift_analysis_cache_lookups_total{result=\"hit\"} \(entries > 0 ? 1 : 0)"))
        #expect((server.service.analysisCache == nil) == (entries == 0))
    }
}
