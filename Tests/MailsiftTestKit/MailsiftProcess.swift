import Foundation

/// The built `mailsift` executable run as a child process, for the end-to-end smoke tests.
public enum MailsiftProcess {
    public struct NotBuilt: Error, CustomStringConvertible {
        public init() {}
        public var description: String { "build the mailsift executable first (swift build): \(TestPaths.mailsiftBinary)" }
    }

    /// Runs `mailsift` with `arguments` (and `environment` over the test's own); its exit status and standard output.
    public static func run(_ arguments: [String], environment: [String: String] = [:]) async throws -> (status: Int32, output: String) {
        let binary = TestPaths.mailsiftBinary
        guard FileManager.default.isExecutableFile(atPath: binary) else { throw NotBuilt() }
        let p = Process()
        p.executableURL = URL(fileURLWithPath: binary)
        p.arguments = arguments
        p.environment = ProcessInfo.processInfo.environment.merging(environment) { $1 }
        let out = Pipe()
        p.standardOutput = out
        p.standardError = FileHandle.nullDevice
        try p.run()
        return await withCheckedContinuation { continuation in
            DispatchQueue.global().async {
                let data = out.fileHandleForReading.readDataToEndOfFile()
                p.waitUntilExit()
                continuation.resume(returning: (p.terminationStatus, String(decoding: data, as: UTF8.self)))
            }
        }
    }
}
