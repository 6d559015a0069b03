import Synchronization
import Testing

@testable import MailsiftCore

/// SPF's outcome cache: a check that read no macro and whose lookups all answered is kept by client address and
/// domain for its answers' smallest TTL; any other check asks DNS again.
@Suite struct SPFOutcomeCacheTests {
    /// A zone whose TXT records and TTL the test changes, counting the queries it answers.
    final class Zone: DNSResolver {
        struct State {
            var txt: [String: String] = [:]
            var a: Set<String> = []
            var ttl: UInt32 = 300
            var failing = false
            var queries = 0
        }

        let state = Mutex(State())

        func query(_ name: String, _ type: DNSRecordType, deadline: ContinuousClock.Instant) async -> DNSAnswer {
            state.withLock { s in
                s.queries += 1
                if s.failing { return .serverFailure }
                switch type {
                case .txt: return s.txt[name].map { .records([.text([Array($0.utf8)])], ttl: s.ttl) } ?? .nameError
                case .a: return s.a.contains(name) ? .records([.address("192.0.2.9")], ttl: s.ttl) : .nameError
                default: return .nameError
                }
            }
        }

        var queries: Int { state.withLock { $0.queries } }
    }

    let deadline = ContinuousClock.now + .seconds(10)

    @Test func anOutcomeWithoutMacrosIsKeptForItsTTL() async {
        let zone = Zone()
        zone.state.withLock { $0.txt = ["a.example": "v=spf1 include:b.example -all", "b.example": "v=spf1 ip4:192.0.2.0/24 -all"] }
        let spf = SPFCheck(resolver: zone)
        let first = await spf.check(ip: "192.0.2.7", mailFrom: "alice@a.example", helo: "mx.a.example", deadline: deadline)
        #expect(first.result == .pass)
        #expect(zone.queries == 2)
        // Another local part, another HELO, the domain in capitals: the same outcome, from the cache.
        zone.state.withLock { $0.txt["b.example"] = "v=spf1 -all" }
        let second = await spf.check(ip: "192.0.2.7", mailFrom: "bob@A.EXAMPLE", helo: "other.example", deadline: deadline)
        #expect(second.result == .pass)
        #expect(zone.queries == 2)
        // Another client address is another check, and it reads the changed record.
        let third = await spf.check(ip: "192.0.2.8", mailFrom: "alice@a.example", helo: "mx.a.example", deadline: deadline)
        #expect(third.result == .fail)
        #expect(zone.queries == 4)
    }

    @Test func answersWithATTLOfZeroAreNotKept() async {
        let zone = Zone()
        zone.state.withLock { $0.txt = ["a.example": "v=spf1 ip4:192.0.2.0/24 -all"]; $0.ttl = 0 }
        let spf = SPFCheck(resolver: zone)
        _ = await spf.check(ip: "192.0.2.7", mailFrom: "alice@a.example", helo: "h.example", deadline: deadline)
        zone.state.withLock { $0.txt["a.example"] = "v=spf1 -all" }
        let second = await spf.check(ip: "192.0.2.7", mailFrom: "alice@a.example", helo: "h.example", deadline: deadline)
        #expect(second.result == .fail)
        #expect(zone.queries == 2)
    }

    @Test func anOutcomeThatReadAMacroIsNotKept() async {
        let zone = Zone()
        zone.state.withLock { $0.txt = ["a.example": "v=spf1 exists:%{l}.allowed.a.example -all"]; $0.a = ["alice.allowed.a.example"] }
        let spf = SPFCheck(resolver: zone)
        let alice = await spf.check(ip: "192.0.2.7", mailFrom: "alice@a.example", helo: "h.example", deadline: deadline)
        let mallory = await spf.check(ip: "192.0.2.7", mailFrom: "mallory@a.example", helo: "h.example", deadline: deadline)
        #expect(alice.result == .pass)
        #expect(mallory.result == .fail)
        #expect(zone.queries == 4)
    }

    @Test func aFailedLookupIsNotKept() async {
        let zone = Zone()
        zone.state.withLock { $0.txt = ["a.example": "v=spf1 ip4:192.0.2.0/24 -all"]; $0.failing = true }
        let spf = SPFCheck(resolver: zone)
        let first = await spf.check(ip: "192.0.2.7", mailFrom: "alice@a.example", helo: "h.example", deadline: deadline)
        #expect(first.result == .temperror)
        zone.state.withLock { $0.failing = false }
        let second = await spf.check(ip: "192.0.2.7", mailFrom: "alice@a.example", helo: "h.example", deadline: deadline)
        #expect(second.result == .pass)
    }
}
