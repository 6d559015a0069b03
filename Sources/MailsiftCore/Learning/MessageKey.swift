/// How a message is named across classification, feedback and the feature log: its Message-ID (angle
/// brackets kept, as clients show it), or, for a message without one, `xxh64:` and a hash of its bytes.
public enum MessageKey {
    public static func of(_ message: Message) -> String {
        if let id = message.messageID, !id.isEmpty { return id }
        return "xxh64:" + String(message.bytes.withUnsafeBytes { FeatureHash.xxh64($0) }, radix: 16)
    }
}
