import Foundation
import MailsiftCore
import MailsiftPostgres
import MailsiftSQLite
import Testing

/// `mailsift feedback` (the built executable) against a data directory.
@Suite struct FeedbackCommandTests {
    /// Runs the debug `mailsift` with `arguments`; its exit status and standard output.
    static func mailsift(_ arguments: [String], environment: [String: String] = [:]) async throws -> (Int32, String) {
        let binary = RedisSenderStateTests.mailsiftBinary
        try #require(FileManager.default.isExecutableFile(atPath: binary), "build the mailsift executable first (swift build)")
        let p = Process()
        p.executableURL = URL(fileURLWithPath: binary)
        p.arguments = arguments
        p.environment = ProcessInfo.processInfo.environment.merging(environment) { $1 }
        let out = Pipe()
        p.standardOutput = out
        p.standardError = FileHandle.nullDevice
        try p.run()
        return await withCheckedContinuation { continuation in
            DispatchQueue.global().async {
                let data = out.fileHandleForReading.readDataToEndOfFile()
                p.waitUntilExit()
                continuation.resume(returning: (p.terminationStatus, String(decoding: data, as: UTF8.self)))
            }
        }
    }

    @Test func storesReportsOnceFromOptionsAndFromAFile() async throws {
        let dir = (NSTemporaryDirectory() as NSString).appendingPathComponent("mailsift-feedback-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let one = ["feedback", "--data-dir", dir, "--message-id", "<a@example>", "--user", "bob", "--label", "spam", "--time", "100"]
        var (status, output) = try await Self.mailsift(one)
        #expect(status == 0 && output.contains("\"stored\": 1"))
        (status, output) = try await Self.mailsift(one)
        #expect(status == 0 && output.contains("\"duplicates\": 1"))
        let file = (dir as NSString).appendingPathComponent("reports.tsv")
        try "message_id\tuser\tlabel\ttime\n<a@example>\tbob\tham\t200\n<b@example>\tann\tspam\t300\n".write(toFile: file, atomically: true, encoding: .utf8)
        (status, output) = try await Self.mailsift(["feedback", "--data-dir", dir, "--file", file])
        #expect(status == 0 && output.contains("\"stored\": 2"))
        try "<c@example>\tann\tmaybe\n".write(toFile: file, atomically: true, encoding: .utf8)
        (status, _) = try await Self.mailsift(["feedback", "--data-dir", dir, "--file", file])
        #expect(status != 0)
        let stored = try await SQLiteStore(directory: dir).feedback(from: 0, through: 1_000)
        #expect(stored.map { "\($0.messageID) \($0.label.rawValue) \($0.time)" } == ["<a@example> spam 100", "<a@example> ham 200", "<b@example> spam 300"])
    }

    /// Without --data-dir the reports go to the PostgreSQL store of MAILSIFT_POSTGRES_URL; with neither, the
    /// command says what is missing.
    @Test func storesReportsInPostgreSQL() async throws {
        let postgres = try PostgresServer()
        let one = ["feedback", "--message-id", "<a@example>", "--user", "bob", "--label", "spam", "--time", "100"]
        var (status, output) = try await Self.mailsift(one, environment: ["MAILSIFT_POSTGRES_URL": postgres.url])
        #expect(status == 0 && output.contains("\"stored\": 1"))
        (status, output) = try await Self.mailsift(one, environment: ["MAILSIFT_POSTGRES_URL": postgres.url])
        #expect(status == 0 && output.contains("\"duplicates\": 1"))
        (status, _) = try await Self.mailsift(one)
        #expect(status != 0)
        let stored = try await PostgresStoreTests.withStore(postgres.url) { try await $0.feedback(from: 0, through: 1_000) }
        #expect(stored.map { "\($0.messageID) \($0.user) \($0.label.rawValue)" } == ["<a@example> bob spam"])
    }
}
