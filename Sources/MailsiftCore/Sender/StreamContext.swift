/// The site's own context: a stream of mail (a mailing list, or one sender's mail) that the site's users have
/// marked as not spam is one they read, and its mail is not put out of their sight on the model's word. A
/// global model cannot know which lists and senders a site reads: held out of training, SpamAssassin's list mail
/// is flagged or not depending on whether the training ham was list mail, and its RSS digests all came from one
/// envelope sender the model had never seen (docs/generalisation.md, "The site's context").
///
/// The stream is ``SenderKeys/stream`` and its evidence the ``ReputationKind/stream`` reputation, which only
/// feedback teaches (verdicts teach ``SenderKeys/withoutStream``). A trusted stream's message is capped at
/// ``cap``: a model verdict of `quarantine` or `reject` becomes `tag`, and says so. A rule's own action (GTUBE,
/// a DMARC reject) is not touched.
public struct StreamContext: Sendable, Hashable, Codable {
    /// Least feedback evidence (decayed, in messages' worth: a report counts ``ReputationPolicy/feedbackWeight``)
    /// before a stream is trusted: two recent reports (4, decaying with a 30-day half-life) by default.
    public var minimumEvidence: Double = 3.5
    /// Highest spam rate (the stream reputation's posterior mean) of a trusted stream: two ham reports on the
    /// default prior (mean 0.5, strength 4) give 0.25; one spam report among three gives 0.4.
    public var maximumSpamRate: Double = 0.3
    /// The highest action a trusted stream's message gets from the model.
    public var cap: Action = .tag

    public init() {}

    /// Whether the stream reputation in `state` is trusted.
    public func trusts(_ state: SenderState?) -> Bool {
        guard let stream = state?.reputations[.stream] else { return false }
        return stream.evidence >= minimumEvidence && stream.spamRate <= maximumSpamRate
    }
}
