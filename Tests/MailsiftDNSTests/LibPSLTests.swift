import MailsiftCore
import MailsiftDNS
import Testing

/// Organisational domains from the Public Suffix List (libpsl with Debian's publicsuffix), where the old
/// approximation (`DomainName.registrable`: two labels, three under a few country codes) goes wrong.
@Suite struct LibPSLTests {
    @Test func organisationalDomainsFollowTheList() throws {
        let psl = try LibPSL()
        #expect(psl.organizationalDomain("mail.bank.co.uk") == "bank.co.uk")
        #expect(psl.organizationalDomain("a.b.example.com.") == "example.com")
        #expect(psl.organizationalDomain("Mail.Example.COM") == "example.com")
        #expect(psl.organizationalDomain("co.uk") == nil)
        #expect(psl.organizationalDomain("mail.city.kawasaki.jp") == "city.kawasaki.jp")  // an exception rule
        #expect(psl.organizationalDomain("foo.bar.kawasaki.jp") == "foo.bar.kawasaki.jp")  // a wildcard rule
        #expect(psl.organizationalDomain("project.github.io") == "project.github.io")  // the list's private part
        #expect(DomainName.approximatelyRegistrable("foo.bar.kawasaki.jp") != "foo.bar.kawasaki.jp")  // what the approximation gives
    }

    /// The features' registrable domains (`DomainName.registrable` once `mailsift` installed the list): the list's
    /// answer, else the host itself, lower case, for names the list has none for.
    @Test func registrableDomainsForTheFeatures() throws {
        let psl = try LibPSL()
        func registrable(_ host: String) -> String { DomainName.registrable(host, suffixes: psl) }
        #expect(registrable("news.Shop.example.com.au") == "example.com.au")
        #expect(registrable("blog.example.ltd.uk") == "example.ltd.uk")  // the approximation: ltd.uk
        #expect(DomainName.approximatelyRegistrable("blog.example.ltd.uk") == "ltd.uk")
        #expect(registrable("evil.web.app") == "evil.web.app")  // the approximation lumps every web.app site together
        #expect(DomainName.approximatelyRegistrable("evil.web.app") == "web.app")
        #expect(registrable("CO.UK.") == "co.uk")  // a public suffix: itself
        #expect(registrable("localhost") == "localhost")
        #expect(registrable("") == "")
        #expect(registrable("mail.example.com") == DomainName.registrable("mail.example.com", suffixes: nil))
        #expect(DomainName.registrable("mail.example.com", suffixes: nil) == "example.com")
    }
}
