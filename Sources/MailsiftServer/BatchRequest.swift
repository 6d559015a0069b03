import Foundation
import MailsiftCore

/// The body of `POST /v1/classify/batch`: `{"messages": [{"id", "message" (base64), "envelope"}]}`. Decoding
/// is pure (no I/O), so the fuzzer runs it (Fuzz/RequestFuzzer.swift).
struct BatchRequest: Decodable {
    struct Item: Decodable, Sendable {
        var id: String?
        /// The raw message, base64.
        var message: String
        var envelope: BatchEnvelope?

        /// The message's bytes, or why there are none: not base64, or over `limit` bytes (an item whose text
        /// is over twice what `limit` bytes encode to, line breaks and all, is refused before it is decoded).
        func message(limit: Int) -> Result<[UInt8], ItemError> {
            guard message.utf8.count <= (limit / 3 + 1) * 8 else { return .failure(.tooLarge(limit)) }
            guard let bytes = Data(base64Encoded: message, options: .ignoreUnknownCharacters) else { return .failure(.notBase64) }
            guard bytes.count <= limit else { return .failure(.tooLarge(limit)) }
            return .success([UInt8](bytes))
        }
    }

    struct BatchEnvelope: Decodable, Sendable {
        var clientIp: String?
        var helo: String?
        var mailFrom: String?
        var recipients: [String]?
        var user: String?
        /// The envelope, with at most ``MilterSession/maxRecipients`` recipients (as an MTA's would have).
        var envelope: Envelope {
            Envelope(clientIP: clientIp, helo: helo, mailFrom: mailFrom, recipients: Array((recipients ?? []).prefix(MilterSession.maxRecipients)), user: user)
        }
    }

    enum ItemError: Error, CustomStringConvertible {
        case notBase64, tooLarge(Int)

        var description: String {
            switch self {
            case .notBase64: "message is not base64"
            case .tooLarge(let limit): "message larger than \(limit) bytes"
            }
        }
    }

    var messages: [Item]

    /// The items of a request body; throws the decoder's error for a body that is not the JSON above.
    static func decode(_ body: some Sequence<UInt8>) throws -> [Item] {
        let decoder = JSONDecoder()
        decoder.keyDecodingStrategy = .convertFromSnakeCase
        return try decoder.decode(BatchRequest.self, from: Data(body)).messages
    }
}
