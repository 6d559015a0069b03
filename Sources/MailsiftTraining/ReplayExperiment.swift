import Foundation
import MailsiftCore
import MailsiftTrees

/// The feedback loop replayed on a corpus in time order (by arrival, as ``SplitPlanner`` dates mail). Every message is
/// classified twice: by the model frozen at the start, and by the live model, which logs its features. Users
/// are simulated:
/// - a share of all messages gets a label (`labelRate`);
/// - an error of the live model is reported with probability `errorReportRate`.
/// Each label arrives after a random lag of up to `lagDays`, and then teaches the sender state (``learnsSenders``),
/// so lists and senders the simulated users marked as not spam are trusted from then on. At the end of every day the live model is
/// retrained (``Retrainer``) on the labels joined so far and replaced when the gate promotes the candidate.
/// Both models' scores over the whole replay (each message scored before any label of it could be known)
/// are compared with the metrics of ../shared/eval/README.md.
public struct ReplayExperiment {
    public var messages: [CorpusMessage]
    public var bundle: ModelBundle
    public var rules: RuleSet
    public var retrainer = Retrainer()
    public var labelRate = 0.1
    public var errorReportRate = 0.5
    public var lagDays = 2.0
    public var seed: UInt64 = 1
    /// Days between retrainings.
    public var retrainEveryDays = 1
    /// Whether each label, once it arrives, teaches the sender state as a user's feedback does in the server
    /// (the senders' and the stream's reputations: ``Cascade/streamContext``). Off: the sender state only
    /// counts messages, and no stream is ever trusted.
    public var learnsSenders = true

    public init(messages: [CorpusMessage], bundle: ModelBundle, rules: RuleSet) {
        self.messages = messages
        self.bundle = bundle
        self.rules = rules
    }

    public struct Outcome {
        public var frozen: SpamMetrics?
        public var live: SpamMetrics?
        /// The same two over the later half of the replay (after the loop had time to learn).
        public var frozenLater: SpamMetrics?
        public var liveLater: SpamMetrics?
        public var reports: [Retrainer.Report]
        /// Every replayed message in time order, with both models' probabilities.
        public var scored: [Scored]
        public var messages: Int
        public var labels: Int
        /// Days with at least one message.
        public var days: Int
    }

    public struct Scored: Sendable {
        public var time: Int64
        public var id: String
        public var spam: Bool
        public var frozen: Double
        public var live: Double
        /// Each model's action (its own thresholds: the live model's may move when a retraining is promoted).
        public var frozenAction: Action
        public var liveAction: Action
        /// The live model's version when it scored the message.
        public var liveVersion: String

        public init(time: Int64, id: String, spam: Bool, frozen: Double, live: Double, frozenAction: Action, liveAction: Action, liveVersion: String) {
            self.time = time
            self.id = id
            self.spam = spam
            self.frozen = frozen
            self.live = live
            self.frozenAction = frozenAction
            self.liveAction = liveAction
            self.liveVersion = liveVersion
        }
    }

    public func run(log: (String) -> Void = { _ in }) throws -> Outcome {
        let analyzer = MessageAnalyzer()
        // Time order by arrival (the topmost dated Received field, else Date: spam forges Date; messages with
        // neither are left out).
        var timed: [(time: Int64, message: CorpusMessage, a: AnalyzedMessage)] = []
        for m in messages {
            guard let a = try? analyzer.analyze(m.bytes), let time = SplitPlanner.arrivalTime(of: a.message) else { continue }
            timed.append((time, m, a))
        }
        timed.sort { ($0.time, $0.message.id) < ($1.time, $1.message.id) }
        let frozen = try Cascade(loading: bundle, rules: rules, trees: retrainer.trees)
        var live = frozen
        var liveSince = Int64.min
        var frozenScratch = frozen.makeScratch()
        var liveScratch = live.makeScratch()
        let senders = InMemorySenderStateStore()
        let priors = ReputationPrior.Model()
        var entries: [FeatureLogEntry] = []
        var feedback: [Feedback] = []
        var rng = SplitMix64(seed: seed)
        func chance(_ p: Double) -> Bool { Double(rng.next() >> 11) / Double(1 << 53) < p }
        var scored: [Scored] = []
        var reports: [Retrainer.Report] = []
        var day = timed.first.map { $0.time / 86_400 } ?? 0
        let period = Int64(max(retrainEveryDays, 1))
        // Labels not yet arrived, as (arrival, keys, spam): each teaches the sender state once its time has come.
        var lessons: [(time: Int64, keys: SenderKeys, spam: Bool)] = []
        for (time, message, a) in timed {
            if !lessons.isEmpty {
                lessons.sort { $0.time < $1.time }
                let due = lessons.prefix { $0.time <= time }
                for l in due { senders.learn(l.keys, spam: l.spam, weight: senders.policy.feedbackWeight, at: l.time) }
                lessons.removeFirst(due.count)
            }
            if time / 86_400 >= day + period {
                // End of the period: retrain on what is known by then.
                let cutoff = (day + period) * 86_400 - 1
                let (candidate, report) = try retrainer.retrain(live.bundle, rules: rules, entries: entries, feedback: feedback, cutoff: cutoff, since: liveSince)
                if report.labelled > 0 { reports.append(report) }
                if report.promoted, let candidate {
                    live = try Cascade(loading: candidate, rules: rules, trees: retrainer.trees)
                    liveScratch = live.makeScratch()
                    liveSince = cutoff
                    log("day \(Retrainer.day(cutoff)): promoted \(candidate.manifest.version): \(report.reason)")
                }
                day = time / 86_400
            }
            let spam = message.label == "spam"
            let keys = SenderKeys(a, prior: priors)
            let sender = senders.observe(keys, at: time)
            let f = frozen.classify(a, sender: sender, scratch: &frozenScratch)
            let v = live.classify(a, sender: sender, scratch: &liveScratch)
            let id = message.corpus + "/" + message.id
            scored.append(Scored(time: time, id: id, spam: spam, frozen: f.probability, live: v.probability, frozenAction: f.action, liveAction: v.action, liveVersion: live.bundle.manifest.version))
            entries.append(live.logEntry(a, verdict: v, messageID: id, time: time, keys: keys, sender: sender, computeText: true, scratch: &liveScratch))
            let wrong = (v.action >= .quarantine) != spam
            if chance(labelRate) || (wrong && chance(errorReportRate)) {
                let lag = Int64(Double(rng.next() % 1_000_000) / 1_000_000 * lagDays * 86_400)
                feedback.append(Feedback(messageID: id, user: "replay", label: spam ? .spam : .ham, time: time + lag))
                if learnsSenders { lessons.append((time + lag, keys, spam)) }
            }
        }
        func metrics(_ part: ArraySlice<Scored>, _ live: Bool) -> SpamMetrics? {
            SpamMetrics(scores: part.map { (live ? $0.live : $0.frozen, $0.spam) })
        }
        let later = scored[(scored.count / 2)...]
        return Outcome(
            frozen: metrics(scored[...], false), live: metrics(scored[...], true), frozenLater: metrics(later, false), liveLater: metrics(later, true),
            reports: reports, scored: scored, messages: timed.count, labels: feedback.count, days: Set(timed.map { $0.time / 86_400 }).count)
    }
}
