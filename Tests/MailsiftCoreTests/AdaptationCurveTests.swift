import MailsiftCore
import MailsiftTraining
import Testing

/// The adaptation curve of a replay: trailing windows, each model's own actions, and the day from which the
/// live model keeps to the goal.
@Suite struct AdaptationCurveTests {
    /// 60 days with 20 hams and 10 spams a day. The frozen model flags one ham a day and catches half the spam
    /// throughout; the live model does the same until day 20, then flags no ham and catches all spam (and ranks
    /// every spam above every ham).
    static func replay() -> [ReplayExperiment.Scored] {
        var out: [ReplayExperiment.Scored] = []
        let start: Int64 = 1_030_000_000
        for day in 0..<60 {
            let learnt = day >= 20
            for i in 0..<30 {
                let spam = i >= 20
                let time = start + Int64(day) * 86_400 + Int64(i) * 60
                let frozenFlags = spam ? i % 2 == 0 : i == 0
                let liveFlags = learnt ? spam : frozenFlags
                // Scores consistent with the flags: flagged 0.99, else 0.2 (ham) or 0.6 (missed spam).
                func score(_ flagged: Bool) -> Double { flagged ? 0.99 : spam ? 0.6 : 0.2 }
                out.append(ReplayExperiment.Scored(
                    time: time, id: "\(day).\(i)", spam: spam, frozen: score(frozenFlags), live: score(liveFlags),
                    frozenAction: frozenFlags ? .quarantine : .inbox, liveAction: liveFlags ? .reject : .tag, liveVersion: learnt ? "b" : "a"))
            }
        }
        return out
    }

    @Test func windowsTrailTheirEndDay() throws {
        let curve = AdaptationCurve(scored: Self.replay(), windowDays: 10, step: 5, minimumHams: 100, minimumSpams: 50)
        let start = Int(1_030_000_000 / 86_400)
        #expect(curve.points.map { $0.day - start } == [9, 14, 19, 24, 29, 34, 39, 44, 49, 54, 59])
        let first = try #require(curve.points.first)
        #expect(first.hams == 200 && first.spams == 100)
        #expect(first.frozen.hamsAtQuarantine == 10 && first.frozen.fprAtQuarantine == 0.05 && first.frozen.recallAtQuarantine == 0.5)
        // Days 20-29: the live model has learnt.
        let learnt = try #require(curve.points.first { $0.day == start + 29 })
        #expect(learnt.live.hamsAtQuarantine == 0 && learnt.live.recallAtQuarantine == 1 && learnt.live.recallAt1 == 1)
        #expect(learnt.frozen.hamsAtQuarantine == 10)
        // Day 24's window still holds days 15-19.
        let mixed = try #require(curve.points.first { $0.day == start + 24 })
        #expect(mixed.live.hamsAtQuarantine == 5)
    }

    @Test func theGoalIsMetFromTheFirstCleanWindowOn() {
        let curve = AdaptationCurve(scored: Self.replay(), windowDays: 10, step: 5, minimumHams: 100, minimumSpams: 50)
        let goal = AdaptationCurve.goal(fpr: 0.001, recallAt1: 0.95)
        // Counted from the first window's first day (day 0) to the end of the window of days 20-29.
        #expect(curve.daysUntil(live: true, goal) == 30)
        #expect(curve.goalMet(live: true, goal)?.day == Int(1_030_000_000 / 86_400) + 29)
        #expect(curve.daysUntil(live: false, goal) == nil)
        // Windows with too few hams or spams do not count.
        #expect(AdaptationCurve(scored: Self.replay(), windowDays: 10, step: 5, minimumHams: 1_000).daysUntil(goal) == nil)
        #expect(AdaptationCurve(scored: Self.replay(), windowDays: 10, step: 5, minimumHams: 100, minimumSpams: 101).daysUntil(goal) == nil)
        // 1_030_000_000 s is 2002-08-22 (UTC): day 29 is 2002-09-20.
        #expect(curve.table().contains("frozen not reached, live met from the window ending 2002-09-20 on, 30 days in (days counted from 2002-08-22"))
    }
}
