import Foundation

/// Drift of what a server sees, hour by hour against the hours before: the scores it gives (their mean, and their
/// distribution by the population stability index, PSI), the tree columns (PSI per column), the share of messages
/// that lack a field a site's setup should always give (the client IP, a From address...), and the volume. Alarms
/// when the current hour moves past the configured limits (the seed design's rule: the mean score shifts by more
/// than 10% in an hour; here also by more than three standard errors, so that a quiet hour's sampling noise does not
/// ring it). Pure and bounded: a ring of hourly histograms, ``Configuration/baselineHours`` plus one.
public struct DriftMonitor: Sendable {
    public struct Configuration: Sendable, Hashable {
        /// The hours before the current one that make the baseline.
        public var baselineHours = 24
        /// Messages the baseline and the current hour need before anything is judged.
        public var minimumBaseline = 500
        public var minimumCurrent = 100
        /// Alarm limits: PSI of the scores (0.2 is the usual "significant shift"), the mean score's relative change,
        /// a column's PSI, a field's missing share's absolute change, the volume's ratio to the baseline's hourly mean.
        public var scorePSI = 0.2
        public var meanShift = 0.10
        public var columnPSI = 0.25
        public var missingShift = 0.2
        public var volumeRatio = 5.0

        public init() {}
    }

    /// Fields whose absence says the site's setup changed (an MTA that stopped passing the client IP).
    public enum Field: String, CaseIterable, Sendable {
        case clientIP = "client_ip", from, messageID = "message_id", authenticationResults = "authentication_results"
    }

    /// Score bins (twenty over [0, 1]) and column bins (``columnBin(_:)``).
    public static let scoreBins = 20
    public static let columnBins = 18

    struct Hour: Sendable {
        var index: Int64
        var count = 0
        var scoreSum = 0.0
        var scoreSquares = 0.0
        var scores = [Int](repeating: 0, count: DriftMonitor.scoreBins)
        var columns: [Int]
        var rows = 0
        var missing = [Int](repeating: 0, count: Field.allCases.count)

        init(index: Int64, columns: Int) {
            self.index = index
            self.columns = [Int](repeating: 0, count: columns * DriftMonitor.columnBins)
        }
    }

    public let configuration: Configuration
    public let columnCount: Int
    private var hours: [Hour] = []

    public init(configuration: Configuration = Configuration(), columns: Int = MetadataFeature.allCases.count) {
        self.configuration = configuration
        columnCount = columns
    }

    static func hour(_ time: Int64) -> Int64 { time >= 0 ? time / 3_600 : (time - 3_599) / 3_600 }

    /// Records one verdict at `time`: its probability, its tree row (when the trees ran) and the fields it lacked.
    public mutating func record(probability p: Double, row: [Float]?, missing: Set<Field>, at time: Int64) {
        guard p.isFinite else { return }
        let h = Self.hour(time)
        if hours.last.map({ $0.index < h }) ?? true {
            hours.append(Hour(index: h, columns: columnCount))
            hours.removeAll { $0.index < h - Int64(configuration.baselineHours) }
        }
        guard let i = hours.lastIndex(where: { $0.index == h }) else { return }  // older than the ring: dropped
        hours[i].count += 1
        hours[i].scoreSum += p
        hours[i].scoreSquares += p * p
        hours[i].scores[min(Self.scoreBins - 1, max(0, Int(p * Double(Self.scoreBins))))] += 1
        if let row, row.count >= columnCount {
            hours[i].rows += 1
            for c in 0..<columnCount { hours[i].columns[c * Self.columnBins + Self.columnBin(row[c])] += 1 }
        }
        for f in missing { hours[i].missing[Field.allCases.firstIndex(of: f)!] += 1 }
    }

    /// A column's value in one of 18 bins that suit counts, sizes and shares alike: missing, negative, zero, four
    /// quarters of (0, 1], then doublings to 1,024, then more.
    public static func columnBin(_ v: Float) -> Int {
        if v.isNaN { return 0 }
        if v < 0 { return 1 }
        if v == 0 { return 2 }
        if v <= 1 { return 3 + min(3, Int((v * 4).rounded(.up)) - 1) }
        var bin = 7, edge: Float = 2
        while v > edge && bin < 17 {
            bin += 1
            edge *= 2
        }
        return bin
    }

    /// What the current hour looks like against the baseline.
    public struct Report: Sendable {
        /// Messages in the current hour and per baseline hour on average.
        public var current = 0
        public var baselinePerHour = 0.0
        public var scorePSI: Double?
        public var meanScore: Double?
        public var baselineMeanScore: Double?
        /// The mean's change relative to the baseline's mean, and in standard errors of the difference.
        public var meanShift: Double?
        public var meanShiftErrors: Double?
        /// PSI per tree column (those with rows in both windows), largest first.
        public var columnPSI: [(column: MetadataFeature, psi: Double)] = []
        /// Per field, the share of messages without it: now, and in the baseline.
        public var missing: [Field: (current: Double, baseline: Double)] = [:]
        public var volumeRatio: Double?
        /// Each limit passed, in words.
        public var alarms: [String] = []
    }

    /// The current hour (the hour of `time`, or the one before while it has under ``Configuration/minimumCurrent``
    /// messages) against the ``Configuration/baselineHours`` before it.
    public func report(at time: Int64) -> Report {
        var r = Report()
        let h = Self.hour(time)
        var current = hours.first { $0.index == h }
        if (current?.count ?? 0) < configuration.minimumCurrent, let previous = hours.first(where: { $0.index == h - 1 }) { current = previous }
        guard let now = current else { return r }
        let base = hours.filter { $0.index < now.index && $0.index >= now.index - Int64(configuration.baselineHours) }
        r.current = now.count
        let baseCount = base.map(\.count).reduce(0, +)
        r.baselinePerHour = base.isEmpty ? 0 : Double(baseCount) / Double(configuration.baselineHours)
        for (i, f) in Field.allCases.enumerated() where now.count > 0 {
            r.missing[f] = (Double(now.missing[i]) / Double(now.count), Double(base.map { $0.missing[i] }.reduce(0, +)) / Double(max(1, baseCount)))
        }
        guard now.count >= configuration.minimumCurrent, baseCount >= configuration.minimumBaseline else { return r }
        let baseScores = (0..<Self.scoreBins).map { b in base.map { $0.scores[b] }.reduce(0, +) }
        r.scorePSI = Self.psi(now.scores, baseScores)
        r.meanScore = now.scoreSum / Double(now.count)
        r.baselineMeanScore = base.map(\.scoreSum).reduce(0, +) / Double(baseCount)
        if let m = r.meanScore, let b = r.baselineMeanScore, b > 0 {
            r.meanShift = (m - b) / b
            let varNow = max(0, now.scoreSquares / Double(now.count) - m * m)
            let varBase = max(0, base.map(\.scoreSquares).reduce(0, +) / Double(baseCount) - b * b)
            let se = (varNow / Double(now.count) + varBase / Double(baseCount)).squareRoot()
            r.meanShiftErrors = se > 0 ? abs(m - b) / se : .infinity
        }
        let baseRows = base.map(\.rows).reduce(0, +)
        if now.rows >= configuration.minimumCurrent, baseRows >= configuration.minimumBaseline {
            for (c, column) in MetadataFeature.allCases.prefix(columnCount).enumerated() {
                let range = c * Self.columnBins..<(c + 1) * Self.columnBins
                let b = range.map { i in base.map { $0.columns[i] }.reduce(0, +) }
                r.columnPSI.append((column, Self.psi(Array(now.columns[range]), b)))
            }
            r.columnPSI.sort { $0.psi > $1.psi }
        }
        if r.baselinePerHour > 0 { r.volumeRatio = Double(now.count) / r.baselinePerHour }
        r.alarms = alarms(r)
        return r
    }

    func alarms(_ r: Report) -> [String] {
        let c = configuration
        var out: [String] = []
        if let psi = r.scorePSI, psi > c.scorePSI { out.append(String(format: "score distribution: PSI %.3f over %.2f", psi, c.scorePSI)) }
        if let shift = r.meanShift, abs(shift) > c.meanShift, (r.meanShiftErrors ?? 0) > 3 {
            out.append(String(format: "mean score %.4f against %.4f (%+.0f%%, limit %.0f%%)", r.meanScore ?? 0, r.baselineMeanScore ?? 0, 100 * shift, 100 * c.meanShift))
        }
        for (column, psi) in r.columnPSI where psi > c.columnPSI {
            out.append(String(format: "tree column %@: PSI %.3f over %.2f", column.name, psi, c.columnPSI))
        }
        for f in Field.allCases {
            if let m = r.missing[f], abs(m.current - m.baseline) > c.missingShift {
                out.append(String(format: "%@ missing in %.0f%% of messages against %.0f%%", f.rawValue, 100 * m.current, 100 * m.baseline))
            }
        }
        if let v = r.volumeRatio, v > c.volumeRatio || v < 1 / c.volumeRatio {
            out.append(String(format: "volume %.1fx the baseline's hourly mean", v))
        }
        return out
    }

    /// The population stability index of `current` against `baseline` (counts per bin): the sum over bins of
    /// (a - b) ln(a / b) on the bins' shares, each share floored at 10^-4 so that an empty bin counts without
    /// dividing by zero.
    public static func psi(_ current: [Int], _ baseline: [Int]) -> Double {
        let a = Double(max(1, current.reduce(0, +))), b = Double(max(1, baseline.reduce(0, +)))
        var psi = 0.0
        for (x, y) in zip(current, baseline) {
            let p = max(Double(x) / a, 1e-4), q = max(Double(y) / b, 1e-4)
            psi += (p - q) * log(p / q)
        }
        return psi
    }
}
