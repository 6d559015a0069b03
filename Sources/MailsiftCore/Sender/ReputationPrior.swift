import Foundation

/// Where a sender's reputation starts before any evidence: a Beta(α, β) prior on its spam rate, with mean
/// ``mean`` and the weight of ``strength`` messages. A new sender starts at a prior read from what its
/// message proves (authentication results) rather than at zero or one, and its own verdicts and feedback
/// move it from there.
public struct ReputationPrior: Sendable, Hashable, Codable {
    /// The prior spam rate.
    public var mean: Double
    /// How many messages of evidence the prior is worth.
    public var strength: Double

    public init(mean: Double, strength: Double) {
        self.mean = min(max(mean, 0.001), 0.999)
        self.strength = max(strength, 0.001)
    }

    public var alpha: Double { mean * strength }
    public var beta: Double { (1 - mean) * strength }

    /// A prior with no information: mean 0.5, worth two messages.
    public static let neutral = ReputationPrior(mean: 0.5, strength: 2)

    /// How the prior is read from a message: a base spam rate moved in log-odds by each authentication
    /// result seen in Authentication-Results (or Received-SPF).
    public struct Model: Sendable, Hashable, Codable {
        /// The spam rate of a sender nothing is known about.
        public var baseRate: Double = 0.5
        /// The prior's weight, in messages.
        public var strength: Double = 4
        /// Log-odds added when DKIM passes, when DMARC passes, when SPF passes.
        public var dkimPass = -0.8, dmarcPass = -0.8, spfPass = -0.4
        /// Log-odds added when SPF fails, when DKIM fails, when DMARC fails.
        public var spfFail = 0.8, dkimFail = 0.8, dmarcFail = 1.2

        public init() {}

        public func prior(for m: Message) -> ReputationPrior {
            var logit = log(baseRate / (1 - baseRate))
            var seen = Set<String>()
            for check in m.authenticationResults.flatMap(\.checks) where seen.insert(check.method + "=" + check.result).inserted {
                switch (check.method, check.result) {
                case ("dkim", "pass"): logit += dkimPass
                case ("dmarc", "pass"): logit += dmarcPass
                case ("spf", "pass"): logit += spfPass
                case ("spf", "fail"): logit += spfFail
                case ("dkim", "fail"): logit += dkimFail
                case ("dmarc", "fail"): logit += dmarcFail
                default: break
                }
            }
            return ReputationPrior(mean: 1 / (1 + exp(-logit)), strength: strength)
        }
    }
}
