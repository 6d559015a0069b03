/// What the dashboard shows of the verdicts served (docs/operations.md): counts per minute by action and deciding
/// stage with a latency histogram (a day of minutes), per day the score distribution, the actions and what users'
/// feedback said of them (a month of days), the last verdicts with their masked sender domain and top reasons, and a
/// message key's verdict for the feedback that comes later. Every count is bounded; nothing of a message's content is
/// kept. Pure: times are given (Unix seconds), and a caller serialises access.
public struct VerdictLedger: Sendable {
    public struct Configuration: Sendable {
        /// Minutes kept (a day).
        public var minutes = 1_440
        /// Days kept.
        public var days = 31
        /// Verdicts kept whole for the recent list.
        public var recent = 1_000
        /// Message keys remembered for feedback and search (in two generations of half as many each).
        public var keys = 200_000

        public init() {}
    }

    /// One verdict as the dashboard keeps it.
    public struct Entry: Sendable, Equatable {
        public var time: Int64
        public var messageKey: String
        /// The From address's registrable domain (shown masked: ``mask(domain:)``).
        public var senderDomain: String?
        public var action: Action
        public var stage: Cascade.Stage
        public var probability: Double
        public var degraded: Bool
        public var latencyMicroseconds: Int
        public var modelVersion: String
        /// The top reasons, with words of the message masked (``describe(_:)``); the domains they name are masked when
        /// shown (``shown(_:)``).
        public var reasons: [String]

        public init(
            time: Int64, messageKey: String, senderDomain: String?, action: Action, stage: Cascade.Stage, probability: Double,
            degraded: Bool, latencyMicroseconds: Int, modelVersion: String, reasons: [String]
        ) {
            self.time = time
            self.messageKey = messageKey
            self.senderDomain = senderDomain
            self.action = action
            self.stage = stage
            self.probability = probability
            self.degraded = degraded
            self.latencyMicroseconds = latencyMicroseconds
            self.modelVersion = modelVersion
            self.reasons = reasons
        }
    }

    /// A remembered verdict, found by message key (older than the recent list, without its reasons).
    public struct Remembered: Sendable, Equatable {
        public var time: Int64
        public var action: Action
        public var stage: Cascade.Stage
        public var probability: Float
    }

    /// One minute's counts.
    public struct Minute: Sendable, Equatable {
        /// The minute's first second (Unix time).
        public var start: Int64
        /// Verdicts by action and stage (``count(_:_:)``).
        public var verdicts: [Int]
        /// Verdicts per ``latencyBounds`` bucket (the last: slower than every bound).
        public var latency: [Int]
        public var degraded: Int

        public var total: Int { verdicts.reduce(0, +) }
        public func count(_ action: Action? = nil, _ stage: Cascade.Stage? = nil) -> Int {
            var n = 0
            for (a, i) in zip(Action.allCases, 0...) where action == nil || action == a {
                for (s, j) in zip(Cascade.Stage.allCases, 0...) where stage == nil || stage == s { n += verdicts[i * VerdictLedger.stages + j] }
            }
            return n
        }
    }

    /// One day's scores, actions and feedback.
    public struct Day: Sendable, Equatable {
        /// The day's first second (Unix time, UTC).
        public var start: Int64
        /// Served probabilities in ``ScoreHistogram/defaultBins`` equal bins.
        public var scores: [Int]
        /// Verdicts by action, in ``Action`` order.
        public var actions: [Int]
        public var feedback = Feedback()

        public struct Feedback: Sendable, Equatable {
            /// Reports of spam and of ham received this day.
            public var spamReports = 0
            public var hamReports = 0
            /// Reported spam, delivered below `quarantine` (spam found in the inbox).
            public var spamInInbox = 0
            /// Reported ham, at `quarantine` or above (rescued from spam).
            public var rescued = 0
            /// The report agrees with the action.
            public var agreed = 0
            /// Reports of messages not remembered here (before a restart, or too long ago).
            public var unmatched = 0

            public init() {}
        }

        public var verdicts: Int { actions.reduce(0, +) }
    }

    public let configuration: Configuration
    static let stages = Cascade.Stage.allCases.count
    static let cells = Action.allCases.count * stages
    /// Latency buckets' upper bounds in microseconds.
    public static let latencyBounds: [Int] = [
        50, 100, 200, 300, 500, 750, 1_000, 1_500, 2_000, 3_000, 5_000, 7_500, 10_000, 15_000, 25_000, 50_000, 100_000, 250_000, 1_000_000,
    ]

    private var minuteStarts: [Int64]
    private var minuteVerdicts: [Int]
    private var minuteLatency: [Int]
    private var minuteDegraded: [Int]
    private var days: [Day?]
    private var recentEntries: [Entry] = []
    private var recentNext = 0
    /// Remembered verdicts by a 64-bit hash of the message key (no key is kept; a collision is one in 2^64 per pair).
    private var current: [UInt64: Remembered] = [:]
    private var previous: [UInt64: Remembered] = [:]
    /// Verdicts since start.
    public private(set) var total = 0

    public init(configuration: Configuration = Configuration()) {
        var c = configuration
        c.minutes = max(c.minutes, 1)
        c.days = max(c.days, 1)
        c.recent = max(c.recent, 1)
        c.keys = max(c.keys, 2)
        self.configuration = c
        minuteStarts = Array(repeating: -1, count: c.minutes)
        minuteVerdicts = Array(repeating: 0, count: c.minutes * Self.cells)
        minuteLatency = Array(repeating: 0, count: c.minutes * (Self.latencyBounds.count + 1))
        minuteDegraded = Array(repeating: 0, count: c.minutes)
        days = Array(repeating: nil, count: c.days)
        recentEntries.reserveCapacity(c.recent)
    }

    // MARK: - Recording

    public mutating func record(_ e: Entry) {
        total += 1
        let minute = Self.floor(e.time, 60)
        let m = Int((minute / 60) % Int64(configuration.minutes))
        let a = Self.actionIndex(e.action), s = Self.stageIndex(e.stage)
        // A time older than the minute its slot now holds (a clock stepped back) is counted in no minute.
        if minute >= minuteStarts[m] {
            if minuteStarts[m] != minute {
                minuteStarts[m] = minute
                for i in 0..<Self.cells { minuteVerdicts[m * Self.cells + i] = 0 }
                let width = Self.latencyBounds.count + 1
                for i in 0..<width { minuteLatency[m * width + i] = 0 }
                minuteDegraded[m] = 0
            }
            minuteVerdicts[m * Self.cells + a * Self.stages + s] += 1
            minuteLatency[m * (Self.latencyBounds.count + 1) + Self.latencyBucket(e.latencyMicroseconds)] += 1
            if e.degraded { minuteDegraded[m] += 1 }
        }
        if let d = day(at: e.time) {
            if let b = ScoreHistogram.bin(e.probability, bins: ScoreHistogram.defaultBins) { days[d]!.scores[b] += 1 }
            days[d]!.actions[a] += 1
        }
        if recentEntries.count < configuration.recent {
            recentEntries.append(e)
        } else {
            recentEntries[recentNext] = e
        }
        recentNext = (recentNext + 1) % configuration.recent
        remember(e.messageKey, Remembered(time: e.time, action: e.action, stage: e.stage, probability: Float(e.probability)))
    }

    /// Counts a user's report against the verdict its message got (when remembered), on the day of `time`.
    public mutating func feedback(messageKey: String, spam: Bool, at time: Int64) {
        guard let d = day(at: time) else { return }
        if spam { days[d]!.feedback.spamReports += 1 } else { days[d]!.feedback.hamReports += 1 }
        guard let v = verdict(messageKey) else {
            days[d]!.feedback.unmatched += 1
            return
        }
        switch FeedbackOutcome(label: spam ? .spam : .ham, action: v.action) {
        case .spamInInbox: days[d]!.feedback.spamInInbox += 1
        case .rescued: days[d]!.feedback.rescued += 1
        case .agreed: days[d]!.feedback.agreed += 1
        }
    }

    private mutating func remember(_ key: String, _ value: Remembered) {
        if current.count >= configuration.keys / 2 {
            previous = current
            current = [:]
            current.reserveCapacity(configuration.keys / 2)
        }
        current[FeatureHash.xxh64(key)] = value
    }

    /// The ring slot of the day of `time`, made current; nil when the slot holds a later day (a time from the past).
    private mutating func day(at time: Int64) -> Int? {
        let start = Self.floor(time, 86_400)
        let i = Int((start / 86_400) % Int64(configuration.days))
        if let held = days[i]?.start, held > start { return nil }
        if days[i]?.start != start {
            days[i] = Day(start: start, scores: Array(repeating: 0, count: ScoreHistogram.defaultBins), actions: Array(repeating: 0, count: Action.allCases.count))
        }
        return i
    }

    // MARK: - Reading

    /// The verdict last given to `messageKey`, if still remembered.
    public func verdict(_ messageKey: String) -> Remembered? {
        let h = FeatureHash.xxh64(messageKey)
        return current[h] ?? previous[h]
    }

    /// The last `limit` verdicts, newest first; with `key`, only that message's.
    public func recent(limit: Int = 100, key: String? = nil) -> [Entry] {
        var out: [Entry] = []
        var i = recentNext
        for _ in 0..<recentEntries.count {
            i = (i - 1 + recentEntries.count) % recentEntries.count
            let e = recentEntries[i]
            if key == nil || e.messageKey == key { out.append(e) }
            if out.count >= limit { break }
        }
        return out
    }

    /// The `count` minutes up to the one holding `now`, oldest first (a minute with no verdict: zeros).
    public func minutes(_ count: Int, now: Int64) -> [Minute] {
        let last = Self.floor(now, 60)
        let width = Self.latencyBounds.count + 1
        return (0..<min(count, configuration.minutes)).reversed().map { back in
            let start = last - Int64(back) * 60
            let m = Int((start / 60) % Int64(configuration.minutes))
            guard start >= 0, minuteStarts[m] == start else {
                return Minute(start: start, verdicts: Array(repeating: 0, count: Self.cells), latency: Array(repeating: 0, count: width), degraded: 0)
            }
            return Minute(
                start: start, verdicts: Array(minuteVerdicts[m * Self.cells..<(m + 1) * Self.cells]),
                latency: Array(minuteLatency[m * width..<(m + 1) * width]), degraded: minuteDegraded[m])
        }
    }

    /// The `count` hours up to the one holding `now` (at most the minutes kept), oldest first: each the sum of its minutes.
    public func hours(_ count: Int, now: Int64) -> [Minute] {
        let hours = min(count, configuration.minutes / 60)
        guard hours > 0 else { return [] }
        let last = Self.floor(now, 3_600)
        let width = Self.latencyBounds.count + 1
        var out = (0..<hours).reversed().map { back in
            Minute(start: last - Int64(back) * 3_600, verdicts: Array(repeating: 0, count: Self.cells), latency: Array(repeating: 0, count: width), degraded: 0)
        }
        // The minutes from the first hour's start to now.
        let span = Int((Self.floor(now, 60) - out[0].start) / 60) + 1
        for m in minutes(span, now: now) where m.start >= out[0].start {
            let h = Int((m.start - out[0].start) / 3_600)
            for i in 0..<Self.cells { out[h].verdicts[i] += m.verdicts[i] }
            for i in 0..<width { out[h].latency[i] += m.latency[i] }
            out[h].degraded += m.degraded
        }
        return out
    }

    /// The `count` days up to the one holding `now`, oldest first (a day with nothing: zeros).
    public func days(_ count: Int, now: Int64) -> [Day] {
        let last = Self.floor(now, 86_400)
        return (0..<min(count, configuration.days)).reversed().map { back in
            let start = last - Int64(back) * 86_400
            let i = Int((start / 86_400) % Int64(configuration.days))
            if start >= 0, let d = days[i], d.start == start { return d }
            return Day(start: start, scores: Array(repeating: 0, count: ScoreHistogram.defaultBins), actions: Array(repeating: 0, count: Action.allCases.count))
        }
    }

    // MARK: - Helpers

    /// The latency at quantile `q` (0...1) of `minutes`' verdicts in microseconds: the upper bound of the bucket
    /// that holds it (nil when there were none; `Int.max` past the last bound).
    public static func latencyQuantile(_ q: Double, of minutes: [Minute]) -> Int? {
        var counts = Array(repeating: 0, count: latencyBounds.count + 1)
        for m in minutes { for (i, c) in m.latency.enumerated() { counts[i] += c } }
        let total = counts.reduce(0, +)
        guard total > 0 else { return nil }
        let rank = max(1, Int((q * Double(total)).rounded(.up)))
        var seen = 0
        for (i, c) in counts.enumerated() {
            seen += c
            if seen >= rank { return i < latencyBounds.count ? latencyBounds[i] : Int.max }
        }
        return Int.max
    }

    static func latencyBucket(_ microseconds: Int) -> Int {
        var lo = 0, hi = latencyBounds.count
        while lo < hi {
            let mid = (lo + hi) / 2
            if latencyBounds[mid] < microseconds { lo = mid + 1 } else { hi = mid }
        }
        return lo
    }

    static func floor(_ t: Int64, _ unit: Int64) -> Int64 { t >= 0 ? t - t % unit : t - ((t % unit) + unit) % unit }
    static func actionIndex(_ a: Action) -> Int { Action.allCases.firstIndex(of: a)! }
    static func stageIndex(_ s: Cascade.Stage) -> Int { Cascade.Stage.allCases.firstIndex(of: s)! }

    /// A sender domain as the dashboard shows it: the registrable domain with all but the first two characters of its
    /// first label starred (at most six stars), the rest (the public suffix) as written: `pa****.com`.
    public static func mask(domain: String) -> String {
        let registrable = DomainName.registrable(domain.lowercased())
        guard let dot = registrable.firstIndex(of: ".") else { return String(registrable.prefix(2)) + "****" }
        let label = registrable[..<dot]
        let kept = label.prefix(2)
        return kept + String(repeating: "*", count: min(6, max(1, label.count - kept.count))) + registrable[dot...]
    }

    /// A reason as the dashboard shows it: its text, but for the text stages' reasons that name a word or a fragment
    /// of the message, only what kind of evidence it was and its weight (`body word … (+1.26)`).
    public static func describe(_ r: Cascade.Reason) -> String {
        if r.stage == .text || r.stage == .transformer {
            for (prefix, kind) in maskedReasons where r.text.hasPrefix(prefix) {
                return kind + " … (" + (r.weight < 0 ? "-" : "+") + Decimals.two(abs(r.weight)) + ")"
            }
        }
        return r.text
    }

    /// A kept reason as the dashboard shows it: a domain of the message it names (`header: from_domain=example.com
    /// (+0.61)`, `URL: domain=...`) masked as the sender's is (kept as written, like the sender's domain, and masked
    /// when shown, so that recording a verdict costs no more).
    public static func shown(_ reason: String) -> String {
        let u = reason.utf8
        guard let eq = u.firstIndex(of: UInt8(ascii: "=")), let space = u[..<eq].lastIndex(of: UInt8(ascii: " ")),
              maskedDomainKeys.contains(String(reason[u.index(after: space)..<eq])),
              let end = u[eq...].firstIndex(of: UInt8(ascii: " ")) else { return reason }
        let value = u.index(after: eq)
        return String(reason[..<value]) + mask(domain: String(reason[value..<end])) + String(reason[end...])
    }

    /// The metadata tokens whose value is a domain of the message (``MetadataTokens``).
    static let maskedDomainKeys: Set<String> = ["from_domain", "replyto_domain", "msgid_domain", "hop_by", "domain"]

    /// How the text stage words reasons that quote the message (``Classifier``): the words' views by label, the
    /// byte n-grams as `text contains "..."`, the header's as `header contains "..."`; and what is shown instead.
    static let maskedReasons: [(prefix: String, shown: String)] = [
        (FeatureView.subjectWords.label, FeatureView.subjectWords.label), (FeatureView.bodyWords.label, FeatureView.bodyWords.label),
        ("text contains", FeatureView.charNGrams.label), ("header contains", FeatureView.headerNGrams.label),
        (FeatureView.charNGrams.label, FeatureView.charNGrams.label), (FeatureView.headerNGrams.label, FeatureView.headerNGrams.label),
    ]
}
