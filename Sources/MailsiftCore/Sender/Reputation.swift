import Foundation

/// The evidence about one sender: spam and ham counts, weighted (a verdict counts for less than a user's
/// feedback) and decayed with a half-life so that a sender's recent behaviour counts most. Its spam rate is
/// the mean of the Beta posterior: `(α + spam) / (α + β + spam + ham)` for a prior Beta(α, β).
public struct Reputation: Sendable, Hashable, Codable {
    public var spam: Double
    public var ham: Double
    /// When the counts were last decayed (Unix seconds).
    public var updated: Int64

    public init(spam: Double = 0, ham: Double = 0, updated: Int64 = 0) {
        self.spam = spam
        self.ham = ham
        self.updated = updated
    }

    /// How much evidence there is, in messages (decayed).
    public var evidence: Double { spam + ham }

    /// The counts decayed to `time` with `halfLife` seconds (counts are never made younger).
    public func decayed(to time: Int64, halfLife: Double) -> Reputation {
        guard time > updated, halfLife > 0 else { return self }
        let f = exp2(-Double(time - updated) / halfLife)
        return Reputation(spam: spam * f, ham: ham * f, updated: time)
    }

    /// Adds `weight` messages of evidence at `time`.
    public mutating func learn(spam isSpam: Bool, weight: Double, at time: Int64, halfLife: Double) {
        self = decayed(to: time, halfLife: halfLife)
        if time > updated { updated = time }
        if isSpam { spam += weight } else { ham += weight }
    }

    /// The posterior mean spam rate under `prior`.
    public func spamRate(prior: ReputationPrior) -> Double {
        (prior.alpha + spam) / (prior.strength + spam + ham)
    }
}

/// How reputation learns: the weight of a verdict and of feedback, and the half-life of evidence.
public struct ReputationPolicy: Sendable, Hashable, Codable {
    /// A verdict of the model counts as this many messages (less than one: the model should not convince
    /// itself).
    public var verdictWeight: Double = 0.2
    /// A user's feedback counts as this many messages.
    public var feedbackWeight: Double = 2
    /// Evidence halves in this many seconds (30 days).
    public var halfLifeSeconds: Double = 30 * 86_400
    /// Verdicts below this confidence (probability distance from 0.5 times two) teach nothing.
    public var minimumConfidence: Double = 0.6

    public init() {}

    /// The weight a verdict of probability `p` teaches with, or nil when it is too unsure.
    public func verdictLesson(probability p: Double) -> (spam: Bool, weight: Double)? {
        guard p.isFinite, abs(p - 0.5) * 2 >= minimumConfidence else { return nil }
        return (p >= 0.5, verdictWeight)
    }
}
