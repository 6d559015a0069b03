import MailsiftCore

/// A file of users' reports for `mailsift feedback --file`: TSV lines of message id, user, `spam` or `ham`,
/// and optionally the time (Unix seconds; empty or missing: `now`). A header line starting `message_id` is
/// skipped, as are empty lines.
public enum FeedbackFile {
    public struct Invalid: Error, CustomStringConvertible, Equatable {
        /// The 1-based line number, counting only non-empty lines as the file's lines are split.
        public var line: Int
        public var reason: String
        public var description: String { "line \(line): \(reason)" }

        public init(line: Int, reason: String) {
            self.line = line
            self.reason = reason
        }
    }

    public static func parse(_ text: String, now: Int64) throws(Invalid) -> [Feedback] {
        var reports: [Feedback] = []
        for (n, line) in text.split(separator: "\n").enumerated() where !line.isEmpty && !line.hasPrefix("message_id\t") {
            let cols = line.split(separator: "\t", omittingEmptySubsequences: false).map(String.init)
            guard cols.count >= 3, let label = Feedback.Label(rawValue: cols[2]) else {
                throw Invalid(line: n + 1, reason: "expected message_id, user, spam or ham, [time]")
            }
            let time = cols.count > 3 && !cols[3].isEmpty ? Int64(cols[3]) : now
            guard let time else { throw Invalid(line: n + 1, reason: "the time is not a number") }
            reports.append(Feedback(messageID: cols[0], user: cols[1], label: label, time: time))
        }
        return reports
    }
}
