import Foundation
import MailsiftCore

/// `mailsift parse`: prints each file's analysis as one JSON line.
public enum ParseCommand {
    public struct ReadError: Error, CustomStringConvertible {
        public var path: String
        public var description: String { "cannot read \(path)" }
    }

    /// Parses each file (or standard input for `-`) and writes one JSON object per line to `output`.
    /// A message that does not parse gives an `{"file", "error"}` line; only an unreadable file throws.
    public static func run(files: [String], analyzer: MessageAnalyzer = MessageAnalyzer(), write: (String) -> Void) throws {
        let encoder = MessageReport.encoder()
        var unreadable: [String] = []
        for file in files {
            guard let bytes = read(file) else {
                unreadable.append(file)
                continue
            }
            let json: Data
            do {
                // The structure as written: list fields are shown whether or not classification would count them.
                let analyzed = try analyzer.analyze(bytes, lists: .asWritten)
                json = try encoder.encode(MessageReport(file: file, analyzed: analyzed))
            } catch {
                json = try encoder.encode(ParseFailureReport(file: file, error: String(describing: error)))
            }
            write(String(decoding: json, as: UTF8.self))
        }
        if let first = unreadable.first { throw ReadError(path: first) }
    }

    /// The bytes of a file, or of standard input for `-`; nil when it cannot be read.
    static func read(_ file: String) -> [UInt8]? {
        if file == "-" { return [UInt8](FileHandle.standardInput.readDataToEndOfFile()) }
        return FileManager.default.contents(atPath: file).map { [UInt8]($0) }
    }
}
