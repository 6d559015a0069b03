import Foundation

/// Headless Chromium (Debian `chromium`), for the tests that load Mailsift's HTML (the evaluation report) in a real
/// browser: the DOM after load, the console messages, and a screenshot kept under `.build/screenshots/` (a CI
/// artefact, never committed).
public enum Chromium {
    public static var executable: String? {
        ["/usr/bin/chromium", "/usr/bin/chromium-browser", "/usr/bin/google-chrome"].first { FileManager.default.isExecutableFile(atPath: $0) }
    }

    public struct Page: Sendable {
        /// The document as serialised after load.
        public var dom: String
        /// What the page wrote to its console (lines Chromium logs as `CONSOLE`), errors included.
        public var console: [String]
        public var screenshot: String
    }

    public struct Failure: Error, CustomStringConvertible {
        public var description: String
    }

    /// Loads `url` twice, headless: once for the DOM and the console, once for a screenshot named `name`.
    public static func load(_ url: String, screenshot name: String, size: (Int, Int) = (1200, 2400)) throws -> Page {
        guard let executable else { throw Failure(description: "chromium is not installed") }
        let profile = NSTemporaryDirectory() + "mailsift-chromium-\(UUID().uuidString)"
        defer { try? FileManager.default.removeItem(atPath: profile) }
        let common = [
            "--headless", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage", "--no-first-run", "--disable-extensions", "--user-data-dir=\(profile)",
            "--enable-logging=stderr", "--v=0", "--virtual-time-budget=5000",
        ]
        let (dom, log) = try run(executable, common + ["--dump-dom", url])
        let shots = TestPaths.repositoryRoot.appendingPathComponent(".build/screenshots")
        try FileManager.default.createDirectory(at: shots, withIntermediateDirectories: true)
        let path = shots.appendingPathComponent(name + ".png").path
        _ = try run(executable, common + ["--hide-scrollbars", "--window-size=\(size.0),\(size.1)", "--screenshot=\(path)", url])
        let console = log.split(separator: "\n").filter { $0.contains(":CONSOLE") }.map(String.init)
        return Page(dom: dom, console: console, screenshot: path)
    }

    /// Runs Chromium, killed past 90 s: its standard output and error.
    static func run(_ executable: String, _ arguments: [String]) throws -> (String, String) {
        let p = Process()
        p.executableURL = URL(fileURLWithPath: executable)
        p.arguments = arguments
        let out = Pipe(), err = Pipe()
        p.standardOutput = out
        p.standardError = err
        try p.run()
        let deadline = DispatchTime.now() + .seconds(90)
        DispatchQueue.global().asyncAfter(deadline: deadline) { if p.isRunning { p.terminate() } }
        let stdout = out.fileHandleForReading.readDataToEndOfFile()
        let stderr = err.fileHandleForReading.readDataToEndOfFile()
        p.waitUntilExit()
        return (String(decoding: stdout, as: UTF8.self), String(decoding: stderr, as: UTF8.self))
    }
}
