/// What to do with a message, by how sure the model is that it is spam.
public enum Action: String, Codable, Sendable, CaseIterable, Comparable {
    case inbox, tag, quarantine, reject

    public static func < (a: Action, b: Action) -> Bool {
        allCases.firstIndex(of: a)! < allCases.firstIndex(of: b)!
    }
}

/// Probability thresholds for the graded actions, chosen on calibrated out-of-fold scores of the training
/// side for a target false-positive rate: `quarantine` at the target (the spam verdict), `tag` at ten times
/// it, `reject` at a tenth of it, none below ``floor``. A message scoring at or above a threshold gets that
/// action.
public struct OperatingPoints: Codable, Sendable, Hashable {
    public var targetFPR: Double
    public var tag: Double
    public var quarantine: Double
    public var reject: Double

    public init(targetFPR: Double, tag: Double, quarantine: Double, reject: Double) {
        self.targetFPR = targetFPR
        self.tag = tag
        self.quarantine = quarantine
        self.reject = reject
    }

    public func action(probability p: Double) -> Action {
        if p >= reject { return .reject }
        if p >= quarantine { return .quarantine }
        if p >= tag { return .tag }
        return .inbox
    }

    /// Whether the action counts as a spam verdict.
    public func isSpam(probability p: Double) -> Bool { p >= quarantine }

    /// No action on a message the model itself calls more likely ham than spam. Where the training side's
    /// out-of-fold scores are separable (one ham source, say), every ham scores near 0 and the rates alone
    /// would put `tag` at 0: a model trained without SpamAssassin then tagged 82-88% of its hams
    /// (docs/generalisation.md).
    public static let floor = 0.5

    public static func choose(probabilities: [Double], labels: [Bool], targetFPR: Double) -> OperatingPoints {
        let hams = zip(probabilities, labels).filter { !$0.1 }.map(\.0).sorted(by: >)
        let quarantine = max(threshold(hams, fpr: targetFPR), floor)
        let tag = min(max(threshold(hams, fpr: targetFPR * 10), floor), quarantine)
        let reject = max(threshold(hams, fpr: targetFPR / 10), quarantine)
        return OperatingPoints(targetFPR: targetFPR, tag: tag, quarantine: quarantine, reject: reject)
    }

    /// The lowest threshold at which at most `fpr` of the hams (sorted, highest first) score at or above it.
    public static func threshold(_ hamsDescending: [Double], fpr: Double) -> Double {
        guard !hamsDescending.isEmpty else { return 0.5 }
        let allowed = Int((fpr * Double(hamsDescending.count)).rounded(.down) + 1e-9)
        guard allowed < hamsDescending.count else { return 0 }
        return min(hamsDescending[allowed].nextUp, 1)
    }
}
