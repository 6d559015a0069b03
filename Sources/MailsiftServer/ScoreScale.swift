import MailsiftCore

/// Maps a calibrated probability onto the point scale of SpamAssassin and Rspamd clients, so their
/// thresholds keep their meaning: 0 at probability 0, 6 at the `tag` threshold (Rspamd's `add header`),
/// 8 at `quarantine` (the spam verdict; spamd's threshold), 15 at `reject` (Rspamd's `reject`), 20 at 1,
/// linear in between. A rule that decides sets the score of its action's threshold.
public struct ScoreScale: Sendable {
    public var tag: Double
    public var quarantine: Double
    public var reject: Double

    public static let tagScore = 6.0
    public static let spamScore = 8.0
    public static let rejectScore = 15.0
    public static let maxScore = 20.0

    public init(_ points: OperatingPoints?) {
        tag = points?.tag ?? 0.5
        quarantine = max(points?.quarantine ?? 0.9, tag)
        reject = max(points?.reject ?? 0.99, quarantine)
    }

    public func score(probability p: Double, action: Action, stage: Cascade.Stage) -> Double {
        if stage == .rules && (p == 0 || p == 1) {
            switch action {
            case .inbox: return 0
            case .tag: return Self.tagScore
            case .quarantine: return Self.spamScore
            case .reject: return Self.rejectScore
            }
        }
        let knots: [(Double, Double)] = [(0, 0), (tag, Self.tagScore), (quarantine, Self.spamScore), (reject, Self.rejectScore), (1, Self.maxScore)]
        let x = min(max(p, 0), 1)
        for i in 1..<knots.count where x <= knots[i].0 {
            let (x0, y0) = knots[i - 1], (x1, y1) = knots[i]
            let s = x1 > x0 ? y0 + (y1 - y0) * (x - x0) / (x1 - x0) : y1
            return (s * 100).rounded() / 100
        }
        return Self.maxScore
    }

    /// Rspamd's name for an action.
    public static func rspamdAction(_ a: Action) -> String {
        switch a {
        case .inbox: "no action"
        case .tag: "add header"
        case .quarantine: "rewrite subject"
        case .reject: "reject"
        }
    }

    /// A symbol name in Rspamd's style (upper case, `_` for anything else) for a reason.
    public static func symbol(_ reason: Cascade.Reason) -> String {
        let prefix = reason.stage == .rules ? "" : "MS_" + reason.stage.rawValue.uppercased() + "_"
        var bytes = Array(prefix.utf8)
        for b in reason.feature.utf8.prefix(48) {
            let alnum = (0x30...0x39).contains(b) || (0x61...0x7A).contains(b | 0x20)
            let c = alnum ? (b >= 0x61 ? b - 0x20 : b) : UInt8(ascii: "_")
            if c == UInt8(ascii: "_"), bytes.last == c { continue }
            bytes.append(c)
        }
        while bytes.last == UInt8(ascii: "_") { bytes.removeLast() }
        let out = String(decoding: bytes, as: UTF8.self)
        return out
    }
}
