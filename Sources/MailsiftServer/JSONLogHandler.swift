import Foundation
import Logging
import Synchronization

/// A swift-log handler that writes one JSON object per line to standard error: `time`, `level`, `label`,
/// `message`, then the metadata. What the server logs never holds message content (docs/serving.md).
public struct JSONLogHandler: LogHandler {
    public var metadata: Logger.Metadata = [:]
    public var logLevel: Logger.Level
    public let label: String
    private static let lock = Mutex(())

    public init(label: String, level: Logger.Level = .info) {
        self.label = label
        logLevel = level
    }

    public subscript(metadataKey key: String) -> Logger.Metadata.Value? {
        get { metadata[key] }
        set { metadata[key] = newValue }
    }

    public func log(event: LogEvent) {
        var line = "{\"time\":\"" + Self.timestamp() + "\",\"level\":\"" + event.level.rawValue + "\",\"label\":"
        line += Self.quoted(label) + ",\"message\":" + Self.quoted(event.message.description)
        let all = event.metadata.map { metadata.merging($0, uniquingKeysWith: { $1 }) } ?? metadata
        for (k, v) in all.sorted(by: { $0.key < $1.key }) {
            line += "," + Self.quoted(k) + ":" + Self.quoted(v.description)
        }
        line += "}\n"
        Self.lock.withLock { _ in
            line.withUTF8 { raw in
                var offset = 0
                while offset < raw.count {
                    let n = write(STDERR_FILENO, raw.baseAddress! + offset, raw.count - offset)
                    if n <= 0 { break }
                    offset += n
                }
            }
        }
    }

    /// `s` as a JSON string (control characters escaped).
    static func quoted(_ s: String) -> String {
        guard s.utf8.contains(where: { $0 < 0x20 || $0 == 0x22 || $0 == 0x5C }) else { return "\"" + s + "\"" }
        var out = "\""
        for u in s.unicodeScalars {
            switch u {
            case "\"": out += "\\\""
            case "\\": out += "\\\\"
            case "\n": out += "\\n"
            case "\r": out += "\\r"
            case "\t": out += "\\t"
            case _ where u.value < 0x20: out += "\\u00" + (u.value < 0x10 ? "0" : "") + String(u.value, radix: 16)
            default: out.unicodeScalars.append(u)
            }
        }
        return out + "\""
    }

    static func timestamp() -> String {
        var t = timespec()
        clock_gettime(CLOCK_REALTIME, &t)
        var tm = tm()
        var seconds = t.tv_sec
        gmtime_r(&seconds, &tm)
        func pad(_ n: Int, _ width: Int) -> String {
            let s = String(n)
            return s.utf8.count >= width ? s : String(repeating: "0", count: width - s.utf8.count) + s
        }
        return pad(Int(tm.tm_year) + 1900, 4) + "-" + pad(Int(tm.tm_mon) + 1, 2) + "-" + pad(Int(tm.tm_mday), 2) + "T" + pad(Int(tm.tm_hour), 2) + ":"
            + pad(Int(tm.tm_min), 2) + ":" + pad(Int(tm.tm_sec), 2) + "." + pad(t.tv_nsec / 1_000_000, 3) + "Z"
    }
}
