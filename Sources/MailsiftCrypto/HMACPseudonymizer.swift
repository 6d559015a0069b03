import Crypto
import Foundation
import MailsiftCore

/// The ``Pseudonymizer`` port on swift-crypto: HMAC-SHA-256 of the lower-cased value under the site's secret, the
/// first 96 bits in hex behind `~` (so a pseudonym is told from an address at a glance).
public struct HMACPseudonymizer: Pseudonymizer {
    private let key: SymmetricKey

    /// `secret`: at least 16 bytes (`privacy_key`).
    public init?(secret: String) {
        guard secret.utf8.count >= 16 else { return nil }
        key = SymmetricKey(data: Data(secret.utf8))
    }

    public func pseudonym(_ value: String) -> String {
        let mac = HMAC<SHA256>.authenticationCode(for: Data(value.lowercased().utf8), using: key)
        return "~" + mac.prefix(12).map { String(format: "%02x", $0) }.joined()
    }
}
