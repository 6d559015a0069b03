/// A rule's regular expression (Swift `Regex` syntax; `(?i)` for case-insensitive), compiled once.
struct Pattern: @unchecked Sendable {
    // Regex holds no mutable shared state once built; matching from several threads is safe.
    let source: String
    private let regex: Regex<AnyRegexOutput>

    init(_ source: String) throws {
        self.source = source
        regex = try Regex(source)
    }

    /// Whether the pattern matches anywhere in the first 64 KB of `text` (bounded time per message).
    func matches(_ text: String) -> Bool {
        let limited = text.utf8.count > 65_536 ? String(decoding: text.utf8.prefix(65_536), as: UTF8.self) : text
        return (try? regex.firstMatch(in: limited)) != nil
    }
}
