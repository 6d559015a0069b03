import Foundation
import MailsiftCore

/// How fast a replay's feedback loop learns a site: for every `step` days of the replay, the figures of the
/// mail of the trailing `windowDays` (each message scored before any label of it could be known), for the
/// model frozen at the start and for the live one. The goal (a false-positive rate at `quarantine`, the
/// model's own action, and a recall at 1% FPR; docs/generalisation.md) is judged only on windows with
/// enough of each class to tell (``minimumHams``, ``minimumSpams``); "days until" counts from the start of
/// the first such window (the site's traffic under way: a corpus's first messages can be stragglers months
/// earlier) to the end of the first window from which the goal holds in every later one.
public struct AdaptationCurve: Sendable {
    public struct Figures: Sendable, Hashable {
        /// Hams at `quarantine` or above, and the share of the window's hams they are.
        public var hamsAtQuarantine: Int
        public var fprAtQuarantine: Double
        public var recallAtQuarantine: Double
        /// Nil when the window holds one class only.
        public var recallAt1: Double?
    }

    public struct Point: Sendable, Hashable {
        /// The window's last day (inclusive), in days since 1970-01-01 (UTC).
        public var day: Int
        public var hams: Int
        public var spams: Int
        public var frozen: Figures
        public var live: Figures
    }

    public var windowDays: Int
    public var minimumHams: Int
    public var minimumSpams: Int
    public var points: [Point]

    public init(scored: [ReplayExperiment.Scored], windowDays: Int = 30, step: Int = 7, minimumHams: Int = 200, minimumSpams: Int = 50) {
        self.windowDays = max(windowDays, 1)
        self.minimumHams = minimumHams
        self.minimumSpams = minimumSpams
        points = []
        guard let first = scored.first?.time else { return }
        let start = Int(first / 86_400)
        let days = scored.map { Int($0.time / 86_400) }
        let last = days.last ?? start
        let step = max(step, 1)
        var end = min(start + self.windowDays - 1, last)
        var lower = 0, upper = 0
        while true {
            // The window (end - windowDays, end]; `days` is in time order.
            while upper < days.count && days[upper] <= end { upper += 1 }
            while lower < upper && days[lower] <= end - self.windowDays { lower += 1 }
            let window = scored[lower..<upper]
            let spams = window.count { $0.spam }
            points.append(Point(
                day: end, hams: window.count - spams, spams: spams,
                frozen: Self.figures(window, live: false), live: Self.figures(window, live: true)))
            if end >= last { break }
            end = min(end + step, last)
        }
    }

    static func figures(_ window: ArraySlice<ReplayExperiment.Scored>, live: Bool) -> Figures {
        var hams = 0, spams = 0, flaggedHams = 0, caughtSpams = 0
        for s in window {
            let flagged = (live ? s.liveAction : s.frozenAction) >= .quarantine
            if s.spam {
                spams += 1
                if flagged { caughtSpams += 1 }
            } else {
                hams += 1
                if flagged { flaggedHams += 1 }
            }
        }
        let metrics = SpamMetrics(scores: window.map { (live ? $0.live : $0.frozen, $0.spam) })
        return Figures(
            hamsAtQuarantine: flaggedHams, fprAtQuarantine: hams == 0 ? 0 : Double(flaggedHams) / Double(hams),
            recallAtQuarantine: spams == 0 ? 0 : Double(caughtSpams) / Double(spams), recallAt1: metrics?.recallAt1)
    }

    /// The windows with enough of each class to judge.
    var judged: [Point] { points.filter { $0.hams >= minimumHams && $0.spams >= minimumSpams } }

    /// The first window end from which every judged window meets `goal` for the chosen model; nil when the
    /// last judged window does not, or none is judged.
    public func goalMet(live: Bool = true, _ goal: (Figures) -> Bool) -> Point? {
        let judged = judged
        guard let lastMiss = judged.lastIndex(where: { !goal(live ? $0.live : $0.frozen) }) else { return judged.first }
        return lastMiss + 1 < judged.count ? judged[lastMiss + 1] : nil
    }

    /// The first day of the first judged window (days since 1970-01-01).
    public var judgedFrom: Int? { judged.first.map { $0.day - windowDays + 1 } }

    /// Days from ``judgedFrom`` to the end of the window from which `goal` holds (``goalMet(live:_:)``), both
    /// days counted; nil when it is not reached.
    public func daysUntil(live: Bool = true, _ goal: (Figures) -> Bool) -> Int? {
        guard let from = judgedFrom, let met = goalMet(live: live, goal) else { return nil }
        return met.day - from + 1
    }

    /// A day (since 1970-01-01) as yyyy-mm-dd.
    static func date(_ day: Int) -> String {
        let formatter = ISO8601DateFormatter()
        formatter.formatOptions = [.withFullDate]
        formatter.timeZone = TimeZone(identifier: "UTC")
        return formatter.string(from: Date(timeIntervalSince1970: Double(day) * 86_400))
    }

    /// The goal: at most `fpr` of the hams at `quarantine` and a recall of at least `recall` at 1% FPR.
    public static func goal(fpr: Double = 0.001, recallAt1: Double = 0.95) -> (Figures) -> Bool {
        { $0.fprAtQuarantine <= fpr && ($0.recallAt1 ?? 0) >= recallAt1 }
    }

    /// The curve as a Markdown table, then the days until the goal for each model.
    public func table(fpr: Double = 0.001, recallAt1: Double = 0.95) -> String {
        func cell(_ f: Figures) -> String {
            let r1 = f.recallAt1.map { String(format: "%.2f%%", $0 * 100) } ?? "-"
            return String(format: "%d (%.3f%%) | %.1f%% | ", f.hamsAtQuarantine, f.fprAtQuarantine * 100, f.recallAtQuarantine * 100) + r1
        }
        var lines = [
            "adaptation curve: the trailing \(windowDays) days at each point (hams at quarantine+, recall there, recall at 1% FPR)",
            "| window end | hams | spams | frozen: hams at quarantine+ | frozen: recall at quarantine+ | frozen: recall@1% | live: hams at quarantine+ | live: recall at quarantine+ | live: recall@1% |",
            "|---|---|---|---|---|---|---|---|---|",
        ]
        for p in points where p.hams + p.spams > 0 {
            lines.append("| \(Self.date(p.day)) | \(p.hams) | \(p.spams) | \(cell(p.frozen)) | \(cell(p.live)) |")
        }
        let goal = Self.goal(fpr: fpr, recallAt1: recallAt1)
        func until(_ live: Bool) -> String {
            guard let met = goalMet(live: live, goal), let days = daysUntil(live: live, goal) else { return "not reached" }
            return "met from the window ending \(Self.date(met.day)) on, \(days) days in"
        }
        lines.append(String(format: "goal (at most %.3f%% of the hams at quarantine+ and recall at 1%% FPR of %.1f%% or more, in this and every later window of %d hams and %d spams or more): ", fpr * 100, recallAt1 * 100, minimumHams, minimumSpams)
            + "frozen \(until(false)), live \(until(true))"
            + (judgedFrom.map { " (days counted from \(Self.date($0)), the start of the first such window)" } ?? " (no window has that many)"))
        return lines.joined(separator: "\n")
    }
}
