import MailsiftCore
import MailsiftFiles

/// `mailsift feedback`: users' reports stored as `POST /v1/feedback` stores them (durable, idempotent: a report
/// already stored, same message, user and time, counts as a duplicate).
public enum FeedbackCommand {
    /// Stores `reports`; returns the JSON line the command prints (`{"stored": N, "duplicates": M}`).
    public static func run(_ reports: [Feedback], store: any FeedbackStore) async throws -> String {
        var stored = 0
        for r in reports where try await store.record(r) { stored += 1 }
        return "{\"stored\": \(stored), \"duplicates\": \(reports.count - stored)}"
    }
}
