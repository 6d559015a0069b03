/// What a user's report says of the verdict its message got: the online quality figures of the A/B test and the
/// dashboard.
public enum FeedbackOutcome: String, Sendable, CaseIterable {
    /// Reported spam, delivered below `quarantine`.
    case spamInInbox = "spam_in_inbox"
    /// Reported not spam, at `quarantine` or above.
    case rescued
    /// The report agrees with the action.
    case agreed

    public init(label: Feedback.Label, action: Action) {
        if label == .spam && action < .quarantine {
            self = .spamInInbox
        } else if label == .ham && action >= .quarantine {
            self = .rescued
        } else {
            self = .agreed
        }
    }
}
