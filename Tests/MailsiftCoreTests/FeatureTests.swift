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
        #expect(ends.count == FeatureConfiguration.defaultViews.count)
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

    /// The header shape reads what the sender wrote, digits as 0, and none of the relays' trace fields; named
    /// and hashed features agree for it too.
    @Test func headerShapeLeavesOutTheRelays() throws {
        let raw = """
            Return-Path: <bounce-42@lists.example>
            Received: from relay7.isp.example (relay7.isp.example [198.51.100.23]) by mx.example.net; Tue, 2 Jan 2024 09:00:00 +0000
            ARC-Seal: i=1; a=rsa-sha256; d=google.com
            Authentication-Results: mx.example.net; spf=pass
            From: Ann <ann2024@example.org>
            Message-ID: <20240102.1234@example.org>
            X-Mailer: Mutt 2.2.9
            Subject: Meeting at 10

            See you.
            """.replacingOccurrences(of: "\n", with: "\r\n")
        let configuration = FeatureConfiguration(views: [.headerShape])
        let extractor = FeatureExtractor(configuration: configuration)
        let a = try extractor.analyze(Array(raw.utf8))
        let shape = String(decoding: FeatureExtractor.headerShape(a.message, limit: configuration.maxHeaderBytes), as: UTF8.self)
        #expect(shape == "From: Ann <ann0000@example.org>\nMessage-ID: <00000000.0000@example.org>\nX-Mailer: Mutt 0.0.0\nSubject: Meeting at 00\n")
        #expect(FeatureExtractor.headerShape(a.message, limit: 20).count == 20)
        var hashes: [UInt64] = []
        var ends: [Int] = []
        extractor.features(of: a, into: &hashes, viewEnds: &ends)
        #expect(ends == [hashes.count] && !hashes.isEmpty)
        #expect(Set(extractor.namedFeatures(of: a).map(\.hash)) == Set(hashes))
        #expect(!extractor.namedFeatures(of: a).contains { $0.name.contains("relay") || $0.name.contains("198") })
    }

    /// With `conversationHeaders` off (`train --no-conversation-headers`) the headers view does not name the reply and list headers (named and
    /// hashed features agree); the rest of the view is unchanged, and a manifest written before the setting
    /// existed reads as on.
    @Test func conversationHeadersCanBeLeftUnnamed() throws {
        let raw = """
            Return-Path: <users-bounces@lists.example>
            From: Ann <ann@example.org>
            To: list@lists.example
            In-Reply-To: <1@example.org>
            References: <1@example.org>
            List-Id: Users <users.lists.example>
            List-Unsubscribe: <mailto:leave@lists.example>
            Precedence: list
            X-Mailer: Mutt 2.2.9
            Subject: Re: Meeting

            See you.
            """.replacingOccurrences(of: "\n", with: "\r\n")
        let on = FeatureConfiguration.spam
        var off = on
        off.conversationHeaders = false
        #expect(on.conversationHeaders && FeatureConfiguration.topics.conversationHeaders)
        let with = FeatureExtractor(configuration: on), without = FeatureExtractor(configuration: off)
        let a = try with.analyze(Array(raw.utf8))
        let named = Set(with.namedFeatures(of: a).map(\.name)), namedOff = Set(without.namedFeatures(of: a).map(\.name))
        let conversation: Set = ["has:in-reply-to", "has:references", "has:list-id", "has:list-unsubscribe", "has:precedence"]
        #expect(named.isSuperset(of: conversation))
        #expect(namedOff.isDisjoint(with: conversation))
        #expect(named.subtracting(conversation) == namedOff)
        var hashes: [UInt64] = []
        var ends: [Int] = []
        without.features(of: a, into: &hashes, viewEnds: &ends)
        #expect(Set(without.namedFeatures(of: a).map(\.hash)) == Set(hashes))
        var json = try JSONSerialization.jsonObject(with: JSONEncoder().encode(off)) as! [String: Any]
        #expect(json["conversationHeaders"] as? Bool == false)
        json["conversationHeaders"] = nil
        let old = try JSONDecoder().decode(FeatureConfiguration.self, from: JSONSerialization.data(withJSONObject: json))
        #expect(old.conversationHeaders)
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

    /// Every tree column is in one family, the families follow the column order, and a list of families and
    /// names gives their columns (an unknown name is reported).
    @Test func treeColumnFamilies() {
        #expect(MetadataFeature.Group.allCases.flatMap(\.columns).count == MetadataFeature.allCases.count)
        let groups = MetadataFeature.allCases.map(\.group)
        // Contiguous: a family's columns stand together, as the declaration groups them.
        #expect(zip(groups, groups.dropFirst()).count { $0 != $1 } == MetadataFeature.Group.allCases.count - 1)
        #expect(MetadataFeature.Group.date.columns == [.dateMissing, .dateZoneMissing, .dateZoneHours, .localHour, .weekday])
        #expect(MetadataFeature.senderColumns == MetadataFeature.Group.senderState.columns + MetadataFeature.Group.graph.columns + MetadataFeature.Group.campaign.columns + MetadataFeature.Group.language.columns + MetadataFeature.Group.campaignMembers.columns)
        #expect(MetadataFeature.missingByDefault == MetadataFeature.senderColumns + MetadataFeature.Group.attachmentContent.columns + MetadataFeature.Group.images.columns)
        let named = MetadataFeature.columns(named: ["date", "inReplyTo"])
        #expect(named.unknown == nil && named.columns == Set(MetadataFeature.Group.date.columns + [.inReplyTo]))
        #expect(MetadataFeature.columns(named: ["header_block", "nope"]).unknown == "nope")
        var rows: [Float] = [1, 2, 3, 4, 5, 6]
        CascadeManifest.mask(&rows, width: 3, columns: [0, 2])
        #expect(rows.map { $0.isNaN ? -1 : $0 } == [-1, 2, -1, -1, 5, -1])
    }

    @Test func registrableDomains() {
        #expect(DomainName.registrable("mail.google.com") == "google.com")
        #expect(DomainName.registrable("www.bbc.co.uk") == "bbc.co.uk")
        #expect(DomainName.registrable("Example.COM.") == "example.com")
        #expect(DomainName.registrable("localhost") == "localhost")
        #expect(DomainName.isShortener("bit.ly"))
    }

    /// The last four answers kept for a message's links give what asking each time gives, past four hosts too.
    @Test func recentRegistrableDomainsAreTheSameAnswers() {
        let hosts = ["a.example.com", "b.example.com", "A.Example.COM", "x.bbc.co.uk", "y.test.org", "z.web.app", "q.ltd.uk",
                     "a.example.com", "x.bbc.co.uk", "", "localhost", "z.web.app", "b.example.com"]
        var recent = DomainName.Recent()
        for _ in 0..<3 {
            for host in hosts { #expect(recent.registrable(host) == DomainName.registrable(host), "\(host)") }
        }
    }
}
