import ArgumentParser
import Foundation
import MailsiftCommandLine
import MailsiftCore
import MailsiftFiles

extension Mailsift {
    struct Feedback: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "feedback",
            abstract: "Store users' reports (spam / ham) in a data directory or PostgreSQL: one from the options, or many from a TSV file.",
            discussion: """
            The same store as POST /v1/feedback (docs/learning.md): durable and idempotent (a report already stored, \
            same message, user and time, is counted as a duplicate). Reports stored this way are used by \
            `mailsift retrain`; a running server learns reputations only from reports sent to its API.
            """
        )

        @OptionGroup var stores: StoreOption
        @Option(help: "The message's id, as its verdict gave it.")
        var messageId: String?
        @Option(help: "Who reports it.")
        var user: String?
        @Option(help: "spam or ham.")
        var label: String?
        @Option(help: "When it was reported (Unix seconds; default now).")
        var time: Int64?
        @Option(help: "A TSV file of reports: message_id, user, label, time (a header line is skipped).")
        var file: String?

        func run() async throws {
            let now = Int64(Date().timeIntervalSince1970)
            var reports: [MailsiftCore.Feedback] = []
            if let file {
                guard let text = try? String(contentsOfFile: file, encoding: .utf8) else { throw ValidationError("cannot read \(file)") }
                do {
                    reports = try FeedbackFile.parse(text, now: now)
                } catch {
                    throw ValidationError("\(file):\(error.line): \(error.reason)")
                }
            }
            if let messageId {
                guard let user, let label = label.flatMap(MailsiftCore.Feedback.Label.init(rawValue:)) else {
                    throw ValidationError("--message-id needs --user and --label spam or ham")
                }
                reports.append(MailsiftCore.Feedback(messageID: messageId, user: user, label: label, time: time ?? now))
            }
            guard !reports.isEmpty else { throw ValidationError("give --message-id, --user and --label, or --file") }
            print(try await stores.withStores { try await FeedbackCommand.run(reports, store: $0.learning) })
        }
    }
}
