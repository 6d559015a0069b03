import Foundation
import MailsiftTestKit
@testable import MailsiftCore

/// Shared helpers: fixture loading and the shared corpus location.
enum TestSupport {
    static func fixture(_ name: String) throws -> [UInt8] {
        guard let url = Bundle.module.url(forResource: name, withExtension: nil, subdirectory: "Fixtures") else {
            throw FixtureMissing(name: name)
        }
        return [UInt8](try Data(contentsOf: url))
    }

    struct FixtureMissing: Error { var name: String }

    static func parse(_ text: String) throws -> Message {
        try MessageParser().parse(Array(text.utf8))
    }

    static var corpusRoot: URL? { TestPaths.corpusRoot }
    static var repositoryRoot: URL { TestPaths.repositoryRoot }
}
