import Testing

@testable import MailsiftCore

/// The analysis cache: a copy of a message to another recipient, through other relays, is analysed from the cache and
/// keeps its own header fields; another subject, body or setting is analysed anew; entries expire.
@Suite struct AnalysisCacheTests {
    static func message(to: String, relay: String, subject: String = "Your parcel", body: String = "Pay the customs fee of 2.99 at http://parcel.example/pay to release it.") -> [UInt8] {
        Array("""
            Received: from \(relay) ([198.51.100.7]) by mx.example.org; Mon, 3 Mar 2025 10:00:00 +0000\r
            From: Parcel Service <service@parcel.example>\r
            To: \(to)\r
            Subject: \(subject)\r
            Content-Type: text/html\r
            \r
            <p>\(body)</p><div style="display:none">hidden words</div>\r

            """.utf8)
    }

    @Test func aCopyIsAnalysedOnceAndKeepsItsOwnHeaders() throws {
        let cache = AnalysisCache()
        var analyzer = MessageAnalyzer()
        analyzer.cache = cache
        let first = try analyzer.analyze(Self.message(to: "alice@example.org", relay: "a.example"))
        let copy = try analyzer.analyze(Self.message(to: "bob@example.org", relay: "b.example"))
        #expect(cache.hits == 1 && cache.misses == 1)
        let fresh = try MessageAnalyzer().analyze(Self.message(to: "bob@example.org", relay: "b.example"))
        #expect(copy.features == fresh.features && copy.urls == fresh.urls && copy.normalizedBody.text == fresh.normalizedBody.text)
        #expect(copy.hiddenText == fresh.hiddenText && copy.message.flags == fresh.message.flags)
        #expect(copy.message.headers["to"] == "bob@example.org" && first.message.headers["to"] == "alice@example.org")
        // Another subject or body is another analysis.
        _ = try analyzer.analyze(Self.message(to: "bob@example.org", relay: "b.example", subject: "Your parcel!"))
        _ = try analyzer.analyze(Self.message(to: "bob@example.org", relay: "b.example", body: "Pay the fee of 3.99 to release it."))
        #expect(cache.hits == 1 && cache.misses == 3)
        // Another setting of the analyser is another key.
        var other = analyzer
        other.removesWordSalad = false
        _ = try other.analyze(Self.message(to: "carol@example.org", relay: "c.example"))
        #expect(cache.misses == 4)
    }

    @Test func entriesExpire() throws {
        let cache = AnalysisCache(ttl: .zero)
        var analyzer = MessageAnalyzer()
        analyzer.cache = cache
        for to in ["a@example.org", "b@example.org"] { _ = try analyzer.analyze(Self.message(to: to, relay: "r.example")) }
        #expect(cache.hits == 0 && cache.misses == 2)
    }
}
