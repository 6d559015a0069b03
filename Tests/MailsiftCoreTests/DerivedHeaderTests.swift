import Testing
@testable import MailsiftCore

@Suite("Addresses, Received, authentication, dates")
struct DerivedHeaderTests {
    @Test func addressForms() {
        let list = AddressParser.parseList("\"Doe, John\" <JD@Example.COM>, mary@x.org (Mary Smith), undisclosed-recipients:;, team: a@b.c, d@e.f;, <@relay.net:route@host.org>")
        #expect(list.map(\.address) == ["JD@example.com", "mary@x.org", "a@b.c", "d@e.f", "route@host.org"])
        #expect(list[0].displayName == "Doe, John")
        #expect(list[1].displayName == "Mary Smith")
        #expect(list[0].domain == "example.com")
        #expect(AddressParser.parseList("").isEmpty)
        #expect(AddressParser.parseList("<>").isEmpty)
        let routed = AddressParser.parseList("\"Ann \\\"A\\\" (x)\" <@relay.example:ann@Example.COM>, bob@example.net (Bob B), team: c@d.example;")
        #expect(routed.map(\.address) == ["ann@example.com", "bob@example.net", "c@d.example"])
        #expect(routed.map(\.displayName) == ["Ann \"A\"", "Bob B", nil])
        #expect(AddressParser.parseList("\"only quoted\"").isEmpty)
        #expect(AddressParser.parseList("Ünïcode Näme <ü@BÜCHER.example>").first?.domain == "bücher.example")
    }

    @Test func receivedHops() {
        let hop = ReceivedHop(parsing: "from mail.example.com (mail.example.com [192.0.2.25]) by mx.example.org (Postfix) with ESMTPS id ABC for <u@example.org>; Tue, 2 Jul 2002 10:00:00 +0000")
        #expect(hop.from == "mail.example.com")
        #expect(hop.fromIP == "192.0.2.25")
        #expect(hop.fromReverseName == "mail.example.com")
        #expect(hop.by == "mx.example.org")
        #expect(hop.with == "ESMTPS")
        #expect(hop.timestamp == 1_025_604_000)
        let qmail = ReceivedHop(parsing: "(qmail 1234 invoked from network); 1 Jan 2003 00:00:00 -0000")
        #expect(qmail.from == nil)
        #expect(qmail.timestamp == 1_041_379_200)
        let v6 = ReceivedHop(parsing: "from [IPv6:2001:db8::5] by mx.example.org; Tue, 2 Jul 2002 10:00:00 +0000")
        #expect(v6.fromIP == "2001:db8::5")
        // Keywords in any case; reverse name from the comment; HELO comments and upper-case hosts.
        let mixed = ReceivedHop(parsing: "FROM Relay.Example.NET (helo=x) (Relay.Example.NET [10.1.2.3]) BY MX.Example.org WITH esmtp; 2 Jul 2002 10:00 GMT")
        #expect(mixed.from == "relay.example.net")
        #expect(mixed.fromIP == "10.1.2.3")
        #expect(mixed.fromReverseName == "relay.example.net")
        #expect(mixed.by == "mx.example.org")
        #expect(mixed.with == "esmtp")
        #expect(mixed.timestamp == 1_025_604_000)
        let unknown = ReceivedHop(parsing: "from x (unknown [203.0.113.9]) by y", parsesDate: false)
        #expect(unknown.fromIP == "203.0.113.9")
        #expect(unknown.fromReverseName == nil)
        #expect(ReceivedHop(parsing: "").from == nil)
        #expect(ReceivedHop(parsing: "from").from == nil)
        #expect(ReceivedHop(parsing: "from ((((( by ;;;").by == nil)
    }

    @Test func authenticationResults() {
        let ar = AuthenticationResults(parsing: "mx.example.org; spf=pass smtp.mailfrom=example.com; dkim=fail (bad signature) header.d=example.com; dmarc=fail (p=REJECT sp=none) header.from=example.com")
        #expect(ar.authservID == "mx.example.org")
        #expect(ar.result(for: "spf") == "pass")
        #expect(ar.result(for: "dkim") == "fail")
        #expect(ar.result(for: "dmarc") == "fail")
        #expect(ar.checks.first { $0.method == "dmarc" }?.properties["p"] == "reject")
        #expect(ar.checks.first { $0.method == "spf" }?.properties["smtp.mailfrom"] == "example.com")
        // The authserv-id is one token, even when a tab and more text follow it; policy words in any case.
        let tabbed = AuthenticationResults(parsing: "mx.example.org\tx-tls.subject=\"/C=FR\"; auth=fail; DMARC=Fail (P=Quarantine)")
        #expect(tabbed.authservID == "mx.example.org")
        #expect(tabbed.result(for: "auth") == "fail")
        #expect(tabbed.checks.first { $0.method == "dmarc" }?.properties["p"] == "quarantine")
        #expect(AuthenticationResults(parsing: ";;;").checks.isEmpty)
        #expect(AuthenticationResults(parsing: "").authservID == "")
    }

    @Test func receivedSPF() throws {
        let m = try TestSupport.parse("Received-SPF: softfail (domain of transitioning x) client-ip=1.2.3.4\n\nx")
        #expect(m.receivedSPF == ["softfail"])
    }

    @Test func dates() {
        #expect(MessageDate(parsing: "Fri, 21 Nov 1997 09:55:06 -0600")?.timestamp == 880_127_706)
        #expect(MessageDate(parsing: "21 Nov 97 09:55:06 GMT")?.timestamp == 880_106_106)
        #expect(MessageDate(parsing: "Thu, 13 Feb 1969 23:32 -0330 (Newfoundland Time)")?.timestamp == -27_723_480)
        #expect(MessageDate(parsing: "Mon, 26 Aug 2002 10:26:22 EDT")?.zoneOffsetMinutes == -240)
        #expect(MessageDate(parsing: "Aug 26 2002 10:26:22")?.hasZone == false)
        #expect(MessageDate(parsing: "not a date") == nil)
        #expect(MessageDate(parsing: "32 Foo 2002") == nil)
        // Full month names, lower case, named zones of four letters, signed offsets, extra time fields.
        #expect(MessageDate(parsing: "tuesday, 2 july 2002 12:00:00 cest")?.timestamp == 1_025_604_000)
        #expect(MessageDate(parsing: "2 Jul 2002 10:00:00:99 +0000")?.timestamp == 1_025_604_000)
        #expect(MessageDate(parsing: "2 Jul 2002 10:00:xx +0000")?.timestamp == 1_025_568_000)
        #expect(MessageDate(parsing: "2 Jul 2002 25:00:00") == nil)
        #expect(MessageDate(parsing: "2 Jul 2002 -9223372036854775807:00") == nil)
        #expect(MessageDate(parsing: "2 Jul 2002 10:-5") == nil)
        #expect(MessageDate(parsing: "2 Jul 99999999999999999999999") == nil)
        #expect(MessageDate(parsing: "2 Jul 2002 10:00 +0130")?.zoneOffsetMinutes == 90)
        #expect(MessageDate(parsing: "2 Jul 2002 10:00 -0130")?.zoneOffsetMinutes == -90)
    }
}
