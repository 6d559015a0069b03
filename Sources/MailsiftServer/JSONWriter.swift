import MailsiftCore

/// Writes JSON text straight into bytes, for the replies on the hot path (Foundation's `JSONEncoder` took
/// 12.5% of the server's perf samples at saturation). The caller writes keys in the order it wants
/// (the replies keep them sorted, as `JSONEncoder` with `.sortedKeys` did).
struct JSONWriter {
    private(set) var bytes: [UInt8] = []
    private var needsComma = [false]

    init(capacity: Int = 1_024) { bytes.reserveCapacity(capacity) }

    mutating func beginObject() { value { $0.bytes.append(UInt8(ascii: "{")) }; needsComma.append(false) }
    mutating func endObject() { needsComma.removeLast(); bytes.append(UInt8(ascii: "}")) }
    mutating func beginArray() { value { $0.bytes.append(UInt8(ascii: "[")) }; needsComma.append(false) }
    mutating func endArray() { needsComma.removeLast(); bytes.append(UInt8(ascii: "]")) }

    /// Writes `"key":`; the next value written belongs to it.
    mutating func key(_ k: String) {
        comma()
        string(k)
        bytes.append(UInt8(ascii: ":"))
        needsComma[needsComma.count - 1] = false
    }

    mutating func value(_ s: String?) { value { w in if let s { w.string(s) } else { w.null() } } }
    mutating func value(_ b: Bool) { value { $0.bytes.append(contentsOf: b ? Array("true".utf8) : Array("false".utf8)) } }
    mutating func value(_ n: Int) { value { $0.bytes.append(contentsOf: String(n).utf8) } }
    mutating func value(_ x: Double) {
        value { w in
            if x.isFinite { w.bytes.append(contentsOf: x.description.utf8) } else { w.null() }
        }
    }

    mutating func field(_ k: String, _ s: String?) { key(k); value(s) }
    mutating func field(_ k: String, _ b: Bool) { key(k); value(b) }
    mutating func field(_ k: String, _ n: Int) { key(k); value(n) }
    mutating func field(_ k: String, _ x: Double) { key(k); value(x) }

    private mutating func value(_ write: (inout JSONWriter) -> Void) {
        comma()
        write(&self)
        needsComma[needsComma.count - 1] = true
    }

    private mutating func comma() {
        if needsComma[needsComma.count - 1] { bytes.append(UInt8(ascii: ",")) }
    }

    private mutating func null() { bytes.append(contentsOf: [0x6E, 0x75, 0x6C, 0x6C]) }

    private mutating func string(_ s: String) {
        bytes.append(UInt8(ascii: "\""))
        for b in s.utf8 {
            switch b {
            case UInt8(ascii: "\""): bytes.append(contentsOf: [0x5C, 0x22])
            case UInt8(ascii: "\\"): bytes.append(contentsOf: [0x5C, 0x5C])
            case 0x0A: bytes.append(contentsOf: [0x5C, 0x6E])
            case 0x0D: bytes.append(contentsOf: [0x5C, 0x72])
            case 0x09: bytes.append(contentsOf: [0x5C, 0x74])
            case 0..<0x20:
                let hex = Array("0123456789abcdef".utf8)
                bytes.append(contentsOf: [0x5C, 0x75, 0x30, 0x30, hex[Int(b >> 4)], hex[Int(b & 15)]])
            default: bytes.append(b)
            }
        }
        bytes.append(UInt8(ascii: "\""))
    }
}

extension ClassificationService.Result {
    /// The reply of `/v1/classify`, as `JSONEncoder` (snake-case keys, sorted) would write it.
    func json() -> [UInt8] {
        var w = JSONWriter()
        write(into: &w)
        return w.bytes
    }

    func write(into w: inout JSONWriter) {
        w.beginObject()
        w.field("action", action.rawValue)
        if let authenticationResults { w.field("authentication_results", authenticationResults) }
        w.field("degraded", degraded)
        if let fallback { w.field("fallback", fallback) }
        w.field("label", label)
        if let language {
            w.key("language")
            w.beginObject()
            w.field("code", language.language)
            w.field("percent", language.percent)
            w.field("reliable", language.reliable)
            w.field("script", language.script)
            w.field("scripts", language.scripts)
            w.endObject()
        }
        if let messageId { w.field("message_id", messageId) }
        w.field("model_version", modelVersion)
        w.field("probability", probability)
        w.key("reasons")
        w.beginArray()
        for r in reasons {
            w.beginObject()
            w.field("feature", r.feature)
            w.field("stage", r.stage.rawValue)
            w.field("text", r.text)
            w.field("weight", r.weight)
            w.endObject()
        }
        w.endArray()
        w.key("rules")
        w.beginArray()
        for hit in rules {
            w.beginObject()
            if let action = hit.action { w.field("action", action.rawValue) }
            w.field("description", hit.description)
            w.field("name", hit.name)
            w.field("score", hit.score)
            w.endObject()
        }
        w.endArray()
        w.field("stage", stage.rawValue)
        w.key("timings")
        w.beginObject()
        w.field("analyse_microseconds", timings.analyseMicroseconds)
        w.field("classify_microseconds", timings.classifyMicroseconds)
        w.field("total_microseconds", timings.totalMicroseconds)
        w.endObject()
        w.endObject()
    }
}
