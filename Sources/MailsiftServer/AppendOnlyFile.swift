import Foundation

/// Appending a line to a file that is only ever appended to (the fuzzy list's file, the audit log), created when missing.
enum AppendOnlyFile {
    static func append(_ text: String, to path: String) -> Bool {
        if !FileManager.default.fileExists(atPath: path) { return FileManager.default.createFile(atPath: path, contents: Data(text.utf8)) }
        guard let handle = FileHandle(forWritingAtPath: path) else { return false }
        defer { try? handle.close() }
        do {
            try handle.seekToEnd()
            try handle.write(contentsOf: Data(text.utf8))
            return true
        } catch {
            return false
        }
    }
}
