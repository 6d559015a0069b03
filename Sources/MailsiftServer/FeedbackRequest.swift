import Foundation
import MailsiftCore

/// The body of `POST /v1/feedback`: one report `{"message_id", "user", "label", "time"}` or an array of them;
/// `time` (Unix seconds) defaults to now. Decoding is pure (no I/O), so the fuzzer runs it
/// (Fuzz/RequestFuzzer.swift); the reports are validated when they are recorded.
struct FeedbackRequest: Decodable {
    var messageId: String
    var user: String
    var label: Feedback.Label
    var time: Int64?

    /// The reports of a request body, their missing times set to `now`; throws the decoder's error for a body
    /// that is neither a report nor an array of them.
    static func decode(_ body: some Sequence<UInt8>, now: Int64) throws -> [Feedback] {
        let decoder = JSONDecoder()
        decoder.keyDecodingStrategy = .convertFromSnakeCase
        let data = Data(body)
        let items: [FeedbackRequest]
        if let many = try? decoder.decode([FeedbackRequest].self, from: data) {
            items = many
        } else {
            items = [try decoder.decode(FeedbackRequest.self, from: data)]
        }
        return items.map { Feedback(messageID: $0.messageId, user: $0.user, label: $0.label, time: $0.time ?? now) }
    }
}
