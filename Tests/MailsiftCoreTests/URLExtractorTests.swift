import Testing
@testable import MailsiftCore

@Suite("URLs")
struct URLExtractorTests {
    @Test func findsURLsInText() {
        let urls = URLExtractor.extract(from: "Visit http://example.com/a?b=c, or (www.test.org). Mail mailto:x@y.org! See https://x.io/p_(1).")
        #expect(urls.map(\.url) == ["http://example.com/a?b=c", "www.test.org", "mailto:x@y.org", "https://x.io/p_(1)"])
        #expect(urls.map(\.host) == ["example.com", "www.test.org", "y.org", "x.io"])
    }

    @Test func hostTricks() {
        #expect(URLHost.parse("http://www.bank.com@203.0.113.9/login") == ("203.0.113.9", true, true))
        #expect(URLHost.parse("http://3232235777/x").isIPLiteral)
        #expect(URLHost.parse("http://0x7f.0.0.1/").isIPLiteral)
        #expect(URLHost.parse("http://%65vil.example:8080/").host == "evil.example")
        #expect(URLHost.parse("https://[2001:db8::1]/").host == "2001:db8::1")
        #expect(URLHost.parse("http:\\\\evil.example\\x").host == "evil.example")
        #expect(URLHost.parse("HTTP://Example.COM./").host == "example.com")
        #expect(!URLHost.isIPHost("0x.1"))
        #expect(!URLHost.isIPHost("1.2.3.0x"))
        #expect(URLHost.isIPHost("0x7f.0x1"))
    }

    /// A crafted link of megabytes is cut, so that no feature reading it costs time in proportion.
    @Test func hugeURLsAndHostsAreCut() {
        let long = ExtractedURL(url: "http://" + String(repeating: "x", count: 1_000_000), source: .href)
        #expect(long.truncated && long.url.utf8.count == ExtractedURL.maxURLBytes && long.host.utf8.count == ExtractedURL.maxHostBytes)
        // Cut on a scalar boundary.
        let wide = ExtractedURL(url: "http://a.example/" + String(repeating: "é", count: 5_000), source: .text)
        #expect(wide.truncated && wide.url.utf8.count <= ExtractedURL.maxURLBytes && wide.url.hasSuffix("é"))
        let plain = ExtractedURL(url: "http://bank.example/login", source: .href)
        #expect(!plain.truncated && plain.host == "bank.example")
    }
}
