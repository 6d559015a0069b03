import Crypto
import Foundation
import MailsiftCore

/// The ``Pseudonymizer`` port on swift-crypto: HMAC-SHA-256 of the lower-cased value under the site's secret, the
/// first 96 bits in hex behind `~` (so a pseudonym is told from an address at a glance). The keyed state is made once
/// and copied per value; the hex is written from a table (`String(format:)` per byte cost more than the MAC).
public struct HMACPseudonymizer: Pseudonymizer {
    private let keyed: HMAC<SHA256>
    private static let hex = Array("0123456789abcdef".utf8)

    /// `secret`: at least 16 bytes (`privacy_key`).
    public init?(secret: String) {
        guard secret.utf8.count >= 16 else { return nil }
        keyed = HMAC<SHA256>(key: SymmetricKey(data: Data(secret.utf8)))
    }

    public func pseudonym(_ value: String) -> String {
        var h = keyed
        h.update(data: Array(value.lowercased().utf8))
        let mac = h.finalize()
        var out = [UInt8](repeating: 0, count: 25)
        out[0] = UInt8(ascii: "~")
        for (i, b) in mac.prefix(12).enumerated() {
            out[1 + 2 * i] = Self.hex[Int(b >> 4)]
            out[2 + 2 * i] = Self.hex[Int(b & 15)]
        }
        return String(decoding: out, as: UTF8.self)
    }
}
