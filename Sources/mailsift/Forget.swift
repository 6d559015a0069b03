import ArgumentParser
import Foundation
import MailsiftCore
import MailsiftCrypto
import MailsiftFiles
import MailsiftRedis

extension Mailsift {
    struct Forget: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Erase what Mailsift holds of one address: feedback, feature-log entries, recipient reputations, graph edges, and with --redis-url its keys in Redis (docs/privacy.md).",
            discussion: """
            Works on the store of a data directory (SQLite) or PostgreSQL (MAILSIFT_POSTGRES_URL). A running server keeps \
            its in-process copy of reputations and edges until it restarts; stop it first, or restart it after.
            """
        )

        @OptionGroup var stores: StoreOption
        @Option(help: "Redis of the servers' shared state (its keys naming the address are deleted too).")
        var redisUrl: String?
        @Option(help: "The servers' privacy_key (default MAILSIFT_PRIVACY_KEY): the address's pseudonym is erased too.")
        var privacyKey: String?
        @Argument(help: "The address to erase.")
        var address: String

        func run() async throws {
            guard address.contains("@") else { throw ValidationError("give an address (user@domain)") }
            // The address as written, and its pseudonym where the servers keep pseudonyms.
            var names = [address]
            if let key = privacyKey ?? ProcessInfo.processInfo.environment["MAILSIFT_PRIVACY_KEY"] {
                guard let p = HMACPseudonymizer(secret: key) else { throw ValidationError("the privacy key must be at least 16 bytes") }
                names.append(p.pseudonym(address))
            }
            var counts = ErasureCounts()
            for name in names {
                let c = try await stores.withStores { stores -> ErasureCounts in
                    guard let eraser = stores.learning as? any PersonalDataEraser else { throw ValidationError("this store cannot erase") }
                    return try await eraser.erase(address: name)
                }
                counts.feedback += c.feedback
                counts.featureLogEntries += c.featureLogEntries
                counts.reputations += c.reputations
                counts.graphEdges += c.graphEdges
                if let redisUrl { counts.sharedStateKeys += try await RedisSenderStateStore(client: try RedisClient(url: redisUrl)).erase(address: name) }
            }
            let encoder = JSONEncoder()
            encoder.outputFormatting = [.sortedKeys]
            encoder.keyEncodingStrategy = .convertToSnakeCase
            print(String(decoding: try encoder.encode(counts), as: UTF8.self))
        }
    }
}
