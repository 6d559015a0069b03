import ArgumentParser
import Foundation
import MailsiftCore
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
        @Argument(help: "The address to erase.")
        var address: String

        func run() async throws {
            guard address.contains("@") else { throw ValidationError("give an address (user@domain)") }
            var counts = try await stores.withStores { stores -> ErasureCounts in
                guard let eraser = stores.learning as? any PersonalDataEraser else { throw ValidationError("this store cannot erase") }
                return try await eraser.erase(address: address)
            }
            if let redisUrl {
                let client = try RedisClient(url: redisUrl)
                counts.sharedStateKeys = try await RedisSenderStateStore(client: client).erase(address: address)
            }
            let encoder = JSONEncoder()
            encoder.outputFormatting = [.sortedKeys]
            encoder.keyEncodingStrategy = .convertToSnakeCase
            print(String(decoding: try encoder.encode(counts), as: UTF8.self))
        }
    }
}
