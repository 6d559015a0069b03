import Foundation
import Testing
import Yams

@testable import MailsiftCore

/// The RFC 7208 test suite (openspf.org, release 2014.04, as pyspf 2.0.14 ships it: Fixtures/spf, with its licence),
/// run against ``SPFCheck``. The suite gives each scenario's DNS as zone data; ``SuiteZone`` answers from it the way
/// pyspf's driver does (SPF-type records also served as TXT when a name has no TXT, `TIMEOUT` entries time out,
/// one level of CNAME followed, names under `error.` time out).
@Suite struct SPFSuiteTests {
    struct SuiteZone: DNSResolver {
        /// One zone-data entry: a type and its value (an MX's preference and host, a TXT's strings), or `TIMEOUT`.
        struct Entry: Sendable {
            var type: String
            var values: [String]
        }

        var records: [String: [Entry]]

        init(_ data: [String: Any]) {
            var records: [String: [Entry]] = [:]
            for (name, list) in data {
                records[name.lowercased()] = ((list as? [Any]) ?? []).flatMap { item -> [Entry] in
                    guard let map = item as? [String: Any] else { return [Entry(type: "\(item)", values: [])] }
                    return map.map { key, value in
                        Entry(type: key, values: (value as? [Any])?.map { "\($0)" } ?? ["\(value)"])
                    }
                }
            }
            self.records = records
        }

        func query(_ name: String, _ type: DNSRecordType, deadline: ContinuousClock.Instant) async -> DNSAnswer {
            answer(name, type, followCNAME: true)
        }

        func answer(_ rawName: String, _ type: DNSRecordType, followCNAME: Bool) -> DNSAnswer {
            let labels = rawName.split(separator: ".")
            if labels.contains(where: { $0.utf8.count > 63 }) { return .timeout }
            let name = labels.joined(separator: ".").lowercased()
            guard let entries = records[name] else { return name.hasPrefix("error.") ? .timeout : .nameError }
            let hasTXT = entries.contains { $0.type == "TXT" }
            var out: [DNSRecord] = []
            var sawType = false
            for entry in entries {
                if entry.type == "TIMEOUT" {
                    if !sawType { return .timeout }
                    break
                }
                var t = entry.type
                if t == "SPF" {
                    guard !hasTXT else { continue }
                    t = "TXT"
                }
                if t == "CNAME", followCNAME, let target = entry.values.first {
                    return answer(target, type, followCNAME: false)
                }
                // `NONE` stands for no record (it only stops SPF records being served as TXT).
                guard t == type.rawValue, entry.values != ["NONE"] else { continue }
                sawType = true
                if entry.values == ["TIMEOUT"] { return .timeout }
                switch type {
                case .a, .aaaa: out += entry.values.map { .address($0) }
                case .ptr: out += entry.values.map { .ptr($0) }
                case .mx:
                    if entry.values.count == 2 { out.append(.mx(preference: UInt16(entry.values[0]) ?? 0, exchange: entry.values[1])) }
                case .txt:
                    out.append(.text(entry.values.map { Array($0.utf8) }))
                }
            }
            return out.isEmpty ? .noData : .records(out, ttl: 300)
        }
    }

    struct Case: CustomStringConvertible {
        var scenario: String
        var name: String
        var zone: SuiteZone
        var host: String
        var mailFrom: String
        var helo: String
        var results: [String]
        var explanation: String?
        var description: String { "\(scenario): \(name)" }
    }

    static func cases() throws -> [Case] {
        guard let url = Bundle.module.url(forResource: "rfc7208-tests", withExtension: "yml", subdirectory: "Fixtures/spf") else { return [] }
        let text = try String(contentsOf: url, encoding: .utf8)
        var out: [Case] = []
        for document in try Yams.load_all(yaml: text) {
            guard let doc = document as? [String: Any], let tests = doc["tests"] as? [String: Any] else { continue }
            let zone = SuiteZone((doc["zonedata"] as? [String: Any]) ?? [:])
            for (name, body) in tests {
                guard let t = body as? [String: Any] else { continue }
                let results = (t["result"] as? [String]) ?? [(t["result"] as? String) ?? ""]
                out.append(Case(
                    scenario: (doc["description"] as? String) ?? "", name: name, zone: zone, host: "\(t["host"] ?? "")",
                    mailFrom: "\(t["mailfrom"] ?? "")", helo: "\(t["helo"] ?? "")", results: results, explanation: t["explanation"] as? String))
            }
        }
        return out.sorted { ($0.scenario, $0.name) < ($1.scenario, $1.name) }
    }

    /// Runs the whole suite; passes at 95% or more and prints every failure (docs/authentication.md lists them).
    @Test func passesTheRFC7208TestSuite() async throws {
        let cases = try Self.cases()
        #expect(cases.count > 190)
        var failures: [String] = []
        for c in cases {
            var check = SPFCheck(resolver: c.zone)
            check.receiver = "receivingmta.example.com"
            let outcome = await check.check(ip: c.host, mailFrom: c.mailFrom, helo: c.helo, deadline: .now + .seconds(5))
            var ok = c.results.contains(outcome.result.rawValue)
            // "DEFAULT" is the suite's name for the implementation's own text, given where no `exp` explanation can be had.
            if ok, outcome.result == .fail, let expected = c.explanation, (outcome.explanation ?? "DEFAULT") != expected { ok = false }
            if !ok {
                failures.append("\(c): got \(outcome.result.rawValue) (\(outcome.detail); explanation \(outcome.explanation ?? "none")), want \(c.results.joined(separator: "|"))\(c.explanation.map { " explanation \"\($0)\"" } ?? "")")
            }
        }
        let passed = cases.count - failures.count
        print("RFC 7208 suite: \(passed) of \(cases.count) passed (\(String(format: "%.1f", 100 * Double(passed) / Double(cases.count)))%)")
        for f in failures { print("  failed: \(f)") }
        #expect(Double(passed) >= 0.95 * Double(cases.count))
    }
}
