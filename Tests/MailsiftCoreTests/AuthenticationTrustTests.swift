import Foundation
import MailsiftFiles
import MailsiftTestKit
import MailsiftTraining
import Testing

@testable import MailsiftCore

@Suite struct AuthenticationTrustTests {
    static func message(_ headers: String, body: String = "hello\r\n") throws -> Message {
        try MessageParser().parse(Array((headers + "\r\n" + body).utf8))
    }

    static let forged =
        "Authentication-Results: mx.google.com; spf=pass smtp.mailfrom=a@b.example;\r\n  dkim=pass header.d=b.example; dmarc=pass header.from=b.example\r\n"
        + "Received-SPF: pass (mx.google.com: domain of a@b.example designates 192.0.2.1 as permitted sender) receiver=mx.google.com; client-ip=192.0.2.1\r\n"
    static let rest =
        "Received: from spam.example (spam.example [198.51.100.7]) by relay.example with SMTP; Mon, 2 Dec 2024 10:00:00 +0000\r\n"
        + "From: a@b.example\r\nTo: c@d.example\r\nSubject: cheap pills\r\nMessage-ID: <m@b.example>\r\nDate: Mon, 2 Dec 2024 10:00:00 +0000\r\n"

    /// By default nothing is trusted: the fields go, whoever wrote them, and the message reads as one written without
    /// them in every feature the stages use (the text views, every tree column, the size included).
    @Test func byDefaultEveryAuthenticationFieldIsTakenOut() throws {
        let extractor = FeatureExtractor(configuration: FeatureConfiguration())
        let forged = extractor.analyze(try Self.message(Self.forged + Self.rest, body: "buy now\r\n"))
        let plain = extractor.analyze(try Self.message(Self.rest, body: "buy now\r\n"))
        #expect(forged.message.headers.first("authentication-results") == nil && forged.message.headers.first("received-spf") == nil)
        #expect(forged.ignoredAuthentication == 2 && plain.ignoredAuthentication == 0)
        #expect(forged.claimedAuthenticationPasses == ["spf=pass", "dkim=pass", "dmarc=pass"])
        var fa: [UInt64] = [], fb: [UInt64] = [], ea: [Int] = [], eb: [Int] = []
        extractor.features(of: forged, into: &fa, viewEnds: &ea)
        extractor.features(of: plain, into: &fb, viewEnds: &eb)
        #expect(fa == fb)
        let ta = MetadataFeatureExtractor().values(of: forged), tb = MetadataFeatureExtractor().values(of: plain)
        for f in MetadataFeature.allCases {
            #expect(ta[f.rawValue].bitPattern == tb[f.rawValue].bitPattern, "\(f)")
        }
    }

    /// A configured authserv-id is believed above the first hop from outside the site, and only there: the same
    /// field below that hop came with the message.
    @Test func aTrustedAuthservIDCountsOnlyAboveTheFirstUntrustedHop() throws {
        let trust = try AuthenticationTrust(authservIDs: ["MX.Site.Example"], networks: ["10.0.0.0/8"])
        let ours = "Authentication-Results: mx.site.example; spf=fail smtp.mailfrom=a@b.example\r\n"
        let arrival = "Received: from spam.example (spam.example [198.51.100.7]) by mx.site.example with ESMTP; Mon, 2 Dec 2024 10:00:01 +0000\r\n"
        let inner = "Received: from mx.site.example (mx.site.example [10.1.2.3]) by store.site.example with LMTP; Mon, 2 Dec 2024 10:00:02 +0000\r\n"
        let local = "Received: by store.site.example (Postfix, from userid 0); Mon, 2 Dec 2024 10:00:03 +0000\r\n"

        // The site's MTA wrote it after the message arrived: kept, through an inner relay and a local hand-over.
        let kept = trust.judged(try Self.message(local + inner + ours + arrival + Self.rest))
        #expect(kept.ignored == 0 && kept.message.authenticationResults.first?.result(for: "spf") == "fail")
        // The sender wrote the same name below the arrival hop: taken out, and its claim reported.
        let below = trust.judged(try Self.message(arrival + "Authentication-Results: mx.site.example; dkim=pass header.d=b.example\r\n" + Self.rest))
        #expect(below.ignored == 1 && below.message.authenticationResults.isEmpty && below.claimedPasses == ["dkim=pass"])
        // Another site's name, even on top: taken out.
        let other = trust.judged(try Self.message(Self.forged + arrival + Self.rest))
        #expect(other.ignored == 2 && other.message.headers.first("received-spf") == nil)
        // A hop from an address outside the site's networks marks the arrival, one without an address too.
        let unknownHop = "Received: from somewhere.example by mx.site.example; Mon, 2 Dec 2024 10:00:01 +0000\r\n"
        #expect(trust.judged(try Self.message(unknownHop + ours + Self.rest)).ignored == 1)
        // Received-SPF is the receiver's.
        let spf = "Received-SPF: softfail (mx.site.example: transitioning) receiver=mx.site.example; client-ip=198.51.100.7\r\n"
        let judged = trust.judged(try Self.message(spf + arrival + Self.rest))
        #expect(judged.ignored == 0 && judged.message.receivedSPF == ["softfail"])
        #expect(AuthenticationTrust.receiver(ofReceivedSPF: "pass (x) client-ip=1.2.3.4; receiver=a.example;") == "a.example")
        #expect(AuthenticationTrust.receiver(ofReceivedSPF: "pass (noreceiver=x.example)") == nil)
    }

    @Test func theAuthservIDIsReadWithoutParsingTheResults() {
        for value in ["mx.example.com; spf=pass", "(checked) mx.example.com 1; spf=pass", "  mx.example.com;spf=pass", "mx.example.com"] {
            #expect(AuthenticationResults.authservID(of: value) == "mx.example.com", "\(value)")
            #expect(AuthenticationResults.authservID(of: value) == AuthenticationResults(parsing: value).authservID, "\(value)")
        }
    }

    @Test func aNetworkThatDoesNotParseIsRefused() {
        #expect(throws: AuthenticationTrust.BadNetwork.self) { try AuthenticationTrust(authservIDs: ["a"], networks: ["10.0.0.0/33"]) }
        #expect(throws: AuthenticationTrust.BadNetwork.self) { try AuthenticationTrust(networks: ["mx.example"]) }
    }

    /// The shipped model's verdict on every dev test spam is the same with a forged pass added (SPF, DKIM and DMARC
    /// for the From domain, as `mx.google.com` writes them: the dev corpora's hams carry that name), and the same
    /// when the site trusts an authserv-id the forger wrote below the site's arrival hop. The verdict names the claim.
    @Test func aForgedPassMovesNoDevSpamsVerdict() throws {
        guard let root = TestSupport.corpusRoot else { return }
        let cascade = try ShippedModel.cascade()
        let labels = cascade.bundle.manifest.labels
        let dirs = cascade.bundle.manifest.training.corpora.map { root.appendingPathComponent($0).path }
        let spams = try SplitFile(path: TrainingTests.splitPath).messages(split: "test", corpora: dirs).filter { $0.label == labels[1] }
        #expect(spams.count == 802)
        let material = AttackMaterial(goodWords: [], paragraphs: [], subjects: [], seed: 1)
        let site = try AuthenticationTrust(authservIDs: ["mx.google.com"])
        var scratch = cascade.makeScratch()
        var edited = 0
        for m in spams {
            guard let forgedBytes = AttackEdit.forgedAuthentication.apply(to: m.bytes, material: material, salt: 0),
                  let original = try? cascade.extractor.analyze(m.bytes) else { continue }
            let before = cascade.classify(original, scratch: &scratch)
            let forged = try cascade.extractor.analyze(forgedBytes)
            let after = cascade.classify(forged, scratch: &scratch)
            #expect(after.probability == before.probability && after.action == before.action, Comment(rawValue: m.id))
            #expect(cascade.reasons(forged, verdict: after, count: 1).contains { $0.feature == "authentication_untrusted" })
            // The site's MX wrote its arrival hop above the forged fields: they stay below it, and out.
            let arrived = Array("Received: from spam.example (spam.example [198.51.100.7]) by mx.google.com; Mon, 2 Dec 2024 10:00:00 +0000\r\n".utf8) + forgedBytes
            let below = try cascade.extractor.analyze(arrived, trust: site)
            let plain = try cascade.extractor.analyze(Array("Received: from spam.example (spam.example [198.51.100.7]) by mx.google.com; Mon, 2 Dec 2024 10:00:00 +0000\r\n".utf8) + m.bytes, trust: .none)
            #expect(below.claimedAuthenticationPasses.contains("spf=pass"))
            #expect(cascade.classify(below, scratch: &scratch).probability == cascade.classify(plain, scratch: &scratch).probability, Comment(rawValue: m.id))
            edited += 1
        }
        #expect(edited == spams.count)
    }

    /// The arrival hop is looked for among the fields that can have a `from` clause: the others are not parsed.
    @Test func onlyFieldsThatMentionFromAreParsedForTheArrival() throws {
        #expect(AuthenticationTrust.mentionsFrom("from a.example (a.example [192.0.2.1]) by mx.example"))
        #expect(AuthenticationTrust.mentionsFrom("FROM a.example by mx.example"))
        #expect(AuthenticationTrust.mentionsFrom("(qmail 1234 invoked from network); 1 Dec 2024"))
        #expect(!AuthenticationTrust.mentionsFrom("by 10.100.109.11 with SMTP id h11cs96765anc; Tue, 11 May 2010 07:55:41 -0700"))
        #expect(!AuthenticationTrust.mentionsFrom("fro"))
        // A chain whose newest hops are a relay's own hand-overs: the arrival is the first with a from clause.
        let fields = try Self.message(
            "Received: by 10.100.109.11 with SMTP id h11cs96765anc; Tue, 11 May 2010 07:55:41 -0700\r\n"
                + "Received: by 10.227.152.76 with SMTP id f12mr5368979wbw.54; Tue, 11 May 2010 07:55:34 -0700\r\n"
                + "Received: from numericable.fr (212-198-195-251.rev.numericable.fr [212.198.195.251]) by mx.google.com; Tue, 11 May 2010 07:55:34 -0700\r\n"
                + Self.rest
        ).headers
        let arrival = try #require(AuthenticationTrust.none.arrival(in: fields))
        #expect(arrival.index == 2 && arrival.hop.fromIP == "212.198.195.251")
    }
}
