import Crypto
import Foundation
import MailsiftCore
import _CryptoExtras

/// The DKIM port's cryptography (``DKIMCrypto``) on swift-crypto: SHA-256 and SHA-1, RSASSA-PKCS1-v1_5
/// (`_CryptoExtras`, keys of 1024 bits or more, as RFC 8301 still lets verifiers accept) and Ed25519 (RFC 8463).
public struct SwiftCryptoDKIM: DKIMCrypto {
    public init() {}

    public func hash(_ data: [UInt8], sha1: Bool) -> [UInt8] {
        sha1 ? Array(Insecure.SHA1.hash(data: data)) : Array(SHA256.hash(data: data))
    }

    public func verifyRSA(publicKey: [UInt8], signature: [UInt8], data: [UInt8], sha1: Bool) -> Bool? {
        guard let key = try? _RSA.Signing.PublicKey(unsafeDERRepresentation: publicKey) else { return nil }
        let s = _RSA.Signing.RSASignature(rawRepresentation: signature)
        return sha1
            ? key.isValidSignature(s, for: Insecure.SHA1.hash(data: data), padding: .insecurePKCS1v1_5)
            : key.isValidSignature(s, for: SHA256.hash(data: data), padding: .insecurePKCS1v1_5)
    }

    public func verifyEd25519(publicKey: [UInt8], signature: [UInt8], message: [UInt8]) -> Bool? {
        guard let key = try? Curve25519.Signing.PublicKey(rawRepresentation: publicKey) else { return nil }
        return key.isValidSignature(signature, for: message)
    }
}
