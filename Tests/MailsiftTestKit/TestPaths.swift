import Foundation

/// Where the tests find the repository's files, the shared corpus and the built executable.
public enum TestPaths {
    public static var repositoryRoot: URL {
        URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
    }

    /// `../shared/corpus` beside the repository root, when present.
    public static var corpusRoot: URL? {
        let corpus = repositoryRoot.deletingLastPathComponent().appendingPathComponent("shared/corpus")
        return FileManager.default.fileExists(atPath: corpus.path) ? corpus : nil
    }

    /// The debug build's `mailsift` (`swift build` makes it; `swift build --build-tests` too).
    public static var mailsiftBinary: String { repositoryRoot.appendingPathComponent(".build/debug/mailsift").path }
}
