import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import MailsiftCore
import MailsiftTestKit
import NIOCore
import Testing

@testable import MailsiftServer

/// Drift through the server: verdicts feed the monitor, the gauges are exported, and the shipped alert rules name
/// only metrics the server exports (and pass promtool's check and unit tests where promtool is installed).
@Suite struct DriftServingTests {
    static let rules = TestPaths.repositoryRoot.appendingPathComponent("deploy/prometheus/mailsift-alerts.yml").path

    /// The metric names an alert rule's expressions read.
    static func ruleMetrics() throws -> Set<String> {
        let text = try String(contentsOfFile: rules, encoding: .utf8)
        var names = Set<String>()
        for line in text.split(separator: "\n") where line.trimmingCharacters(in: .whitespaces).hasPrefix("expr:") {
            for match in line.matches(of: /mailsift_[a-z_]+/) { names.insert(String(match.output)) }
        }
        return names
    }

    @Test func verdictsFeedTheGaugesTheAlertRulesRead() async throws {
        var c = ServerConfiguration()
        c.port = 0
        c.watchSeconds = 0
        c.latencyBudgetMilliseconds = 10_000
        let server = Server(configuration: c, model: Fixture.model, logger: Fixture.logger)
        try await server.application().test(.router) { client in
            for _ in 0..<3 {
                try await client.execute(uri: "/v1/classify", method: .post, body: ByteBuffer(string: Fixture.ham)) { #expect($0.status == .ok) }
            }
            let report = server.service.drift.check()
            #expect(report.current == 3)  // counted, too few to judge
            #expect(report.alarms.isEmpty && report.scorePSI == nil)
            try await client.execute(uri: "/metrics", method: .get) { r in
                let text = String(buffer: r.body)
                let names = try Self.ruleMetrics()
                #expect(names.count >= 6)
                for name in names { #expect(text.contains(name), "the alert rules read \(name), which the server does not export") }
                #expect(text.contains("mailsift_drift_column_psi{column=\"receivedCount\"}"))
                #expect(text.contains("mailsift_drift_missing_share{field=\"client_ip\"} 1"))
            }
        }
    }

    @Test(.enabled(if: FileManager.default.isExecutableFile(atPath: "/usr/bin/promtool"), "promtool (Debian prometheus) is not installed"))
    func theAlertRulesPassPromtool() throws {
        for arguments in [["check", "rules", Self.rules], ["test", "rules", Self.rules.replacingOccurrences(of: ".yml", with: ".test.yml")]] {
            let (status, text) = try Tool.run("/usr/bin/promtool", arguments)
            #expect(status == 0, "promtool \(arguments.joined(separator: " ")): \(text)")
        }
    }
}
