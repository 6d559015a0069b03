import Foundation
import Testing

@testable import MailsiftCore

/// Campaign fingerprints: one campaign's variants match (another recipient's name, another tracking query, the
/// text obfuscated), distinct mail does not, and short text gets no text signature.
@Suite struct CampaignFingerprintTests {
    let analyzer = MessageAnalyzer()

    static let campaign = """
        Dear NAME, our records show that your mailbox storage is almost full. To keep receiving messages you must \
        verify your account within 24 hours. Click the secure link below and sign in with your current password to \
        confirm your identity. Accounts that are not verified will be suspended and all stored mail will be deleted \
        permanently. Thank you for your cooperation, the Mail Administration Team.
        """

    func message(subject: String, body: String, link: String) -> AnalyzedMessage {
        let raw = """
            From: Mail Team <admin@mailbox-support.example>\r
            To: someone@example.org\r
            Subject: \(subject)\r
            Content-Type: text/html; charset=utf-8\r
            \r
            <html><body><p>\(body)</p><a href="\(link)">Verify now</a> <a href="http://mailbox-support.example/help">Help</a>\
            <img src="http://mailbox-support.example/logo.png"></body></html>\r

            """
        return try! analyzer.analyze(Array(raw.utf8))
    }

    @Test func variantsOfOneCampaignMatch() {
        let a = CampaignFingerprint(message(subject: "Mailbox full", body: Self.campaign.replacingOccurrences(of: "NAME", with: "Alice"),
                                            link: "http://verify.example/login?u=alice&t=1"))
        // Another recipient, another tracking query, and the text obfuscated: leetspeak, a homoglyph, zero-width spaces.
        let obfuscated = Self.campaign.replacingOccurrences(of: "NAME", with: "Bob")
            .replacingOccurrences(of: "verify", with: "v3rify").replacingOccurrences(of: "password", with: "pass\u{200B}word")
            .replacingOccurrences(of: "account", with: "\u{0430}ccount")
        let b = CampaignFingerprint(message(subject: "Mailbox full!", body: obfuscated, link: "http://verify.example/login?u=bob&t=2"))
        #expect(a.text != nil && a.links != nil)
        #expect(CampaignFingerprint.similarity(a.text!, b.text!) >= 0.6)
        #expect(CampaignFingerprint.similarity(a.links!, b.links!) == 1)
        #expect(a.matches(b))
        var index = CampaignIndex()
        index.insert(a, id: 7)
        #expect(index.matches(b).map(\.id) == [7])
    }

    @Test func distinctMailDoesNotMatch() {
        let a = CampaignFingerprint(message(subject: "Mailbox full", body: Self.campaign, link: "http://verify.example/login"))
        let other = """
            Hi all, the minutes of Tuesday's meeting are attached. We agreed to move the release to the second week of \
            March, after the translations are in and the installer has been tested on the older machines. Please send \
            your comments on the draft schedule before Friday so that we can publish it with the next newsletter.
            """
        let b = CampaignFingerprint(message(subject: "Minutes", body: other, link: "http://project.example/minutes"))
        #expect(CampaignFingerprint.similarity(a.text!, b.text!) < 0.1)
        #expect(!a.matches(b))
        var index = CampaignIndex()
        index.insert(a, id: 1)
        #expect(index.matches(b).isEmpty)
    }

    @Test func shortTextHasNoTextSignature() {
        let f = CampaignFingerprint(subject: "hi", body: "see you at five tomorrow then", links: ["http://a.example/x"])
        #expect(f.text == nil)
        #expect(f.links == nil)
        #expect(!f.matches(f))
    }

    @Test func linksAreKeptWithoutQueryAndHostCase() {
        #expect(CampaignFingerprint.linkIdentity("HTTP://Verify.EXAMPLE/Login?u=1#top") == "http://verify.example/Login")
        #expect(CampaignFingerprint.linkIdentity("mailto:Someone@Example.org") == "mailto:someone@example.org")
        // The hash reads the identity straight off the URL.
        let urls = ["HTTP://Verify.EXAMPLE/Login?u=1#top", "http://verify.example/Login", "www.Shop.example/A/b?x", "mailto:Someone@Example.org",
                    "https://a.example", "ftp://B.example/x/Y/", "http://c.example/?q"]
        for url in urls { #expect(CampaignFingerprint.linkHash(url) == CampaignFingerprint.linkHash(CampaignFingerprint.linkIdentity(url)), "\(url)") }
        #expect(CampaignFingerprint.linkHash(urls[0]) == CampaignFingerprint.linkHash(urls[1]))
        #expect(CampaignFingerprint.linkHash("http://verify.example/Login") != CampaignFingerprint.linkHash("http://verify.example/login"))
    }

    @Test func theSignatureIsDeterministicAndBounded() {
        let words = (0..<20_000).map { "w\($0 % 997)x\($0 % 13)" }.joined(separator: " ")
        let a = CampaignFingerprint(subject: "", body: words, links: [])
        let b = CampaignFingerprint(subject: "", body: words, links: [])
        #expect(a == b)
        #expect(a.text?.count == CampaignFingerprint.size)
        #expect(CampaignFingerprint.bands(a.text!).count == CampaignFingerprint.size / CampaignFingerprint.rowsPerBand)
    }

    /// The fuzzy list: a match by either signature, `allow` over `block`, no duplicates, nothing without a signature.
    @Test func theFuzzyListPrefersAllowAndRefusesWhatCannotMatch() throws {
        let campaign = CampaignFingerprint(message(subject: "Mailbox full", body: Self.campaign, link: "http://verify.example/login"))
        let variant = CampaignFingerprint(message(subject: "Mailbox full", body: Self.campaign.replacingOccurrences(of: "NAME", with: "Zed"),
                                                  link: "http://verify.example/login?u=zed"))
        var list = FuzzyList()
        #expect(list.match(variant) == nil)
        try list.insert(.init(action: .block, fingerprint: campaign, note: "phish", added: 1))
        #expect(list.match(variant)?.entry.action == .block)
        #expect(throws: FuzzyList.Refusal.duplicate) { try list.insert(.init(action: .block, fingerprint: campaign, note: "again", added: 2)) }
        #expect(throws: FuzzyList.Refusal.unusable) {
            try list.insert(.init(action: .block, fingerprint: CampaignFingerprint(subject: "hi", body: "short", links: []), note: "", added: 3))
        }
        try list.insert(.init(action: .allow, fingerprint: campaign, note: "our notice", added: 4))
        #expect(list.count == 2)
        let match = try #require(list.match(variant))
        #expect(match.entry.action == .allow && match.entry.note == "our notice" && match.similarity >= 0.5)
        let other = CampaignFingerprint(subject: "Minutes", body: (0..<40).map { "word\($0)" }.joined(separator: " "), links: [])
        #expect(list.match(other) == nil)
    }
}
