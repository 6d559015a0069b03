import Foundation
import Logging
import MailsiftCore
import Prometheus
import Synchronization

/// Shadow mode: a candidate model (``ServerConfiguration/shadowModel``) scores live traffic beside the active
/// one before it is promoted. Its verdicts are never returned; where they differ from the active model's,
/// the difference is counted (Prometheus, and `GET /admin/shadow`) and logged with the message id and both
/// probabilities, never the content. A share of messages (``ServerConfiguration/shadowSample``) is scored,
/// inline after the active verdict, so each sampled message costs a second cascade run.
public final class ShadowScoring: Sendable {
    /// The candidate being shadowed (loaded with the active model, on every reload).
    public let models = ModelSwitch()
    public let sample: Double
    let logger: Logger
    private let counts = Mutex(Summary())
    private let messages: Counter
    private let disagreements: [String: Counter]
    private let actionChanges: [String: Counter]
    private let difference: ValueHistogram
    private let info: VersionInfoGauge

    /// What the shadow has seen since it was loaded (`GET /admin/shadow`).
    public struct Summary: Sendable, Encodable, Equatable {
        public var shadowVersion: String?
        public var activeVersion: String?
        /// Messages both models scored.
        public var messages = 0
        /// The active model said spam (quarantine or reject), the shadow not.
        public var spamToHam = 0
        /// The shadow said spam, the active model not.
        public var hamToSpam = 0
        /// Messages whose action differs (any of inbox, tag, quarantine, reject).
        public var actionChanges = 0
        /// Mean absolute difference of the two probabilities.
        public var meanProbabilityDifference = 0.0
    }

    public init(sample: Double, registry: PrometheusCollectorRegistry, logger: Logger) {
        self.sample = sample
        self.logger = logger
        func d(_ name: String, _ unit: String, _ help: String) -> MetricNameDescriptor { ServerMetrics.descriptor(name, unit, help) }
        messages = registry.makeCounter(descriptor: d("shadow_messages", "total", "Messages scored by the shadow model beside the active one"))
        var disagreements: [String: Counter] = [:]
        for (active, shadow) in [("spam", "ham"), ("ham", "spam")] {
            disagreements[active] = registry.makeCounter(
                descriptor: d("shadow_disagreements", "total", "Messages the shadow model labels otherwise than the active one"),
                labels: [("active", active), ("shadow", shadow)])
        }
        self.disagreements = disagreements
        var actionChanges: [String: Counter] = [:]
        for a in Action.allCases {
            for s in Action.allCases where s != a {
                actionChanges[a.rawValue + "|" + s.rawValue] = registry.makeCounter(
                    descriptor: d("shadow_action_changes", "total", "Messages whose action differs between the active and the shadow model"),
                    labels: [("active", a.rawValue), ("shadow", s.rawValue)])
            }
        }
        self.actionChanges = actionChanges
        difference = registry.makeValueHistogram(
            descriptor: d("shadow_probability_difference", "ratio", "Absolute difference of the active and shadow probabilities"),
            buckets: [0.001, 0.01, 0.05, 0.1, 0.2, 0.5, 0.9])
        info = VersionInfoGauge(registry: registry, name: "shadow_model", help: "The model scoring in shadow")
    }

    /// Installs a newly loaded candidate; the summary starts again.
    public func install(_ model: ServingModel) {
        models.install(model)
        counts.withLock { $0 = Summary(shadowVersion: model.version) }
        info.set(version: model.version)
    }

    public var summary: Summary { counts.withLock { $0 } }

    /// Whether this message is scored (the share ``sample``).
    func sampled() -> Bool { sample >= 1 || Double.random(in: 0..<1) < sample }

    /// Scores `a` with the candidate, as the active model did (same envelope, sender state and stream context),
    /// and records how the two verdicts differ.
    func score(
        _ a: AnalyzedMessage, envelope: Envelope, sender: SenderState, streamContext: StreamContext?, active: Cascade.Verdict, activeVersion: String,
        messageID: String?
    ) {
        guard let model = models.model, sampled() else { return }
        var cascade = model.cascade
        cascade.streamContext = streamContext
        let shadow = model.withScratch { cascade.classify(a, envelope: envelope, sender: sender, scratch: &$0) }
        guard shadow.probability.isFinite else { return }
        record(active: active, shadow: shadow, activeVersion: activeVersion, shadowVersion: model.version, messageID: messageID)
    }

    func record(active: Cascade.Verdict, shadow: Cascade.Verdict, activeVersion: String, shadowVersion: String, messageID: String?) {
        let activeSpam = active.action >= .quarantine, shadowSpam = shadow.action >= .quarantine
        let delta = abs(active.probability - shadow.probability)
        messages.increment()
        difference.record(delta)
        if activeSpam != shadowSpam { disagreements[activeSpam ? "spam" : "ham"]?.increment() }
        if active.action != shadow.action { actionChanges[active.action.rawValue + "|" + shadow.action.rawValue]?.increment() }
        counts.withLock { s in
            s.activeVersion = activeVersion
            s.messages += 1
            s.meanProbabilityDifference += (delta - s.meanProbabilityDifference) / Double(s.messages)
            if activeSpam && !shadowSpam { s.spamToHam += 1 }
            if shadowSpam && !activeSpam { s.hamToSpam += 1 }
            if active.action != shadow.action { s.actionChanges += 1 }
        }
        if activeSpam != shadowSpam {
            logger.info("shadow disagreement", metadata: [
                "message_id": "\(messageID ?? "")", "active": "\(activeVersion)", "shadow": "\(shadowVersion)",
                "active_probability": "\(active.probability)", "shadow_probability": "\(shadow.probability)",
                "active_action": "\(active.action.rawValue)", "shadow_action": "\(shadow.action.rawValue)",
            ])
        }
    }
}
