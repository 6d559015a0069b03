/// Joins feedback to the features logged when each message was classified, for training as of a cut-off.
///
/// Training for day D uses `cutoff` = the end of D, and sees nothing from after it:
/// - only feature log entries logged at or before `cutoff` (the first per message: the decision);
/// - only feedback given at or before `cutoff`, and not before the decision (a label cannot precede it);
/// - only feedback given within ``window`` seconds of the decision (later reports are stale);
/// - each user's latest report as of `cutoff` counts once; the majority of users decides, a tie drops
///   the message.
/// A message whose label is still to come is simply not in the result; a later cut-off may include it.
public struct DelayedLabelJoiner: Sendable {
    /// How long after classification feedback is still joined (seconds).
    public var window: Int64

    public init(window: Int64 = 7 * 86_400) { self.window = window }

    public struct Example: Sendable, Hashable {
        public var entry: FeatureLogEntry
        public var spam: Bool
        /// When the deciding report was given (the latest counted).
        public var labelTime: Int64
        /// How many users' reports agreed, and disagreed.
        public var votes: Int
        public var dissent: Int
    }

    public func join(entries: [FeatureLogEntry], feedback: [Feedback], cutoff: Int64) -> [Example] {
        var decisions: [String: FeatureLogEntry] = [:]
        for e in entries where e.time <= cutoff {
            if let old = decisions[e.messageID], old.time <= e.time { continue }
            decisions[e.messageID] = e
        }
        // Each user's latest report per message, as of the cut-off and inside the window.
        var latest: [String: [String: Feedback]] = [:]
        for f in feedback where f.time <= cutoff {
            guard let d = decisions[f.messageID], f.time >= d.time, f.time - d.time <= window else { continue }
            if let old = latest[f.messageID]?[f.user], (old.time, old.label.rawValue) >= (f.time, f.label.rawValue) { continue }
            latest[f.messageID, default: [:]][f.user] = f
        }
        var out: [Example] = []
        for (id, users) in latest {
            guard let entry = decisions[id] else { continue }
            let spam = users.values.count { $0.label == .spam }
            let ham = users.count - spam
            guard spam != ham else { continue }
            let time = users.values.map(\.time).max() ?? entry.time
            out.append(Example(entry: entry, spam: spam > ham, labelTime: time, votes: max(spam, ham), dissent: min(spam, ham)))
        }
        return out.sorted { ($0.entry.time, $0.entry.messageID) < ($1.entry.time, $1.entry.messageID) }
    }
}
