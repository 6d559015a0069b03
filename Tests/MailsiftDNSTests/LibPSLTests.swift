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
        #expect(DomainName.registrable("foo.bar.kawasaki.jp") != "foo.bar.kawasaki.jp")  // what the approximation gives
    }
}
