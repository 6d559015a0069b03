import CPSL
import MailsiftCore

/// The Public Suffix List through libpsl (Debian `libpsl-dev`, which reads the newest of its built-in list and
/// Debian's `publicsuffix` package). The context is read-only once loaded, so it is shared between threads.
public final class LibPSL: PublicSuffixes, @unchecked Sendable {
    private let ctx: OpaquePointer
    /// Answers given before, by host name: DMARC asks about the same few domains for most mail.
    private let answers = BoundedCache<String, String?>(capacity: 50_000)

    public struct Unavailable: Error, CustomStringConvertible {
        public var description: String { "libpsl has no Public Suffix List" }
    }

    public init() throws {
        guard let ctx = psl_latest(nil) ?? psl_builtin() else { throw Unavailable() }
        self.ctx = ctx
    }

    deinit { psl_free(ctx) }

    public func organizationalDomain(_ host: String) -> String? {
        answers.value(host, making: lookUp)
    }

    private func lookUp(_ host: String) -> String? {
        var name = host.lowercased()
        while name.hasSuffix(".") { name.removeLast() }
        guard !name.isEmpty, name.utf8.count <= 253 else { return nil }
        return name.withCString { c in psl_registrable_domain(ctx, c).map { String(cString: $0) } }
    }
}
