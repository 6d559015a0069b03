import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// Headless Chromium driven over the DevTools protocol (`--remote-debugging-pipe`: JSON messages ended by a NUL byte,
/// read by Chromium on descriptor 3 and written on 4), for tests that use a page as a person would: type into a
/// form, press its button, follow the redirect with the cookies set, read the DOM and every console message, error
/// or failed load, and take screenshots (under `.build/screenshots/`, a CI artefact, never committed).
public final class ChromiumSession: @unchecked Sendable {
    public struct Failure: Error, CustomStringConvertible {
        public var description: String
    }

    /// A console message, exception or browser log entry (a failed load, a refused script) of level warning or error.
    public struct Problem: Sendable, CustomStringConvertible {
        public var level: String
        public var text: String
        public var description: String { "\(level): \(text)" }
    }

    private let pid: pid_t
    private let toBrowser: Int32
    private let fromBrowser: Int32
    private let profile: String
    private let condition = NSCondition()
    private var messages: [[String: Any]] = []
    private var closed = false
    private var nextID = 0
    private var sessionID = ""
    private var reported: [Problem] = []

    /// Problems reported since the session started (or since ``clearProblems()``).
    public var problems: [Problem] {
        condition.lock()
        defer { condition.unlock() }
        return reported
    }

    public func clearProblems() {
        condition.lock()
        reported = []
        condition.unlock()
    }

    /// Starts Chromium with one blank page, attached. Call ``close()`` when done.
    public init(width: Int = 1280, height: Int = 1600) throws {
        guard let executable = Chromium.executable else { throw Failure(description: "chromium is not installed") }
        profile = NSTemporaryDirectory() + "mailsift-chromium-\(UUID().uuidString)"
        var input: [Int32] = [0, 0], output: [Int32] = [0, 0]
        guard pipe(&input) == 0, pipe(&output) == 0 else { throw Failure(description: "pipe: \(errno)") }
        let arguments = [
            executable, "--headless", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage", "--no-first-run", "--disable-extensions",
            "--hide-scrollbars", "--user-data-dir=\(profile)", "--remote-debugging-pipe", "about:blank",
        ]
        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        posix_spawn_file_actions_adddup2(&actions, input[0], 3)
        posix_spawn_file_actions_adddup2(&actions, output[1], 4)
        let devNull = open("/dev/null", O_WRONLY)
        posix_spawn_file_actions_adddup2(&actions, devNull, 1)
        posix_spawn_file_actions_adddup2(&actions, devNull, 2)
        let argv = arguments.map { strdup($0) } + [nil]
        defer { for a in argv { free(a) } }
        var child: pid_t = 0
        let spawned = posix_spawn(&child, executable, &actions, nil, argv, environ)
        Glibc.close(input[0])
        Glibc.close(output[1])
        Glibc.close(devNull)
        guard spawned == 0 else { throw Failure(description: "posix_spawn \(executable): \(spawned)") }
        pid = child
        toBrowser = input[1]
        fromBrowser = output[0]
        // The reader holds the session until Chromium's end closes the pipe (``close()``).
        let reader = Thread { self.readLoop() }
        reader.start()
        let target = try call("Target.createTarget", ["url": "about:blank"])
        guard let targetID = target["targetId"] as? String else { throw Failure(description: "no target: \(target)") }
        let attached = try call("Target.attachToTarget", ["targetId": targetID, "flatten": true])
        guard let session = attached["sessionId"] as? String else { throw Failure(description: "not attached: \(attached)") }
        sessionID = session
        for domain in ["Page.enable", "Runtime.enable", "Log.enable"] { _ = try call(domain, [:], session: true) }
        _ = try call("Emulation.setDeviceMetricsOverride", ["width": width, "height": height, "deviceScaleFactor": 1, "mobile": false], session: true)
    }

    deinit { close() }

    /// Ends Chromium and removes its profile.
    public func close() {
        condition.lock()
        let wasClosed = closed
        closed = true
        condition.unlock()
        guard !wasClosed else { return }
        kill(pid, SIGKILL)
        var status: Int32 = 0
        waitpid(pid, &status, 0)
        Glibc.close(toBrowser)
        try? FileManager.default.removeItem(atPath: profile)
    }

    // MARK: - What a test does

    /// Goes to `url` and waits for the page's load event.
    public func navigate(_ url: String) throws {
        try loading { _ = try call("Page.navigate", ["url": url], session: true) }
    }

    /// Runs `action` (which starts a navigation: a click on a submit button) and waits for the next page's load event.
    public func loading(_ action: () throws -> Void) throws {
        let mark = markLoad()
        try action()
        try waitForLoad(after: mark)
    }

    /// The value of a JavaScript expression in the page (strings, numbers, booleans, null).
    @discardableResult
    public func evaluate(_ expression: String) throws -> Any? {
        let r = try call("Runtime.evaluate", ["expression": expression, "returnByValue": true, "awaitPromise": true], session: true)
        if let exception = r["exceptionDetails"] { throw Failure(description: "\(expression): \(exception)") }
        return (r["result"] as? [String: Any])?["value"]
    }

    /// Sets a form field's value (the first element matching `selector`).
    public func fill(_ selector: String, _ value: String) throws {
        try evaluate("document.querySelector(\(Self.quoted(selector))).value = \(Self.quoted(value))")
    }

    /// Clicks the first element matching `selector` and waits for the page it loads.
    public func click(_ selector: String) throws {
        try loading { try evaluate("document.querySelector(\(Self.quoted(selector))).click()") }
    }

    public var url: String { (try? evaluate("location.href") as? String) ?? "" }
    public var html: String { (try? evaluate("document.documentElement.outerHTML") as? String) ?? "" }
    /// The page's visible text.
    public var text: String { (try? evaluate("document.body ? document.body.innerText : ''") as? String) ?? "" }

    /// Saves a screenshot of the page as `.build/screenshots/NAME.png`; returns its path.
    @discardableResult
    public func screenshot(_ name: String) throws -> String {
        let r = try call("Page.captureScreenshot", ["format": "png", "captureBeyondViewport": true], session: true)
        guard let base64 = r["data"] as? String, let data = Data(base64Encoded: base64) else { throw Failure(description: "no screenshot") }
        let shots = TestPaths.repositoryRoot.appendingPathComponent(".build/screenshots")
        try FileManager.default.createDirectory(at: shots, withIntermediateDirectories: true)
        let path = shots.appendingPathComponent(name + ".png")
        try data.write(to: path)
        return path.path
    }

    // MARK: - The protocol

    /// Sends a command and waits for its answer (30 s at most); the answer's `result`, or the failure it reports.
    func call(_ method: String, _ parameters: [String: Any], session: Bool = false) throws -> [String: Any] {
        condition.lock()
        nextID += 1
        let id = nextID
        condition.unlock()
        var message: [String: Any] = ["id": id, "method": method, "params": parameters]
        if session { message["sessionId"] = sessionID }
        var bytes = [UInt8](try JSONSerialization.data(withJSONObject: message))
        bytes.append(0)
        var sent = 0
        while sent < bytes.count {
            let n = bytes[sent...].withUnsafeBytes { write(toBrowser, $0.baseAddress, $0.count) }
            guard n > 0 else { throw Failure(description: "write to chromium: \(errno)") }
            sent += n
        }
        let reply = try wait(for: "\(method) answer") { $0["id"] as? Int == id }
        if let error = reply["error"] { throw Failure(description: "\(method): \(error)") }
        return reply["result"] as? [String: Any] ?? [:]
    }

    private var loads = 0

    private func markLoad() -> Int {
        condition.lock()
        defer { condition.unlock() }
        return loads
    }

    private func waitForLoad(after mark: Int) throws {
        let deadline = Date().addingTimeInterval(30)
        condition.lock()
        defer { condition.unlock() }
        while loads <= mark {
            guard !closed, condition.wait(until: deadline) else { throw Failure(description: "the page did not load in 30 s") }
        }
    }

    /// Waits (30 s at most) for a message that `matches`, taking it from the queue.
    private func wait(for what: String, _ matches: ([String: Any]) -> Bool) throws -> [String: Any] {
        let deadline = Date().addingTimeInterval(30)
        condition.lock()
        defer { condition.unlock() }
        while true {
            if let i = messages.firstIndex(where: matches) { return messages.remove(at: i) }
            guard !closed, condition.wait(until: deadline) else { throw Failure(description: "no \(what) from chromium in 30 s") }
        }
    }

    private func readLoop() {
        var buffer: [UInt8] = []
        var chunk = [UInt8](repeating: 0, count: 1 << 16)
        while true {
            let n = chunk.withUnsafeMutableBytes { read(fromBrowser, $0.baseAddress, $0.count) }
            if n <= 0 { break }
            buffer.append(contentsOf: chunk[..<n])
            while let end = buffer.firstIndex(of: 0) {
                let data = Data(buffer[..<end])
                buffer.removeSubrange(...end)
                guard let object = (try? JSONSerialization.jsonObject(with: data)) as? [String: Any] else { continue }
                condition.lock()
                handle(object)
                condition.broadcast()
                condition.unlock()
            }
        }
        Glibc.close(fromBrowser)
        condition.lock()
        closed = true
        condition.broadcast()
        condition.unlock()
    }

    /// Events are noted (loads, problems); answers are queued for their caller. Under the lock.
    private func handle(_ m: [String: Any]) {
        guard let method = m["method"] as? String else {
            messages.append(m)
            return
        }
        let p = m["params"] as? [String: Any] ?? [:]
        switch method {
        case "Page.loadEventFired":
            loads += 1
        case "Runtime.consoleAPICalled":
            let type = p["type"] as? String ?? ""
            guard type == "error" || type == "warning" || type == "assert" else { return }
            let args = (p["args"] as? [[String: Any]] ?? []).map { "\($0["value"] ?? $0["description"] ?? "")" }
            reported.append(Problem(level: type, text: args.joined(separator: " ")))
        case "Runtime.exceptionThrown":
            let details = p["exceptionDetails"] as? [String: Any] ?? [:]
            let text = ((details["exception"] as? [String: Any])?["description"] as? String) ?? details["text"] as? String ?? "exception"
            reported.append(Problem(level: "exception", text: text))
        case "Log.entryAdded":
            let entry = p["entry"] as? [String: Any] ?? [:]
            let level = entry["level"] as? String ?? ""
            guard level == "error" || level == "warning" else { return }
            reported.append(Problem(level: level, text: "\(entry["text"] ?? "") \(entry["url"] ?? "")"))
        default:
            return
        }
    }

    static func quoted(_ s: String) -> String {
        let data = try! JSONSerialization.data(withJSONObject: [s])
        return String(decoding: data.dropFirst().dropLast(), as: UTF8.self)
    }
}
