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
        .package(url: "https://github.com/apple/swift-crypto", from: "4.5.2"),
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
        // OpenBLAS's CBLAS (Debian libopenblas-dev), for the sentence encoder.
        .systemLibrary(name: "COpenBLAS", path: "Sources/COpenBLAS", providers: [.apt(["libopenblas-dev"])]),
        // DNS for sender authentication: libunbound behind the core's DNSResolver port, and the Public Suffix List
        // (libpsl) behind its PublicSuffixes port.
        .systemLibrary(name: "CUnbound", path: "Sources/CUnbound", providers: [.apt(["libunbound-dev"])]),
        .systemLibrary(name: "CPSL", path: "Sources/CPSL", providers: [.apt(["libpsl-dev"])]),
        // Attachments: content types from libmagic, archives listed with libarchive (Debian libmagic-dev,
        // libarchive-dev), behind the core's AttachmentInspector port.
        // Images: PNG, JPEG, GIF and WebP decoded to luminance for the perceptual hash (Debian libpng-dev,
        // libturbojpeg0-dev, libgif-dev, libwebp-dev), behind the core's ImageDecoder port.
        .systemLibrary(name: "CPNG", path: "Sources/CPNG", providers: [.apt(["libpng-dev"])]),
        .systemLibrary(name: "CTurboJPEG", path: "Sources/CTurboJPEG", providers: [.apt(["libturbojpeg0-dev"])]),
        .systemLibrary(name: "CGIF", path: "Sources/CGIF", providers: [.apt(["libgif-dev"])]),
        .systemLibrary(name: "CWebP", path: "Sources/CWebP", providers: [.apt(["libwebp-dev"])]),
        .target(name: "MailsiftImages", dependencies: ["MailsiftCore", "CPNG", "CTurboJPEG", "CGIF", "CWebP"], swiftSettings: strictSettings),
        // Language: CLD2 (Debian libcld2-dev), whose API is C++, behind a C interface; libcld2_full's 160-language
        // tables linked before libcld2 take the place of its 83-language ones. Behind the core's LanguageDetector port.
        .target(
            name: "CCLD2", path: "Sources/CCLD2",
            linkerSettings: [.linkedLibrary("cld2_full"), .linkedLibrary("cld2"), .linkedLibrary("stdc++")]),
        .target(name: "MailsiftLanguage", dependencies: ["MailsiftCore", "CCLD2"], swiftSettings: strictSettings),
        .systemLibrary(name: "CMagic", path: "Sources/CMagic", providers: [.apt(["libmagic-dev"])]),
        .systemLibrary(name: "CArchive", path: "Sources/CArchive", providers: [.apt(["libarchive-dev"])]),
        .target(
            name: "MailsiftAttachments", dependencies: ["MailsiftCore", "CMagic", "CArchive", .product(name: "Crypto", package: "swift-crypto")],
            swiftSettings: strictSettings),
        .target(name: "MailsiftDNS", dependencies: ["MailsiftCore", "CUnbound", "CPSL"], swiftSettings: strictSettings),
        // DKIM's cryptography (SHA, RSA PKCS#1 v1.5, Ed25519) on swift-crypto, behind the core's DKIMCrypto port.
        .target(
            name: "MailsiftCrypto",
            dependencies: ["MailsiftCore", .product(name: "Crypto", package: "swift-crypto"), .product(name: "_CryptoExtras", package: "swift-crypto")],
            swiftSettings: strictSettings),
        // The transformer stage's sentence encoder: all-MiniLM-L6-v2 (BERT) from its safetensors weights, run on
        // OpenBLAS in FP32 or INT8. Behind the core's SentenceEncoder port.
        .target(name: "MailsiftEncoder", dependencies: ["MailsiftCore", "COpenBLAS"], swiftSettings: strictSettings),
        // The gradient-boosted tree stage: training and prediction through XGBoost.
        .target(name: "MailsiftTrees", dependencies: ["MailsiftCore", "CXGBoost"], swiftSettings: strictSettings),
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
        // Files: model bundle files and the shipped default model and rules (resources), rules YAML, corpus and
        // split readers, the directory model registry, feedback TSV files, the one model loader and the one
        // function that opens the configured stores (SQLite or PostgreSQL) for the server and the command line.
        .target(
            name: "MailsiftFiles",
            dependencies: ["MailsiftCore", "MailsiftSQLite", "MailsiftPostgres", .product(name: "Yams", package: "Yams"), .product(name: "Logging", package: "swift-log")],
            resources: [.copy("Resources")], swiftSettings: strictSettings
        ),
        // Training: training runs, evaluation of labelled messages, the stacked cascade's training, retraining
        // behind the gate and the replay of the feedback loop. Takes messages, bundles and stores, not paths.
        .target(name: "MailsiftTraining", dependencies: ["MailsiftCore", "MailsiftTrees"], swiftSettings: strictSettings),
        // What each subcommand does and prints (the executable only parses arguments and calls one of these).
        .target(
            name: "MailsiftCommandLine", dependencies: ["MailsiftCore", "MailsiftTrees", "MailsiftFiles", "MailsiftTraining", "MailsiftEncoder"], swiftSettings: strictSettings
        ),
        // Benchmarks (`mailsift bench ...`): parse and classify throughput, sender-state updates against Redis.
        .target(name: "MailsiftBenchmarks", dependencies: ["MailsiftCore", "MailsiftTrees", "MailsiftRedis"], swiftSettings: strictSettings),
        // The server adapter: `mailsift serve` (HTTP API, Rspamd /checkv2, spamd and milter listeners, metrics,
        // hot reload). The only target with server dependencies, so the core's tests build without them.
        .target(
            name: "MailsiftServer",
            dependencies: [
                "MailsiftCore", "MailsiftTrees", "MailsiftFiles", "MailsiftRedis", "MailsiftPostgres", "MailsiftEncoder", "MailsiftDNS", "MailsiftCrypto",
                "MailsiftAttachments", "MailsiftImages", "MailsiftLanguage",
                .product(name: "Yams", package: "Yams"),
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
        // The thin executable: one file per subcommand, each parsing arguments and calling one library function.
        .executableTarget(
            name: "mailsift",
            dependencies: [
                "MailsiftCore", "MailsiftFiles", "MailsiftTraining", "MailsiftCommandLine", "MailsiftBenchmarks", "MailsiftServer", "MailsiftTestKit", "MailsiftRedis", "MailsiftEncoder",
                "MailsiftDNS", "MailsiftCrypto", "MailsiftAttachments", "MailsiftLanguage",
                .product(name: "ArgumentParser", package: "swift-argument-parser"), .product(name: "Logging", package: "swift-log"),
            ],
            swiftSettings: strictSettings
        ),
        // What the three test targets share: the shipped model through the product's loader, the repository's
        // paths, loopback sockets, and real Redis and PostgreSQL servers started for a test.
        .target(
            name: "MailsiftTestKit", dependencies: ["MailsiftCore", "MailsiftTrees", "MailsiftFiles", "MailsiftDNS"], path: "Tests/MailsiftTestKit",
            swiftSettings: strictSettings
        ),
        .testTarget(
            name: "MailsiftCoreTests",
            dependencies: [
                "MailsiftCore", "MailsiftTrees", "MailsiftFiles", "MailsiftTraining", "MailsiftCommandLine", "MailsiftTestKit", "MailsiftEncoder",
                .product(name: "Yams", package: "Yams"),
            ],
            resources: [.copy("Fixtures")],
            swiftSettings: strictSettings
        ),
        .testTarget(
            name: "MailsiftDNSTests", dependencies: ["MailsiftDNS", "MailsiftCrypto", "MailsiftCore", "MailsiftTestKit"],
            resources: [.copy("Fixtures")], swiftSettings: strictSettings
        ),
        .testTarget(
            name: "MailsiftStoreTests",
            dependencies: ["MailsiftSQLite", "MailsiftRedis", "MailsiftPostgres", "MailsiftCore", "MailsiftFiles", "MailsiftCommandLine", "MailsiftBenchmarks", "MailsiftServer", "MailsiftTestKit", .product(name: "NIOCore", package: "swift-nio"), .product(name: "Logging", package: "swift-log")],
            swiftSettings: strictSettings
        ),
        .testTarget(
            name: "MailsiftServerTests",
            dependencies: ["MailsiftServer", "MailsiftCore", "MailsiftFiles", "MailsiftTrees", "MailsiftTestKit", "MailsiftEncoder", "MailsiftAttachments", "MailsiftImages", "MailsiftLanguage", .product(name: "HummingbirdTesting", package: "hummingbird")],
            resources: [.copy("Fixtures")],
            swiftSettings: strictSettings
        ),
    ]
)
