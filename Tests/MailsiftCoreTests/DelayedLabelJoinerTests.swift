import Testing
@testable import MailsiftCore

@Suite("Delayed labels: joining feedback to logged features without leakage")
struct DelayedLabelJoinerTests {
    static let day: Int64 = 86_400

    func entry(_ id: String, at time: Int64, marker: Float = 0) -> FeatureLogEntry {
        FeatureLogEntry(messageID: id, time: time, modelVersion: "v1", keys: SenderKeys(), treeRow: [marker], probability: 0.5, action: .inbox)
    }

    /// Training as of the end of day 1 sees no feature or label from day 2, whatever day 2 holds; the same
    /// data as of day 2 does see them (so the test could fail).
    @Test func trainingForADayNeverSeesLaterFeaturesOrLabels() {
        let d = Self.day
        let cutoff = 2 * d - 1  // end of day 1
        let entries = [
            entry("a", at: d + 100),  // day 1, labelled on day 1
            entry("b", at: d + 200),  // day 1, labelled on day 2 only
            entry("c", at: 2 * d + 10),  // classified on day 2
            entry("d", at: d + 300),  // day 1, spam on day 1, changed to ham on day 2
            entry("a", at: d + 5_000, marker: 9),  // a second classification of "a", later: not the decision
        ]
        let feedback = [
            Feedback(messageID: "a", user: "u1", label: .spam, time: d + 1_000),
            Feedback(messageID: "b", user: "u1", label: .spam, time: 2 * d + 50),
            Feedback(messageID: "c", user: "u1", label: .spam, time: 2 * d + 60),
            Feedback(messageID: "d", user: "u1", label: .spam, time: d + 400),
            Feedback(messageID: "d", user: "u1", label: .ham, time: 2 * d + 70),
        ]
        let joiner = DelayedLabelJoiner(window: 7 * d)
        let day1 = joiner.join(entries: entries, feedback: feedback, cutoff: cutoff)
        #expect(day1.map(\.entry.messageID) == ["a", "d"])
        #expect(day1.allSatisfy { $0.entry.time <= cutoff && $0.labelTime <= cutoff })
        #expect(day1.first { $0.entry.messageID == "d" }?.spam == true)  // the later change of mind is not seen
        #expect(day1.first { $0.entry.messageID == "a" }?.entry.treeRow == [0])  // the features at decision time

        let day2 = joiner.join(entries: entries, feedback: feedback, cutoff: 3 * d - 1)
        #expect(day2.map(\.entry.messageID) == ["a", "b", "d", "c"])
        #expect(day2.first { $0.entry.messageID == "d" }?.spam == false)
    }

    @Test func labelsOutsideTheWindowOrBeforeTheDecisionAreDropped() {
        let joiner = DelayedLabelJoiner(window: 3 * Self.day)
        let entries = [entry("late", at: 0), entry("early", at: 1_000)]
        let feedback = [
            Feedback(messageID: "late", user: "u", label: .spam, time: 4 * Self.day),
            Feedback(messageID: "early", user: "u", label: .spam, time: 500),
            Feedback(messageID: "unknown", user: "u", label: .spam, time: 600),
        ]
        #expect(joiner.join(entries: entries, feedback: feedback, cutoff: 10 * Self.day).isEmpty)
    }

    @Test func usersVoteAndATieDropsTheMessage() {
        let joiner = DelayedLabelJoiner()
        let entries = [entry("m", at: 0), entry("t", at: 0)]
        let feedback = [
            Feedback(messageID: "m", user: "u1", label: .spam, time: 10),
            Feedback(messageID: "m", user: "u2", label: .spam, time: 11),
            Feedback(messageID: "m", user: "u3", label: .ham, time: 12),
            Feedback(messageID: "m", user: "u1", label: .spam, time: 13),  // u1 again: one vote
            Feedback(messageID: "t", user: "u1", label: .spam, time: 10),
            Feedback(messageID: "t", user: "u2", label: .ham, time: 11),
        ]
        let out = joiner.join(entries: entries, feedback: feedback, cutoff: 100)
        #expect(out.count == 1)
        #expect(out[0].entry.messageID == "m" && out[0].spam && out[0].votes == 2 && out[0].dissent == 1 && out[0].labelTime == 13)
    }

    @Test func feedbackStorageIsIdempotentAndValidated() throws {
        let store = InMemoryLearningStore()
        let f = Feedback(messageID: "<x@example>", user: "u", label: .spam, time: 5)
        #expect(try store.record(f))
        #expect(try !store.record(f))
        #expect(try store.record(Feedback(messageID: "<x@example>", user: "u", label: .ham, time: 6)))
        #expect(store.feedback(from: 0, through: 10).map(\.label) == [.spam, .ham])
        #expect(throws: Feedback.Invalid.emptyUser) { try store.record(Feedback(messageID: "m", user: "", label: .ham, time: 1)) }
        #expect(throws: Feedback.Invalid.emptyMessageID) { try store.record(Feedback(messageID: "", user: "u", label: .ham, time: 1)) }
    }
}
