// swift-tools-version: 6.1
import PackageDescription

/// Compiler settings, set once and applied to every target.
let strictSettings: [SwiftSetting] = [
    .swiftLanguageMode(.v6),
    .enableUpcomingFeature("ExistentialAny"),
    .enableUpcomingFeature("MemberImportVisibility"),
]

let package = Package(
    name: "Mailsift",
    platforms: [.macOS(.v15)],
    products: [
        .library(name: "MailsiftCore", targets: ["MailsiftCore"]),
        .executable(name: "mailsift", targets: ["mailsift"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.8.2"),
        .package(url: "https://github.com/jpsim/Yams", from: "6.0.0"),
        .package(url: "https://github.com/hummingbird-project/hummingbird", from: "2.28.0"),
        .package(url: "https://github.com/swift-server/swift-service-lifecycle", from: "2.13.0"),
        .package(url: "https://github.com/swift-server/swift-prometheus", from: "2.4.0"),
        .package(url: "https://github.com/apple/swift-metrics", from: "2.13.0"),
        .package(url: "https://github.com/apple/swift-log", from: "1.16.0"),
        .package(url: "https://github.com/apple/swift-nio", from: "2.101.0"),
        .package(url: "https://github.com/groue/GRDB.swift", from: "7.10.0"),
        .package(url: "https://github.com/vapor/postgres-nio", from: "1.33.0"),
    ],
    targets: [
        // The pure core: parsing, decoding, normalisation, tokenisation. No I/O, no dependencies.
        .target(name: "MailsiftCore", swiftSettings: strictSettings),
        // XGBoost's C API (Debian libxgboost-dev), for the tree stage.
        .systemLibrary(name: "CXGBoost", path: "Sources/CXGBoost", providers: [.apt(["libxgboost-dev"])]),
        // The gradient-boosted tree stage: training and prediction through XGBoost.
        .target(name: "MailsiftTrees", dependencies: ["MailsiftCore", "CXGBoost"], swiftSettings: strictSettings),
        // Adapters used by the command line: corpus and split reading, training and evaluation runs, JSON
        // reports, benchmarks, and the default model (a resource).
        .target(
            name: "MailsiftApp", dependencies: ["MailsiftCore", "MailsiftTrees", .product(name: "Yams", package: "Yams")], resources: [.copy("Resources")], swiftSettings: strictSettings
        ),
        // The embedded store (SQLite through GRDB; Debian libsqlite3-dev): feedback, the feature log and
        // reputations in one database file in the data directory. The only target that imports GRDB.
        .target(
            name: "MailsiftSQLite", dependencies: ["MailsiftCore", .product(name: "GRDB", package: "GRDB.swift")], swiftSettings: strictSettings
        ),
        // The shared store for many servers and workers (PostgreSQL through postgres-nio): feedback, the
        // feature log, reputations and the model registry. The only target that imports PostgresNIO.
        .target(
            name: "MailsiftPostgres",
            dependencies: ["MailsiftCore", .product(name: "PostgresNIO", package: "postgres-nio"), .product(name: "Logging", package: "swift-log"), .product(name: "NIOCore", package: "swift-nio")],
            swiftSettings: strictSettings
        ),
        // The shared sender state for many servers: Redis over a small RESP client on SwiftNIO (no Redis
        // client package is among the local packages; hiredis would need its own event loop beside NIO's).
        .target(
            name: "MailsiftRedis",
            dependencies: ["MailsiftCore", .product(name: "NIOCore", package: "swift-nio"), .product(name: "NIOPosix", package: "swift-nio")],
            swiftSettings: strictSettings
        ),
        // The server adapter: `mailsift serve` (HTTP API, Rspamd /checkv2, spamd and milter listeners, metrics,
        // hot reload). The only target with server dependencies, so the core's tests build without them.
        .target(
            name: "MailsiftServer",
            dependencies: [
                "MailsiftCore", "MailsiftTrees", "MailsiftApp", "MailsiftSQLite", "MailsiftRedis", "MailsiftPostgres",
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
                .product(name: "UnixSignals", package: "swift-service-lifecycle"),
                .product(name: "Prometheus", package: "swift-prometheus"),
                .product(name: "Metrics", package: "swift-metrics"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
            ],
            swiftSettings: strictSettings
        ),
        // The thin executable: argument parsing, then a call into MailsiftApp or MailsiftServer.
        .executableTarget(
            name: "mailsift",
            dependencies: [
                "MailsiftApp", "MailsiftServer", "MailsiftRedis", "MailsiftSQLite", "MailsiftPostgres", "MailsiftCore",
                .product(name: "ArgumentParser", package: "swift-argument-parser"), .product(name: "Logging", package: "swift-log"),
            ],
            swiftSettings: strictSettings
        ),
        .testTarget(
            name: "MailsiftCoreTests",
            dependencies: ["MailsiftCore", "MailsiftTrees", "MailsiftApp"],
            resources: [.copy("Fixtures")],
            swiftSettings: strictSettings
        ),
        .testTarget(
            name: "MailsiftStoreTests",
            dependencies: ["MailsiftSQLite", "MailsiftRedis", "MailsiftPostgres", "MailsiftCore", .product(name: "NIOCore", package: "swift-nio"), .product(name: "Logging", package: "swift-log")],
            swiftSettings: strictSettings
        ),
        .testTarget(
            name: "MailsiftServerTests",
            dependencies: ["MailsiftServer", "MailsiftCore", "MailsiftApp", .product(name: "HummingbirdTesting", package: "hummingbird")],
            swiftSettings: strictSettings
        ),
    ]
)
