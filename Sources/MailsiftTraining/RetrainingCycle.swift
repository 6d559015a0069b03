import MailsiftCore

/// One retraining against the stores (what `mailsift retrain` runs each day): the feature log and feedback up
/// to the cut-off, the retrainer's candidate behind its gate, and every candidate registered, promoted or
/// rejected, with its parent. Labels up to the active version's cut-off are already in it, so only later
/// ones train. The first promotion keeps the model it was trained from as the retired predecessor.
public struct RetrainingCycle: Sendable {
    public var retrainer: Retrainer

    public init(retrainer: Retrainer) { self.retrainer = retrainer }

    public struct Outcome: Sendable {
        /// Nil when nothing could be trained (the report says why).
        public var candidate: ModelBundle?
        public var report: Retrainer.Report
        public var promoted: Bool { candidate != nil && report.promoted }
    }

    /// Retrains `current` (the registry's `active` version, or a model given from elsewhere when `active` is nil).
    public func run(
        current bundle: ModelBundle, active: ModelRecord?, rules: RuleSet, store: any FeedbackStore & FeatureLog, registry: any ModelRegistry,
        cutoff: Int64
    ) async throws -> Outcome {
        let since = active.map(\.createdAt) ?? .min
        let (candidate, report) = try retrainer.retrain(
            bundle, rules: rules, entries: try await store.entries(from: .min, through: cutoff),
            feedback: try await store.feedback(from: .min, through: cutoff), cutoff: cutoff, since: since)
        guard let candidate else { return Outcome(candidate: nil, report: report) }
        if active == nil, report.promoted {
            try await registry.register(try bundle.encoded(), record: ModelRecord(
                version: bundle.manifest.version, parent: nil, createdAt: cutoff, status: .retired, report: nil))
        }
        try await registry.register(try candidate.encoded(), record: ModelRecord(
            version: candidate.manifest.version, parent: bundle.manifest.version, createdAt: cutoff,
            status: report.promoted ? .active : .rejected, report: report.json()))
        return Outcome(candidate: candidate, report: report)
    }
}
