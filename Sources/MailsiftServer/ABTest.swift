import Foundation
import Logging
import MailsiftCore
import Prometheus
import Synchronization

/// A live A/B test (``ServerConfiguration/abModel``): a candidate model serves the verdicts of a share of recipients
/// (``TrafficSplit``, stable per recipient), the active model the rest. Per arm: verdicts by action, and what users'
/// feedback says of them (spam they found in their inbox, mail they rescued from spam), in Prometheus and at
/// `GET /admin/ab`. The candidate is loaded with the active model on every reload; promoting it stays the validation
/// gate's decision (`mailsift retrain`), not this test's.
public final class ABTest: Sendable {
    public let models = ModelSwitch()
    public let split: TrafficSplit
    let logger: Logger
    private let verdicts: [TrafficSplit.Arm: [Action: Counter]]
    private let feedback: [TrafficSplit.Arm: [FeedbackOutcome: Counter]]
    private let summaryState = Mutex(Summary())
    /// The arm and action of recent verdicts by message key, for the feedback that comes later.
    private let recent: BoundedCache<String, (arm: TrafficSplit.Arm, action: Action)>

    public struct Summary: Sendable, Encodable, Equatable {
        public var candidateVersion: String?
        public var share = 0.0
        public var control = Arm()
        public var candidate = Arm()

        public struct Arm: Sendable, Encodable, Equatable {
            public var messages = 0
            public var spam = 0
            public var spamInInbox = 0
            public var rescued = 0
            public var agreed = 0
        }
    }

    public init(share: Double, registry: PrometheusCollectorRegistry, logger: Logger) {
        split = TrafficSplit(share: share)
        self.logger = logger
        recent = BoundedCache(capacity: 200_000)
        var verdicts: [TrafficSplit.Arm: [Action: Counter]] = [:]
        var feedback: [TrafficSplit.Arm: [FeedbackOutcome: Counter]] = [:]
        for arm in TrafficSplit.Arm.allCases {
            var byAction: [Action: Counter] = [:]
            for action in Action.allCases {
                byAction[action] = registry.makeCounter(
                    descriptor: ServerMetrics.descriptor("ab_verdicts", "total", "Verdicts of the A/B test by arm and action"),
                    labels: [("arm", arm.rawValue), ("action", action.rawValue)])
            }
            verdicts[arm] = byAction
            var byOutcome: [FeedbackOutcome: Counter] = [:]
            for o in FeedbackOutcome.allCases {
                byOutcome[o] = registry.makeCounter(
                    descriptor: ServerMetrics.descriptor("ab_feedback", "total", "Users' feedback on the A/B test's verdicts, by arm: spam found in the inbox, mail rescued from spam, agreement"),
                    labels: [("arm", arm.rawValue), ("outcome", o.rawValue)])
            }
            feedback[arm] = byOutcome
        }
        self.verdicts = verdicts
        self.feedback = feedback
        summaryState.withLock { $0.share = split.share }
    }

    public func install(_ model: ServingModel) {
        models.install(model)
        summaryState.withLock { s in s = Summary(candidateVersion: model.version, share: split.share) }
    }

    public var summary: Summary { summaryState.withLock { $0 } }

    /// The arm of a message's first recipient (the envelope's, else To), when the candidate is loaded.
    public func arm(_ message: Message, envelope: Envelope) -> TrafficSplit.Arm {
        guard models.model != nil else { return .control }
        let recipient = envelope.recipients.first ?? message.addresses(in: ["to"], limit: 1).first?.address
        return split.arm(recipient.map { $0.trimmingCharacters(in: CharacterSet(charactersIn: "<> ")) })
    }

    public func verdict(_ arm: TrafficSplit.Arm, action: Action, messageKey: String) {
        verdicts[arm]?[action]?.increment()
        recent.keep((arm, action), for: messageKey)
        summaryState.withLock { s in
            if arm == .candidate {
                s.candidate.messages += 1
                if action >= .quarantine { s.candidate.spam += 1 }
            } else {
                s.control.messages += 1
                if action >= .quarantine { s.control.spam += 1 }
            }
        }
    }

    /// Counts stored feedback against the arm that gave the verdict (a message not seen here recently is not counted).
    public func record(_ reports: [Feedback]) {
        for f in reports {
            guard let (arm, action) = recent.value(f.messageID) else { continue }
            let outcome = FeedbackOutcome(label: f.label, action: action)
            feedback[arm]?[outcome]?.increment()
            summaryState.withLock { s in
                func add(_ a: inout Summary.Arm) {
                    switch outcome {
                    case .spamInInbox: a.spamInInbox += 1
                    case .rescued: a.rescued += 1
                    case .agreed: a.agreed += 1
                    }
                }
                if arm == .candidate { add(&s.candidate) } else { add(&s.control) }
            }
        }
    }
}
