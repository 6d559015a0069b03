import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import MailsiftCore
import MailsiftTestKit
import NIOCore
import Testing

@testable import MailsiftServer

/// The deployment files (deploy/): the Kubernetes ConfigMap's settings are settings `serve` reads, the Grafana
/// dashboard reads only metrics the server exports, and the files pass their tools (scripts/check-deploy.sh:
/// Kubernetes' schemas, systemd-analyze verify, promtool).
@Suite struct DeploymentTests {
    static let deploy = TestPaths.repositoryRoot.appendingPathComponent("deploy")

    @Test func theConfigMapsSettingsLoad() throws {
        let manifest = try String(contentsOf: Self.deploy.appendingPathComponent("kubernetes/mailsift.yaml"), encoding: .utf8)
        let lines = manifest.split(separator: "\n", omittingEmptySubsequences: false)
        let start = try #require(lines.firstIndex { $0.contains("mailsift.yaml: |") })
        let block = lines[(start + 1)...].prefix { $0.hasPrefix("    ") }.map { String($0.dropFirst(4)) }.joined(separator: "\n")
        let file = NSTemporaryDirectory() + "mailsift-configmap-\(UUID().uuidString).yaml"
        try block.write(toFile: file, atomically: true, encoding: .utf8)
        defer { try? FileManager.default.removeItem(atPath: file) }
        let c = try ServerConfiguration.load(file: file)
        #expect(c.host == "0.0.0.0" && c.port == 11380 && c.milterPort == 11332 && c.redisURL != nil)
    }

    @Test func theDashboardReadsExportedMetrics() async throws {
        let data = try Data(contentsOf: Self.deploy.appendingPathComponent("grafana/mailsift.json"))
        let json = try #require(try JSONSerialization.jsonObject(with: data) as? [String: Any])
        let panels = try #require(json["panels"] as? [[String: Any]])
        let exprs = panels.flatMap { ($0["targets"] as? [[String: Any]] ?? []).compactMap { $0["expr"] as? String } }
        #expect(panels.count >= 8 && exprs.count >= panels.count)
        let names = Set(exprs.flatMap { e in e.matches(of: /mailsift_[a-z_]+/).map { String($0.output) } })
        var c = ServerConfiguration()
        c.port = 0
        c.watchSeconds = 0
        let server = Server(configuration: c, model: Fixture.model, logger: Fixture.logger)
        try await server.application().test(.router) { client in
            try await client.execute(uri: "/v1/classify", method: .post, body: ByteBuffer(string: Fixture.ham)) { #expect($0.status == .ok) }
            try await client.execute(uri: "/metrics", method: .get) { r in
                let text = String(buffer: r.body)
                for name in names {
                    // A histogram's series are NAME_bucket, NAME_count and NAME_sum.
                    let base = name.replacingOccurrences(of: "_bucket", with: "").replacingOccurrences(of: "_count", with: "")
                    #expect(text.contains(base), "the dashboard reads \(name), which the server does not export")
                }
            }
        }
    }

    @Test(.enabled(if: FileManager.default.isExecutableFile(atPath: "/usr/bin/promtool") && FileManager.default.isExecutableFile(atPath: "/usr/bin/systemd-analyze"),
                   "promtool or systemd-analyze is not installed"))
    func theFilesPassTheirTools() throws {
        let (status, text) = try Tool.run("/bin/bash", [TestPaths.repositoryRoot.appendingPathComponent("scripts/check-deploy.sh").path])
        #expect(status == 0, "\(text)")
        #expect(text.contains("deployment files: ok"))
    }
}
