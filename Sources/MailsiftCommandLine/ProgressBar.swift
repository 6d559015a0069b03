import Foundation
import MailsiftTraining

/// A one-line progress bar on standard error, drawn only when it is a terminal (so logs and pipes stay
/// clean). Safe to call from several threads.
public final class ProgressBar: ProgressReporter, @unchecked Sendable {
    private let total: Int
    private let title: String
    private var done = 0
    private var lastDrawn = -1
    private let lock = NSLock()
    private let enabled = isatty(STDERR_FILENO) != 0

    public init(title: String, total: Int) {
        self.title = title
        self.total = max(total, 1)
    }

    public func advance(by n: Int = 1) {
        guard enabled else { return }
        lock.lock()
        defer { lock.unlock() }
        done += n
        let percent = min(done * 100 / total, 100)
        guard percent != lastDrawn else { return }
        lastDrawn = percent
        let width = 30
        let filled = percent * width / 100
        let bar = String(repeating: "=", count: filled) + String(repeating: " ", count: width - filled)
        FileHandle.standardError.write(Data("\r\(title) [\(bar)] \(percent)%".utf8))
    }

    public func finish() {
        guard enabled else { return }
        FileHandle.standardError.write(Data("\r\u{1B}[K".utf8))
    }
}
