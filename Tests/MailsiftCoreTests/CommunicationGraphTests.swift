import Testing

@testable import MailsiftCore

@Suite("Communication graph: contacts and trust")
struct CommunicationGraphTests {
    /// One local user writing to one address: the closed form of personalised PageRank with a dangling target.
    @Test func trustMatchesTheClosedFormOnATinyGraph() {
        var g = CommunicationGraph()
        g.record(from: "Alice@Corp.example", to: ["bob@partner.example"], at: 1, outbound: true)
        let d = 0.85
        let t = g.trust(damping: d, iterations: 500, tolerance: 1e-15)
        // r_alice = (1 - d) + d * r_bob (bob hands his share back), r_bob = d * r_alice, summing to 1.
        #expect(abs(t.addresses["alice@corp.example"]! - 1 / (1 + d)) < 1e-9)
        #expect(abs(t.addresses["bob@partner.example"]! - d / (1 + d)) < 1e-9)
        #expect(abs(t.domains["partner.example"]! - d / (1 + d)) < 1e-9)
        #expect(t.localUsers == 1 && t.contacts["alice@corp.example"] == ["bob@partner.example"])
    }

    /// Trust flows from users to their correspondents and on to whom those introduce; a sender nobody
    /// trusted writes to gets none, however much it sends.
    @Test func trustFlowsOnlyFromLocalUsers() {
        var g = CommunicationGraph()
        for t in 0..<3 { g.record(from: "alice@corp.example", to: ["bob@partner.example"], at: Int64(t), outbound: true) }
        g.record(from: "carol@corp.example", to: ["erin@supplier.example"], at: 3, outbound: true)
        g.record(from: "bob@partner.example", to: ["alice@corp.example", "dave@partner2.example"], at: 4, outbound: false)
        for i in 0..<200 {
            g.record(from: "promo@spam.example", to: ["alice@corp.example", "carol@corp.example", "x\(i)@else.example"], at: 5, outbound: false)
        }
        let t = g.trust()
        let bob = t.addresses["bob@partner.example"] ?? 0, dave = t.addresses["dave@partner2.example"] ?? 0
        #expect(bob > dave && dave > 0)
        #expect(t.addresses["promo@spam.example"] == nil)
        #expect(t.addresses["x7@else.example"] == nil)
        // Scaled so the total is the number of local users (no trust leaks).
        #expect(abs(t.addresses.values.reduce(0, +) - 2) < 1e-6)
        #expect(t.localUsers == 2)

        var state = SenderState()
        t.fill(&state, keys: SenderKeys(fromDomain: "partner.example", fromAddress: "bob@partner.example", recipients: ["alice@corp.example"]))
        #expect(state.isContact == true && state.senderTrust == bob && state.domainTrust == bob)
        var spam = SenderState()
        t.fill(&spam, keys: SenderKeys(fromDomain: "spam.example", fromAddress: "promo@spam.example", recipients: ["alice@corp.example"]))
        #expect(spam.isContact == false && spam.senderTrust == 0 && spam.domainTrust == 0)
        // Bob is Alice's contact, not Carol's.
        var toCarol = SenderState()
        t.fill(&toCarol, keys: SenderKeys(fromAddress: "bob@partner.example", recipients: ["carol@corp.example"]))
        #expect(toCarol.isContact == false)

        var row = [Float](repeating: 0, count: MetadataFeature.allCases.count)
        state.fill(&row)
        #expect(row[MetadataFeature.senderIsContact.rawValue] == 1 && row[MetadataFeature.senderTrust.rawValue] == Float(bob))
    }

    @Test func withoutSentMailNothingIsSaid() {
        var g = CommunicationGraph()
        g.record(from: "a@x.example", to: ["b@y.example"], at: 1, outbound: false)
        let t = g.trust()
        #expect(t.localUsers == 0 && t.addresses.isEmpty)
        var state = SenderState()
        t.fill(&state, keys: SenderKeys(fromAddress: "a@x.example", recipients: ["b@y.example"]))
        #expect(state.senderTrust == nil && state.isContact == nil)
        var row = [Float](repeating: 0, count: MetadataFeature.allCases.count)
        state.fill(&row)
        #expect(row[MetadataFeature.senderTrust.rawValue].isNaN && row[MetadataFeature.senderIsContact.rawValue].isNaN)
    }

    @Test func evictionDropsOldInboundEdgesAndKeepsSentOnes() {
        var g = CommunicationGraph(capacity: 100)
        g.record(from: "alice@corp.example", to: ["bob@partner.example"], at: 0, outbound: true)
        for i in 0..<200 { g.record(from: "s\(i)@spam.example", to: ["alice@corp.example"], at: Int64(1 + i), outbound: false) }
        #expect(g.edges.count <= 100)
        #expect(g.edges[.init("alice@corp.example", "bob@partner.example")]?.outbound == true)
        #expect(g.edges[.init("s199@spam.example", "alice@corp.example")] != nil)
        #expect(g.edges[.init("s0@spam.example", "alice@corp.example")] == nil)
        // Changed edges are handed over once; evicted ones are not.
        let changed = g.takeChanged()
        #expect(changed.count == g.edges.count && g.takeChanged().isEmpty)
    }
}
