import Foundation

/// The stages of a spam verdict, in order: rules (stage 0), gradient-boosted trees on metadata (stage 1),
/// the text model (stage 2), and their combination, each a ``CascadeStage`` in ``stages``. Cheap stages
/// first; in ``CascadeManifest/Mode/cascade`` mode a message the trees are sure of skips the text model.
/// Immutable and `Sendable`; each thread brings its own ``Scratch``.
public struct Cascade: Sendable {
    public let bundle: ModelBundle
    public let rules: RuleSet
    public private(set) var text: Classifier
    /// Nil for a text-only model (or when the tree model failed to load: the text model then decides alone).
    public let trees: (any TreeScorer)?
    public let mode: CascadeManifest.Mode
    /// The stages, in the order they run.
    public let stages: [any CascadeStage]
    /// The view models whose margins the combiner reads (``CascadeManifest/viewModels``), and which of the
    /// extractor's views each reads; empty without a tree stage.
    public let viewModels: [ViewModel]
    public let viewReads: [[Bool]]
    /// Streams of mail the site's users read cap the model's action (``StreamContext``); nil: no cap. Needs the
    /// sender state (``classify(_:envelope:sender:scratch:)``'s `sender`), which carries the stream's reputation.
    public var streamContext: StreamContext? = StreamContext()
    /// The sentence encoder of the transformer stage (stage 3, ``CascadeManifest/transformer``): with one whose
    /// model is the one the head was trained on, a message whose probability falls in the stage's band is
    /// refined by it. Nil, or another model: the stage does not run (``transformerActive``).
    public var encoder: (any SentenceEncoder)? {
        didSet {
            transformer = nil
            if let spec = bundle.manifest.cascade?.transformer, let encoder, spec.reads(encoder) { transformer = (spec, encoder) }
        }
    }
    /// The stage and its encoder when it runs (set with ``encoder``).
    private var transformer: (spec: TransformerSpec, encoder: any SentenceEncoder)?

    /// Whether the transformer stage runs: the model has one and ``encoder`` is the model it was trained on.
    public var transformerActive: Bool { transformer != nil }

    /// The thresholds the verdicts are given with: the transformer stage's while it runs, else the manifest's.
    public var operatingPoints: OperatingPoints? { transformer?.spec.operatingPoints ?? bundle.manifest.operatingPoints }

    /// `viewModels`: the bundle's, already decoded (``Cascade/init(loading:rules:mode:trees:)`` checks and decodes
    /// them once); nil decodes them here, and a bundle whose view sections do not match its manifest gets none.
    public init(
        bundle: ModelBundle, rules: RuleSet = .empty, trees: (any TreeScorer)?, mode: CascadeManifest.Mode? = nil, viewModels: [ViewModel]? = nil
    ) {
        self.bundle = bundle
        self.rules = rules
        text = Classifier(bundle: bundle)
        let manifest = bundle.manifest.cascade
        self.trees = manifest == nil ? nil : trees
        self.mode = mode ?? manifest?.mode ?? .stacked
        var stages: [any CascadeStage] = [RulesStage(rules: rules)]
        if let manifest, let scorer = self.trees {
            let exits = self.mode == .cascade ? manifest.exitBands : nil
            stages.append(TreeStage(
                scorer: scorer, calibration: manifest.treeCalibration, exits: exits, spamLabel: bundle.manifest.labels[1],
                spamExitBelow: Cascade.spamExitBelow(bundle.manifest)))
        }
        // Serving needs the weights only, not the optimiser state (`retrain` reads that from the bundle).
        self.viewModels = self.trees == nil ? [] : viewModels ?? (try? bundle.viewModels(state: false)) ?? []
        let order = text.extractor.viewOrder
        viewReads = self.viewModels.map { $0.reads(order) }
        let viewWeights = Array((manifest?.combiner.weights ?? []).dropFirst(2))
        stages.append(TextStage(classifier: text, viewModels: zip(self.viewModels, viewReads).map { ($0, $1) }, viewWeights: viewWeights))
        if let manifest, self.trees != nil { stages.append(CombinationStage(combiner: manifest.combiner)) }
        self.stages = stages
    }

    public var extractor: FeatureExtractor { text.extractor }

    /// Detects the language of each message analysed through ``extractor`` (``MessageAnalyzer/languageDetector``):
    /// for the rules' language tests and the verdict's language; the models read no language.
    public var languageDetector: (any LanguageDetector)? {
        get { text.extractor.analyzer.languageDetector }
        set { text.extractor.analyzer.languageDetector = newValue }
    }

    /// Where the trees' spam exit ends: the reject threshold when rejects need the stages' agreement (a
    /// message the trees alone would reject goes on to be confirmed), else nowhere.
    static func spamExitBelow(_ manifest: ModelManifest) -> Double {
        guard manifest.cascade?.rejectAgreement != nil, let points = manifest.operatingPoints else { return .infinity }
        return points.reject
    }

    var spamExitBelow: Double { Cascade.spamExitBelow(bundle.manifest) }

    public struct Scratch: Sendable {
        var text: Classifier.Scratch
        var row: [Float] = []
    }

    public func makeScratch() -> Scratch { Scratch(text: text.makeScratch()) }

    /// Which stage decided.
    public enum Stage: String, Codable, Sendable, CaseIterable {
        case rules, trees, text, combined, transformer
    }

    public struct Verdict: Sendable {
        public var label: String
        /// The calibrated probability of spam.
        public var probability: Double
        public var action: Action
        public var stage: Stage
        /// The stages' raw scores (log-odds) where they ran.
        public var textMargin: Double?
        public var treeMargin: Double?
        /// The transformer head's margin, when the stage ran.
        public var transformerMargin: Double?
        /// The view models' margins, when the combination ran (``viewModels``' order).
        public var viewMargins: [Double] = []
        /// The metadata columns the tree stage scored, when it ran.
        public var treeRow: [Float]?
        public var rules: RuleSet.Outcome
        /// The tree stage failed on this message (its error), and the verdict came without it.
        public var treeError: String?
        /// The probability reached `reject`, but the text model and the trees did not both say spam
        /// (``CascadeManifest/rejectAgreement``), or only one of them ran: the action is `quarantine`.
        public var rejectWithheld = false
        /// The model's action was above ``StreamContext/cap`` and the message belongs to a stream the site's users
        /// read (``streamContext``): the action is the cap.
        public var streamCapped = false
        /// Near-identical messages (this one included) the sender state counted in the last hour, when it counts
        /// campaigns (``VelocityKind/campaign``).
        public var campaignHour: UInt32?
        /// The campaign's distinct senders and recipients in the last hour or two (``SenderState/campaignSenders``).
        public var campaignSenders: Int?
        public var campaignRecipients: Int?
        /// The share of the recipients' known mail written in the message's language (``SenderState/languageShare``),
        /// when their language profile is known.
        public var languageShare: Double?
        /// The operator's judgement of the message's campaign (``applyFuzzy(_:to:blockAction:)``).
        public var fuzzy: FuzzyList.Match?
    }

    /// From how many near-identical messages in an hour a verdict names the campaign among its reasons.
    public static let campaignNotice: UInt32 = 5
    /// Under what share of a recipient's known mail a message's language is named among the reasons as unusual.
    public static let languageNotice = 0.02

    /// "1 sender", "5 senders", "64 or more senders" (``DistinctMembers/cap``).
    static func members(_ n: Int, _ noun: String) -> String {
        n >= DistinctMembers.cap ? "\(n) or more \(noun)s" : n == 1 ? "1 \(noun)" : "\(n) \(noun)s"
    }

    /// What the verdict records of the sender state for its reasons.
    func note(_ sender: SenderState?, in v: inout Verdict) {
        v.campaignHour = sender?.count(.campaign, .hour)
        v.campaignSenders = sender?.campaignSenders
        v.campaignRecipients = sender?.campaignRecipients
        v.languageShare = sender?.languageShare
    }

    /// Runs the stages in order until one decides. `sender` is the sender state (velocity and reputation)
    /// for the tree stage's sender columns; they are missing without it.
    public func classify(_ a: AnalyzedMessage, envelope: Envelope = Envelope(), sender: SenderState? = nil, scratch: inout Scratch) -> Verdict {
        var context = CascadeContext(envelope: envelope, sender: sender)
        for stage in stages {
            guard let decision = stage.run(a, context: &context, scratch: &scratch) else { continue }
            switch decision {
            case .action(let action):
                let spam = action >= .quarantine
                let labels = bundle.manifest.labels
                var v = Verdict(label: spam ? labels[1] : labels[0], probability: spam ? 1 : 0, action: action, stage: stage.kind, rules: context.rules)
                note(sender, in: &v)
                return v
            case .probability(var p):
                var kind = stage.kind
                var head: Double? = nil
                if let (spec, encoder) = transformer, spec.routes(p) {
                    let margin = spec.margin(encoder.embed(encoder.tokenizer.encode(TransformerInput.text(of: a), maxTokens: spec.tokens)))
                    p = spec.refined(probability: p, margin: margin)
                    kind = .transformer
                    head = margin
                }
                var v = verdict(p, stage: kind, text: context.textMargin, tree: context.treeMargin, context.rules, transformer: transformer?.spec)
                v.transformerMargin = head
                withholdReject(&v)
                capForStream(&v, sender: sender)
                v.viewMargins = context.viewMargins
                v.treeError = context.treeError
                v.treeRow = context.treeRow
                note(sender, in: &v)
                return v
            }
        }
        // The text stage always decides when nothing is left to combine; this is never reached.
        preconditionFailure("no stage decided")
    }

    /// The feature-log entry of `verdict` for `a`: the tree row it was scored with (computed when the tree
    /// stage did not run), and the text features the text stage computed, or, when it did not run, computed
    /// now (only with `computeText`; else none). `scratch` must be the one `verdict` was reached with: the
    /// text stage left its features there.
    public func logEntry(
        _ a: AnalyzedMessage, verdict v: Verdict, messageID: String, time: Int64, keys: SenderKeys, sender: SenderState?,
        computeText: Bool, scratch: inout Scratch
    ) -> FeatureLogEntry {
        var rows: [UInt32] = [], ends: [Int] = []
        if v.textMargin != nil || computeText {
            if v.textMargin == nil { text.extractor.features(of: a, scratch: &scratch.text.extraction, into: &scratch.text.features) }
            rows = scratch.text.features.rows
            ends = scratch.text.features.viewEnds
        }
        return FeatureLogEntry(
            messageID: messageID, time: time, modelVersion: bundle.manifest.version, keys: keys,
            treeRow: v.treeRow ?? MetadataFeatureExtractor().values(of: a, sender: sender), textRows: rows, textViewEnds: ends,
            rulesScore: v.rules.score, probability: v.probability, action: v.action)
    }

    /// The verdict of stage 0 alone, for a server whose model stages cannot answer in time (its circuit
    /// breaker is open, or the request is past its latency budget). A deciding rule's action stands;
    /// otherwise the message fails open, as MTA filters do: `tag` when the scoring rules add up to spam
    /// evidence (a positive score), else `inbox`; never quarantined or rejected without a model. The
    /// probability is the logistic of the rules' score.
    public func rulesVerdict(_ a: AnalyzedMessage, envelope: Envelope = Envelope()) -> Verdict {
        let outcome = rules.evaluate(a, envelope: envelope)
        let labels = bundle.manifest.labels
        if let action = outcome.action {
            let spam = action >= .quarantine
            return Verdict(label: spam ? labels[1] : labels[0], probability: spam ? 1 : 0, action: action, stage: .rules, rules: outcome)
        }
        let p = 1 / (1 + exp(-outcome.score))
        return Verdict(label: labels[0], probability: p, action: outcome.score > 0 ? .tag : .inbox, stage: .rules, rules: outcome)
    }

    /// The verdict of the cheapest model stage that still answers, for a message the full cascade is not run
    /// on (its analysis used up the latency budget, or the circuit breaker is open): the rules, then the tree
    /// stage alone (its own calibration, the model's thresholds); when the trees fail, the text model alone;
    /// when that gives no probability either, ``rulesVerdict(_:envelope:)``. The trees take some
    /// microseconds once the message is analysed, and catch most clear spam and phishing without the text
    /// (docs/threat_model.md gives their recall and false-positive rate on the dev test rows).
    public func fallbackVerdict(_ a: AnalyzedMessage, envelope: Envelope = Envelope(), sender: SenderState? = nil, scratch: inout Scratch) -> Verdict {
        let ruled = rulesVerdict(a, envelope: envelope)
        if ruled.rules.action != nil { return ruled }
        var context = CascadeContext(envelope: envelope, sender: sender)
        context.rules = ruled.rules
        if let scorer = trees, let calibration = bundle.manifest.cascade?.treeCalibration {
            let stage = TreeStage(scorer: scorer, calibration: calibration, exits: nil, spamLabel: bundle.manifest.labels[1])
            _ = stage.run(a, context: &context, scratch: &scratch)
            if let margin = context.treeMargin {
                let p = calibration.probability(margin: margin + context.rules.score)
                if p.isFinite {
                    var v = verdict(p, stage: .trees, text: nil, tree: margin, context.rules)
                    v.treeRow = context.treeRow
                    note(sender, in: &v)
                    withholdReject(&v)
                    capForStream(&v, sender: sender)
                    return v
                }
            }
        }
        let margin = text.score(a, scratch: &scratch.text).margin
        let p = bundle.manifest.calibration.probability(margin: margin + context.rules.score)
        guard p.isFinite else { return ruled }
        var v = verdict(p, stage: .text, text: margin, tree: nil, context.rules)
        v.treeError = context.treeError
        note(sender, in: &v)
        withholdReject(&v)
        capForStream(&v, sender: sender)
        return v
    }

    /// With ``streamContext``: a model action above its cap, for a message of a stream the site's users read,
    /// becomes the cap. (A rule's own action never comes here.)
    /// The operator's judgement of the message's campaign (``FuzzyList``): `block` raises a model's action to
    /// `blockAction` at least, `allow` lowers it to `inbox`; the label follows, and the verdict records the match
    /// (its first reason) even when the action was already there. A rule's own action (stage `rules`) is not
    /// touched, nor the probability, which stays the model's.
    public func applyFuzzy(_ match: FuzzyList.Match, to v: inout Verdict, blockAction: Action = .quarantine) {
        guard v.stage != .rules else { return }
        let labels = bundle.manifest.labels
        switch match.entry.action {
        case .block: v.action = max(v.action, blockAction)
        case .allow: v.action = .inbox
        }
        v.label = v.action >= .quarantine ? labels[1] : labels[0]
        v.fuzzy = match
    }

    func capForStream(_ v: inout Verdict, sender: SenderState?) {
        guard let streamContext, v.action > streamContext.cap, streamContext.trusts(sender) else { return }
        v.action = streamContext.cap
        v.streamCapped = true
    }

    /// With ``CascadeManifest/rejectAgreement``: a `reject` stands only when both the text model and the trees
    /// ran and each alone gives the message at least that probability of spam (their own evidence, without the
    /// rules'); otherwise the action becomes `quarantine`. A rule's own action is not touched.
    func withholdReject(_ v: inout Verdict) {
        guard v.action == .reject, let level = bundle.manifest.cascade?.rejectAgreement, let c = bundle.manifest.cascade else { return }
        if let text = v.textMargin, let tree = v.treeMargin, bundle.manifest.calibration.probability(margin: text) >= level,
           c.treeCalibration.probability(margin: tree) >= level {
            return
        }
        v.action = .quarantine
        v.rejectWithheld = true
    }

    /// `transformer`: the active transformer stage, whose thresholds apply (``TransformerSpec/operatingPoints``).
    private func verdict(_ p: Double, stage: Stage, text: Double?, tree: Double?, _ outcome: RuleSet.Outcome, transformer: TransformerSpec? = nil) -> Verdict {
        let m = bundle.manifest
        let points = transformer?.operatingPoints ?? m.operatingPoints
        let spam = points?.isSpam(probability: p) ?? (p >= 0.5)
        let action = points?.action(probability: p) ?? (spam ? .quarantine : .inbox)
        return Verdict(
            label: spam ? m.labels[1] : m.labels[0], probability: p, action: action, stage: stage, textMargin: text, treeMargin: tree,
            rules: outcome
        )
    }

    // MARK: - Explanations

    /// A reason for a verdict, in words, with the stage it came from.
    public struct Reason: Sendable, Hashable, Codable {
        public var stage: Stage
        public var feature: String
        /// Log-odds toward the verdict.
        public var weight: Double
        public var text: String

        public init(stage: Stage, feature: String, weight: Double, text: String) {
            self.stage = stage
            self.feature = feature
            self.weight = weight
            self.text = text
        }
    }

    /// Why: each stage that ran says what in its output pushed hardest toward the verdict: the rules that
    /// hit, then the tree columns, then the text features, strongest first within each stage. A stage's
    /// weights are scaled by what its output counted for in the verdict (the combiner's weight for it when
    /// the combination decided; the text features' weights then include the view models' weights for them).
    /// `scratch` must be the one `verdict` was reached with (the text stage's features are read from it).
    public func reasons(_ a: AnalyzedMessage, verdict: Verdict, count: Int = 8, scratch: inout Scratch) -> [Reason] {
        let weights = bundle.manifest.cascade?.combiner.weights
        var out: [Reason] = []
        // Notices first: what the verdict was capped by, and evidence the analysis left out. They weigh nothing.
        let fuzzyText = verdict.fuzzy.map { m in
            String(format: "near-identical (%.2f) to a campaign the operator marked %@", m.similarity, m.entry.action == .block ? "spam" : "wanted")
                + (m.entry.note.isEmpty ? "" : ": " + m.entry.note)
        }
        let notices: [(Bool, String, String)] = [
            (verdict.fuzzy != nil, "fuzzy_" + (verdict.fuzzy?.entry.action.rawValue ?? ""), fuzzyText ?? ""),
            (verdict.rejectWithheld, "reject_withheld",
             "reject withheld: the text model and the trees do not both say spam (mail unlike the training mail); quarantined"),
            (a.replyDiscounted, "reply_unverified",
             "claims to be a reply, but In-Reply-To and References name no message this site knows: read as a new message"),
            (a.wordSaladWords > 0, "word_salad", "\(a.wordSaladWords) words in runs without punctuation (word salad) left out of the text models"),
            (!a.claimedAuthenticationPasses.isEmpty, "authentication_untrusted",
             "claims \(a.claimedAuthenticationPasses.joined(separator: ", ")) in authentication fields no trusted host wrote: ignored"),
            (a.listDiscounted, "list_unverified",
             "carries mailing-list headers that neither the envelope sender (not the list's domain) nor this site's users vouch for: read as a message without them"),
            (a.isImageOnly, "image_only", "an image with little text (under \(AnalyzedMessage.imageOnlyWords) words): the text models had little to read"),
            (!(a.attachments ?? []).flatMap(\.risks).isEmpty, "attachment_risk", (a.attachments ?? []).flatMap(\.risks).prefix(3).joined(separator: "; ")),
            ((verdict.campaignHour ?? 0) >= Cascade.campaignNotice, "campaign",
             "\(verdict.campaignHour ?? 0) near-identical messages in the last hour, this one included (one campaign)"
                + (verdict.campaignSenders.map { " from " + Self.members($0, "sender") + " to " + Self.members(verdict.campaignRecipients ?? 0, "recipient") } ?? "")),
            ((verdict.languageShare ?? 1) < Cascade.languageNotice, "language_unusual",
             String(format: "written in %@: %.1f%% of the recipient's known mail is", a.language?.language ?? "?", 100 * (verdict.languageShare ?? 0))),
            (verdict.streamCapped, "stream_read",
             "a list or sender this site's users read (their feedback marked its mail not spam): \(streamContext?.cap.rawValue ?? "tag") at most"),
        ]
        for (applies, feature, text) in notices where applies {
            out.append(Reason(stage: verdict.stage, feature: feature, weight: 0, text: text))
        }
        if let margin = verdict.transformerMargin, let spec = bundle.manifest.cascade?.transformer {
            let weight = spec.combiner[1] * margin
            out.append(Reason(
                stage: .transformer, feature: "transformer",
                weight: verdict.label == bundle.manifest.labels[1] ? weight : -weight,
                text: String(format: "the transformer read the start of the text and found it %@ (%+.2f)", margin > 0 ? "spam-like" : "ham-like", weight)))
        }
        for stage in stages {
            var scale = 1.0
            // A probability the transformer refined was the combination's when the text stage ran.
            if verdict.stage == .combined || (verdict.stage == .transformer && verdict.textMargin != nil && verdict.treeMargin != nil), let weights {
                if stage.kind == .trees { scale = weights[1] }
                if stage.kind == .text { scale = weights[0] }
            }
            out += stage.reasons(a, verdict: verdict, scale: scale, count: count, scratch: &scratch)
        }
        return out
    }

    /// The same, for a caller without the verdict's scratch: the text features are computed again.
    public func reasons(_ a: AnalyzedMessage, verdict: Verdict, count: Int = 8) -> [Reason] {
        var scratch = makeScratch()
        if verdict.textMargin != nil { text.extractor.features(of: a, scratch: &scratch.text.extraction, into: &scratch.text.features) }
        return reasons(a, verdict: verdict, count: count, scratch: &scratch)
    }
}
