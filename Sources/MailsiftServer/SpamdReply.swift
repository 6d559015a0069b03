import Foundation
import MailsiftCore

/// The bytes spamd answers for a ``SpamdRequest``, given the verdict (or the reason there is none). Pure.
/// Scores are on SpamAssassin's scale through ``ScoreScale``: the threshold is 8, the quarantine threshold
/// of the model, so spamc's "spam" means Mailsift's spam verdict.
public enum SpamdReply {
    /// The reply to PING.
    public static func pong(version: String) -> [UInt8] { Array("SPAMD/\(version) 0 PONG\r\n".utf8) }

    /// A refusal: the exit code and reason on the status line, nothing else (as spamd does).
    public static func error(_ code: Int, _ reason: String) -> [UInt8] {
        let name = [64: "EX_USAGE", 65: "EX_DATAERR", 69: "EX_UNAVAILABLE", 70: "EX_SOFTWARE", 74: "EX_IOERR", 76: "EX_PROTOCOL"][code] ?? "EX_SOFTWARE"
        let clean = reason.replacingOccurrences(of: "\r", with: " ").replacingOccurrences(of: "\n", with: " ")
        return Array("SPAMD/1.5 \(code) \(name) \(clean.prefix(200))\r\n".utf8)
    }

    public static func reply(to request: SpamdRequest, result r: ClassificationService.Result, scale: ScoreScale) -> [UInt8] {
        let score = scale.score(probability: r.probability, action: r.action, stage: r.stage)
        let spamLine = String(format: "Spam: %@ ; %.1f / %.1f", r.isSpam ? "True" : "False", score, ScoreScale.spamScore)
        let symbols = self.symbols(r)
        var body: [UInt8] = []
        switch request.command {
        case .check, .ping, .skip, .tell:
            break
        case .symbols:
            body = Array(symbols.joined(separator: ",").utf8)
        case .report:
            body = Array(report(r, score: score).utf8)
        case .reportIfSpam:
            body = r.isSpam ? Array(report(r, score: score).utf8) : []
        case .process:
            body = stamp(request.body, headers: headers(r, score: score, symbols: symbols))
        case .headers:
            let stamped = stamp(request.body, headers: headers(r, score: score, symbols: symbols))
            body = Array(stamped[..<(SpamdRequestReader.headerEnd(stamped).map { $0.bodyStart } ?? stamped.count)])
        }
        var head = "SPAMD/1.5 0 EX_OK\r\n"
        head += "Content-length: \(body.count)\r\n"
        head += spamLine + "\r\n\r\n"
        return Array(head.utf8) + body
    }

    static func symbols(_ r: ClassificationService.Result) -> [String] {
        var seen = Set<String>()
        return (["MAILSIFT_" + r.action.rawValue.uppercased()] + r.reasons.map(ScoreScale.symbol)).filter { seen.insert($0).inserted }
    }

    /// The `X-Spam-*` header fields spamd adds, and Mailsift's own.
    static func headers(_ r: ClassificationService.Result, score: Double, symbols: [String]) -> [(String, String)] {
        var out: [(String, String)] = []
        if r.isSpam { out.append(("X-Spam-Flag", "YES")) }
        out.append(("X-Spam-Status", String(format: "%@, score=%.1f required=%.1f tests=%@ version=Mailsift", r.isSpam ? "Yes" : "No", score, ScoreScale.spamScore, symbols.joined(separator: ","))))
        out.append(("X-Spam-Score", String(format: "%.1f", score)))
        out.append(("X-Mailsift-Verdict", String(format: "%@; probability=%.4f; action=%@; stage=%@; model=%@%@", r.label, r.probability, r.action.rawValue, r.stage.rawValue, r.modelVersion, r.degraded ? "; degraded=\(r.fallback ?? "")" : "")))
        if let results = r.authenticationResults { out.append(("Authentication-Results", results)) }
        return out
    }

    /// A SpamAssassin-style report: the score, then one line per reason.
    static func report(_ r: ClassificationService.Result, score: Double) -> String {
        var lines = [
            String(format: "Mailsift: %@ (probability %.4f, action %@, decided by %@; model %@)", r.label, r.probability, r.action.rawValue, r.stage.rawValue, r.modelVersion),
            String(format: "Content analysis details:   (%.1f points, %.1f required)", score, ScoreScale.spamScore),
            "",
            " pts rule name              description",
            "---- ---------------------- --------------------------------------------------",
        ]
        for reason in r.reasons {
            let name = ScoreScale.symbol(reason)
            lines.append(String(format: "%4.1f %@ %@", r.spamWeight(reason), name.padding(toLength: 22, withPad: " ", startingAt: 0), String(reason.text.prefix(200))))
        }
        return lines.joined(separator: "\n") + "\n"
    }

    /// `message` with `headers` added at the top and any `X-Spam-*` or `X-Mailsift-*` fields it arrived
    /// with removed (a sender must not be able to forge a verdict). An mbox `From ` line stays first.
    static func stamp(_ message: [UInt8], headers: [(String, String)]) -> [UInt8] {
        let crlf = message.firstIndex(of: 0x0A).map { $0 > 0 && message[$0 - 1] == 0x0D } ?? true
        let eol: [UInt8] = crlf ? [0x0D, 0x0A] : [0x0A]
        var out: [UInt8] = []
        out.reserveCapacity(message.count + 512)
        var i = 0
        if message.starts(with: Array("From ".utf8)), let nl = message.firstIndex(of: 0x0A) {
            out.append(contentsOf: message[...nl])
            i = nl + 1
        }
        for (name, value) in headers { out.append(contentsOf: Array("\(name): \(value)".utf8) + eol) }
        let end = SpamdRequestReader.headerEnd(Array(message[i...])).map { $0.headerEnd + i + 1 } ?? message.count
        var dropping = false
        while i < end {
            let nl = message[i..<end].firstIndex(of: 0x0A) ?? (end - 1)
            let line = message[i...nl]
            let continuation = line.first == 0x20 || line.first == 0x09
            if !continuation {
                let lower = line.prefix(12).map { $0 | 0x20 }
                dropping = lower.starts(with: Array("x-spam-".utf8)) || lower.starts(with: Array("x-mailsift-".utf8))
            }
            if !dropping { out.append(contentsOf: line) }
            i = nl + 1
        }
        out.append(contentsOf: message[min(i, message.count)...])
        return out
    }
}
