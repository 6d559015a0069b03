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
        // The thin executable: argument parsing, then a call into MailsiftApp.
        .executableTarget(
            name: "mailsift",
            dependencies: [
                "MailsiftApp",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
            ],
            swiftSettings: strictSettings
        ),
        .testTarget(
            name: "MailsiftCoreTests",
            dependencies: ["MailsiftCore", "MailsiftTrees", "MailsiftApp"],
            resources: [.copy("Fixtures")],
            swiftSettings: strictSettings
        ),
    ]
)
