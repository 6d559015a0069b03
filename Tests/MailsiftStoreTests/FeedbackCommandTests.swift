import Foundation
import Logging
import MailsiftCommandLine
import MailsiftCore
import MailsiftFiles
import MailsiftPostgres
import MailsiftSQLite
import MailsiftTestKit
import Testing

/// `mailsift feedback`: its file format, the stores it writes to (opened as `serve` opens them), and one
/// end-to-end run of the built executable.
@Suite struct FeedbackCommandTests {
    @Test func readsReportFiles() throws {
        let reports = try FeedbackFile.parse("message_id\tuser\tlabel\ttime\n<a@example>\tbob\tham\t200\n\n<b@example>\tann\tspam\n", now: 7)
        #expect(reports.map { "\($0.messageID) \($0.user) \($0.label.rawValue) \($0.time)" } == ["<a@example> bob ham 200", "<b@example> ann spam 7"])
        #expect(throws: FeedbackFile.Invalid(line: 1, reason: "expected message_id, user, spam or ham, [time]")) {
            try FeedbackFile.parse("<c@example>\tann\tmaybe\n", now: 0)
        }
        #expect(throws: FeedbackFile.Invalid(line: 2, reason: "the time is not a number")) {
            try FeedbackFile.parse("<a@example>\tbob\tham\t1\n<c@example>\tann\tspam\tsoon\n", now: 0)
        }
    }

    @Test func storesReportsOnceInADataDirectory() async throws {
        let dir = (NSTemporaryDirectory() as NSString).appendingPathComponent("mailsift-feedback-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let one = [Feedback(messageID: "<a@example>", user: "bob", label: .spam, time: 100)]
        let logger = Logger(label: "test")
        #expect(try await Stores.with(dataDirectory: dir, postgresURL: nil, logger: logger) { try await FeedbackCommand.run(one, store: $0.learning) }
            == "{\"stored\": 1, \"duplicates\": 0}")
        let more = one + (try FeedbackFile.parse("<a@example>\tbob\tham\t200\n<b@example>\tann\tspam\t300\n", now: 0))
        #expect(try await Stores.with(dataDirectory: dir, postgresURL: nil, logger: logger) { try await FeedbackCommand.run(more, store: $0.learning) }
            == "{\"stored\": 2, \"duplicates\": 1}")
        let stored = try await SQLiteStore(directory: dir).feedback(from: 0, through: 1_000)
        #expect(stored.map { "\($0.messageID) \($0.label.rawValue) \($0.time)" } == ["<a@example> spam 100", "<a@example> ham 200", "<b@example> spam 300"])
        // Opening the data directory leaves no model registry folder until a model is registered.
        #expect(!FileManager.default.fileExists(atPath: (dir as NSString).appendingPathComponent("models")))
    }

    /// The shared store: reports go to PostgreSQL; neither store, or both, is refused.
    @Test func storesReportsInPostgreSQL() async throws {
        let postgres = try PostgresServer()
        let one = [Feedback(messageID: "<a@example>", user: "bob", label: .spam, time: 100)]
        let logger = Logger(label: "test")
        for expected in ["{\"stored\": 1, \"duplicates\": 0}", "{\"stored\": 0, \"duplicates\": 1}"] {
            #expect(try await Stores.with(dataDirectory: nil, postgresURL: postgres.url, logger: logger) { try await FeedbackCommand.run(one, store: $0.learning) }
                == expected)
        }
        await #expect(throws: Stores.OpenError.self) { try await Stores.with(dataDirectory: nil, postgresURL: nil, logger: logger) { _ in 0 } }
        await #expect(throws: Stores.OpenError.self) { try await Stores.with(dataDirectory: "/tmp/x", postgresURL: postgres.url, logger: logger) { _ in 0 } }
        let stored = try await PostgresStoreTests.withStore(postgres.url) { try await $0.feedback(from: 0, through: 1_000) }
        #expect(stored.map { "\($0.messageID) \($0.user) \($0.label.rawValue)" } == ["<a@example> bob spam"])
    }

    /// The executable end to end: arguments parsed, the store opened, the reports stored, the reply printed,
    /// and a bad file refused with a non-zero status.
    @Test func theExecutableStoresReports() async throws {
        let dir = (NSTemporaryDirectory() as NSString).appendingPathComponent("mailsift-feedback-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let one = ["feedback", "--data-dir", dir, "--message-id", "<a@example>", "--user", "bob", "--label", "spam", "--time", "100"]
        var (status, output) = try await MailsiftProcess.run(one)
        #expect(status == 0 && output.contains("\"stored\": 1"))
        (status, output) = try await MailsiftProcess.run(one)
        #expect(status == 0 && output.contains("\"duplicates\": 1"))
        let file = (dir as NSString).appendingPathComponent("reports.tsv")
        try "<c@example>\tann\tmaybe\n".write(toFile: file, atomically: true, encoding: .utf8)
        (status, _) = try await MailsiftProcess.run(["feedback", "--data-dir", dir, "--file", file])
        #expect(status != 0)
    }
}
