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
    ],
    targets: [
        // The pure core: parsing, decoding, normalisation, tokenisation. No I/O, no dependencies.
        .target(name: "MailsiftCore", swiftSettings: strictSettings),
        // Adapters used by the command line: corpus and split reading, training and evaluation runs, JSON
        // reports, benchmarks, and the default model (a resource).
        .target(
            name: "MailsiftApp", dependencies: ["MailsiftCore"], resources: [.copy("Resources")], swiftSettings: strictSettings
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
            dependencies: ["MailsiftCore", "MailsiftApp"],
            resources: [.copy("Fixtures")],
            swiftSettings: strictSettings
        ),
    ]
)
