import Foundation
import Testing
@testable import MailsiftCore

@Suite("Features")
struct FeatureTests {
    static let message = """
        From: "PayPal Security" <service@paypa1-secure.example>
        Reply-To: verify@other.example
        To: you@example.com
        Subject: Verify your account now
        Received: from unknown[192.0.2.7] by mx.example.net with ESMTP id 1; Mon, 1 Jan 2024 10:00:00 +0000
        Content-Type: text/html; charset=utf-8

        <p>Dear customer, your account is locked. <a href="http://192.0.2.7/login">www.paypal.com</a>
        V1agr@ <img src="http://bit.ly/x"></p>
        """.replacingOccurrences(of: "\n", with: "\r\n")

    @Test func namedFeaturesMatchTheHashedOnes() throws {
        let extractor = FeatureExtractor(configuration: .spam)
        let a = try extractor.analyze(Array(FeatureTests.message.utf8))
        var hashes: [UInt64] = []
        var ends: [Int] = []
        extractor.features(of: a, into: &hashes, viewEnds: &ends)
        let named = extractor.namedFeatures(of: a)
        #expect(Set(named.map(\.hash)) == Set(hashes))
        #expect(ends.count == FeatureView.allCases.count)
        let names = Set(named.map(\.name))
        for expected in ["replyto_mismatch", "ip_host", "shortener", "anchor_other_domain", "hop_no_rdns", "viagra", "verify your"] {
            #expect(names.contains(expected), "missing \(expected)")
        }
    }

    @Test func viewsCanBeSwitchedOff() throws {
        let all = FeatureExtractor(configuration: .spam)
        let noURLs = FeatureExtractor(configuration: FeatureConfiguration.spam.without(.urls))
        let a = try all.analyze(Array(FeatureTests.message.utf8))
        #expect(all.namedFeatures(of: a).contains { $0.view == .urls })
        #expect(!noURLs.namedFeatures(of: a).contains { $0.view == .urls })
    }

    @Test func indexerDeduplicatesAndNormalisesPerView() {
        var indexer = FeatureIndexer(bits: 10)
        let h: (UInt64) -> UInt64 = { $0 << 54 }
        var out = SparseFeatures()
        // View 1: rows 1, 2, 1 (two distinct); view 2: rows 2 (taken), 3, 4, 5, 6.
        indexer.features(of: [h(1), h(2), h(1), h(2), h(3), h(4), h(5), h(6)], viewEnds: [3, 8], normalize: true, into: &out)
        #expect(out.rows == [1, 2, 3, 4, 5, 6])
        #expect(out.values[0] == 1 / Float(2).squareRoot())
        #expect(out.values[2] == 0.5)
        // The scratch bit set is clean again: the same input gives the same output.
        var again = SparseFeatures()
        indexer.features(of: [h(1), h(2), h(1), h(2), h(3), h(4), h(5), h(6)], viewEnds: [3, 8], normalize: true, into: &again)
        #expect(again == out)
    }

    @Test func registrableDomains() {
        #expect(DomainName.registrable("mail.google.com") == "google.com")
        #expect(DomainName.registrable("www.bbc.co.uk") == "bbc.co.uk")
        #expect(DomainName.registrable("Example.COM.") == "example.com")
        #expect(DomainName.registrable("localhost") == "localhost")
        #expect(DomainName.isShortener("bit.ly"))
    }
}
