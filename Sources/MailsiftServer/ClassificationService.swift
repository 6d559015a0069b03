import Foundation
import Logging
import MailsiftAttachments
import MailsiftCore
import MailsiftCrypto
import MailsiftDNS
import MailsiftImages
import MailsiftLanguage
import NIOPosix
import Synchronization

/// What every protocol adapter (HTTP, Rspamd, spamd, milter) calls: classifies one message on the model now
/// serving, with the circuit breaker and the latency budget around the model stages, and records metrics.
/// Thread-safe; requests in flight keep the model they started on across a reload.
public final class ClassificationService: Sendable {
    public let models: ModelSwitch
    public let breaker: CircuitBreaker
    public let metrics: ServerMetrics
    public let configuration: ServerConfiguration
    public let logger: Logger
    /// Sender state (velocity, reputation), the feature log and feedback.
    public let learning: OnlineLearning
    /// Admin and feedback actions, with who and when (``AuditLog``).
    public let audit: AuditLog
    /// The A/B test, when ``ServerConfiguration/abModel`` is set: its candidate serves a share of recipients.
    public let ab: ABTest?
    /// The candidate scoring in shadow, when ``ServerConfiguration/shadowModel`` is set.
    public let shadow: ShadowScoring?
    /// Drift of scores, tree columns, missing fields and volume, hour against hours (``DriftService``).
    public let drift: DriftService
    /// The dashboard's record of verdicts and feedback, with `dashboard` on.
    public let ledger: DashboardLedger?
    /// Campaigns the operator marked `block` or `allow` (`POST /admin/fuzzy`).
    public let fuzzy: FuzzyListService
    /// Inspects attachments (libmagic, libarchive), with `attachments` on; nil when off or the libraries are missing.
    let attachmentInspector: (any AttachmentInspector)?
    /// Decodes images for their perceptual hash, with `images` on.
    let imageDecoder: (any ImageDecoder)?
    /// Detects the language of the text (CLD2), with `language` on.
    let languageDetector: (any LanguageDetector)?

    /// Analyses of content seen before (``ServerConfiguration/analysisCacheEntries``); nil when off.
    public let analysisCache: AnalysisCache?

    /// `base` with the configured attachment inspection, image decoding and analysis cache.
    func analyzer(_ base: MessageAnalyzer = MessageAnalyzer(), cached: Bool = true) -> MessageAnalyzer {
        var a = base
        a.attachmentInspector = attachmentInspector
        a.imageDecoder = imageDecoder
        a.languageDetector = languageDetector
        if cached { a.cache = analysisCache }
        return a
    }
    private let inFlight = Atomic<Int>(0)
    /// Whose authentication results are believed (``ServerConfiguration/trustedAuthservIDs``).
    let trust: AuthenticationTrust
    /// Mailsift's own SPF, DKIM, DMARC and ARC checks, as configured (nil with none of them on).
    let authentication: SenderAuthentication?

    /// The served model's cascade with the configured stream context (``ServerConfiguration/streamContextSettings``):
    /// a copy of a few references, made per message.
    func cascade(_ model: ServingModel) -> Cascade {
        var cascade = model.cascade
        cascade.streamContext = configuration.streamContextSettings
        return cascade
    }

    /// `resolver` answers the authentication checks' DNS; without one, a libunbound resolver on
    /// ``ServerConfiguration/dnsResolvers`` is made (and with none to be had, the checks are off, logged).
    public init(
        models: ModelSwitch, configuration: ServerConfiguration, metrics: ServerMetrics = ServerMetrics(), learning: OnlineLearning? = nil,
        resolver: (any DNSResolver)? = nil, logger: Logger
    ) {
        self.models = models
        self.configuration = configuration
        self.metrics = metrics
        self.logger = logger
        // validate() refuses a network that does not parse; a configuration that skipped it trusts nothing.
        trust = configuration.authenticationTrust ?? .none
        var authentication: SenderAuthentication?
        if configuration.spf || configuration.dkim || configuration.dmarc || configuration.arc {
            do {
                let dns = try resolver ?? UnboundResolver(forwarders: configuration.dnsResolvers)
                var a = SenderAuthentication(
                    resolver: dns, authservID: configuration.authservID, spf: configuration.spf || configuration.dmarc,
                    dkim: configuration.dkim || configuration.dmarc || configuration.arc ? SwiftCryptoDKIM() : nil)
                if configuration.dmarc { a.dmarc = DMARCCheck(resolver: dns, suffixes: try DomainName.publicSuffixes ?? LibPSL()) }
                if configuration.arc {
                    a.arc = ARCCheck(resolver: dns, crypto: SwiftCryptoDKIM())
                    a.trustedSealers = Set(configuration.trustedARCSealers.map { $0.lowercased() })
                }
                a.dmarcReject = configuration.dmarcReject
                authentication = a
            } catch {
                logger.error("SPF, DKIM and DMARC are off: no DNS resolver or Public Suffix List", metadata: ["error": "\(error)"])
            }
        }
        self.authentication = authentication
        self.learning = learning ?? OnlineLearning(
            configuration: configuration, store: nil, metrics: LearningMetrics(registry: metrics.registry), logger: logger)
        var inspector: (any AttachmentInspector)?
        if configuration.attachments {
            do {
                var hashes = AttachmentHashList()
                if let path = configuration.attachmentHashList {
                    hashes = AttachmentHashList(text: try String(contentsOfFile: path, encoding: .utf8))
                    logger.info("attachment hash list read", metadata: ["file": "\(path)", "hashes": "\(hashes.hashes.count)"])
                }
                inspector = try LibraryAttachmentInspector(hashList: hashes)
            } catch {
                logger.error("attachment inspection is off", metadata: ["error": "\(error)"])
            }
        }
        attachmentInspector = inspector
        imageDecoder = configuration.images ? LibraryImageDecoder() : nil
        languageDetector = configuration.language ? CLD2LanguageDetector() : nil
        analysisCache = configuration.analysisCacheEntries == 0 ? nil : AnalysisCache(
            capacity: configuration.analysisCacheEntries, ttl: .milliseconds(Int(configuration.analysisCacheSeconds * 1_000)),
            observer: { [metrics] hit in metrics.analysisCache(hit: hit) })
        var fuzzyConfiguration = configuration
        if fuzzyConfiguration.fuzzyFile == nil, let dir = configuration.dataDirectory { fuzzyConfiguration.fuzzyFile = dir + "/fuzzy.jsonl" }
        drift = DriftService(configuration: configuration, registry: metrics.registry, logger: logger)
        ledger = configuration.dashboard ? DashboardLedger() : nil
        fuzzy = FuzzyListService(configuration: fuzzyConfiguration, archive: self.learning.store as? any FuzzyListArchive, logger: logger)
        audit = AuditLog(
            path: configuration.auditFile ?? configuration.dataDirectory.map { ($0 as NSString).appendingPathComponent("audit.jsonl") },
            retentionDays: configuration.auditDays, logger: logger)
        ab = configuration.abModel == nil ? nil : ABTest(share: configuration.abShare, registry: metrics.registry, logger: logger)
        shadow = configuration.shadowModel == nil ? nil : ShadowScoring(sample: configuration.shadowSample, registry: metrics.registry, logger: logger)
        breaker = CircuitBreaker(failureThreshold: configuration.breakerFailures, openDuration: .seconds(configuration.breakerOpenSeconds))
        metrics.breakerState(.closed)
        if let model = models.model { metrics.modelServing(model) }
        if !configuration.language, models.model?.cascade.rules.readsLanguage == true {
            logger.warning("rules test the language, but language is off: those rules never hit (set language: true)")
        }
    }

    public var budget: Duration { .milliseconds(configuration.latencyBudgetMilliseconds) }

    /// Why a message got no verdict.
    public enum ServiceError: Error, CustomStringConvertible, Sendable {
        /// No model is loaded yet.
        case notReady
        /// The message could not be parsed at all.
        case unparsable(ParseError)

        public var description: String {
            switch self {
            case .notReady: "no model is loaded yet"
            case .unparsable(let e): "the message cannot be parsed: \(e)"
            }
        }
    }

    /// One verdict, as every adapter reports it.
    public struct Result: Sendable {
        public var label: String
        public var probability: Double
        public var action: Action
        public var stage: Cascade.Stage
        public var reasons: [Cascade.Reason]
        public var modelVersion: String
        /// True when the full cascade did not decide (``fallback`` says why): the verdict is the fallback's
        /// (rules and trees, ``Cascade/fallbackVerdict(_:envelope:sender:scratch:)``), or the text model's
        /// alone when the trees failed.
        public var degraded: Bool
        public var fallback: String?
        public var messageId: String?
        public var timings: Timings
        /// The rules that hit, with their scores (also among ``reasons``).
        public var rules: [RuleSet.Hit]

        public struct Timings: Sendable {
            public var analyseMicroseconds: Int
            public var classifyMicroseconds: Int
            public var totalMicroseconds: Int
        }

        public var isSpam: Bool { action >= .quarantine }
        /// The model's name for spam (its second label).
        public var spamLabel: String
        /// The `Authentication-Results` value Mailsift wrote (with its checks on), stamped on the message by the
        /// milter and spamd and given in the JSON reply.
        public var authenticationResults: String?
        /// The language and script of the visible text, with `language` on (``LanguageGuess``).
        public var language: LanguageGuess?

        /// A reason's weight toward spam (reasons weigh toward their verdict; rules always toward spam),
        /// as SpamAssassin and Rspamd clients read symbol scores.
        public func spamWeight(_ reason: Cascade.Reason) -> Double {
            reason.stage == .rules || label == spamLabel ? reason.weight : -reason.weight
        }
    }

    // MARK: - Admission

    /// Takes a slot for one request; false when ``ServerConfiguration/maxConcurrentRequests`` are being served
    /// (the caller answers 503). A successful admit must be paired with ``release()``.
    public func admit() -> Bool {
        let now = inFlight.wrappingAdd(1, ordering: .relaxed).newValue
        if now > configuration.maxConcurrentRequests {
            inFlight.wrappingSubtract(1, ordering: .relaxed)
            metrics.rejected(.overload)
            return false
        }
        metrics.inFlight(1)
        return true
    }

    public func release() {
        inFlight.wrappingSubtract(1, ordering: .relaxed)
        metrics.inFlight(-1)
    }

    public var requestsInFlight: Int { inFlight.load(ordering: .relaxed) }

    // MARK: - Classification

    /// Classifies `bytes`. `arrival` is when the whole message was in: the latency budget counts from there.
    /// `reasons` caps the reasons given (0: only the rules that hit, which saves wording the model's reasons).
    public func classify(
        _ bytes: [UInt8], envelope: Envelope = Envelope(), arrival: ContinuousClock.Instant = .now, reasons: Int? = nil
    ) async throws(ServiceError) -> Result {
        guard let active = models.model else {
            metrics.rejected(.notReady)
            throw .notReady
        }
        let clock = ContinuousClock()
        let start = clock.now
        // A large message is analysed and classified on NIO's thread pool, not on the event loop that read it:
        // tens of milliseconds of work there would hold up every other connection of that loop (the fair
        // share of the CPU comes from the operating system's scheduler instead).
        var large = bytes.count >= Self.offloadBytes
        let parser = analyzer(active.cascade.extractor.analyzer).parser
        var message: Message
        do {
            message = try await Self.run(offloaded: large) { try parser.parse(bytes) }
        } catch let error as ParseError {
            metrics.unparsableMessage()
            throw .unparsable(error)
        } catch {
            preconditionFailure("parsing throws only parse errors: \(error)")
        }
        // An A/B test: the candidate serves its arm's recipients, from here on.
        let arm = ab?.arm(message, envelope: envelope)
        let model = arm == .candidate ? ab?.models.model ?? active : active
        let extractor = { var e = model.cascade.extractor; e.analyzer = analyzer(e.analyzer); return e }()
        // Decoding images and listing archives can take milliseconds however small the message: a message with
        // either goes to the thread pool too.
        if !large, imageDecoder != nil || attachmentInspector != nil,
           message.leaves.contains(where: { $0.isAttachment || $0.contentType.type == "image" }) {
            large = true
        }
        let now = Int64(Date().timeIntervalSince1970)
        let parsed = clock.now
        // Mailsift's own results, written on top as a field of its authserv-id that the analysis trusts (and any
        // field the message brought in that name taken out). The wait on DNS is bounded by spf_budget_ms on its own,
        // and counts toward the analysis' budget no more than the wait for the sender state does (`waited`).
        var trust = self.trust
        var report: SenderAuthentication.Report?
        if let authentication {
            let asked = clock.now
            report = await authentication.authenticate(message, envelope: envelope, trust: trust, deadline: asked + .milliseconds(configuration.spfBudgetMilliseconds))
            metrics.stage("spf", clock.now - asked)
            if let result = report?.spf?.result { learning.metrics.spf(result) }
            for outcome in report?.dkim ?? [] { learning.metrics.dkim(outcome.result) }
            if let result = report?.dmarc?.result { learning.metrics.dmarc(result) }
            if let result = report?.arc?.result { learning.metrics.arc(result) }
            authentication.stamp(&message, with: report)
            trust = trust.trusting(authentication.authservID)
        }
        // Judged once: the sender's reputation prior reads only the authentication results the analysis trusts.
        let judgement = trust.judged(message)
        var (keys, sender) = await learning.observe(judgement.message, envelope: envelope, at: now)
        // Forgeable evidence counts only when the site can vouch for it: a reply when it names mail a user sent
        // (ReplyClaim), list fields when the users read the list (StreamContext) or, unless verify_lists, when the
        // envelope sender is the list's (ListClaim). Otherwise every stage reads the message without them.
        var replies = false
        if configuration.verifyReplies, case let claim = ReplyClaim(message), claim.claims {
            replies = await !learning.verifies(claim, at: now)
            learning.metrics.reply(replies ? .discounted : .verified)
        }
        var lists = ListClaim.Reading.corroborated
        let listClaim = ListClaim(message)
        if listClaim.claims {
            if (configuration.streamContextSettings ?? StreamContext()).trusts(sender) {
                lists = .asWritten
            } else if configuration.verifyLists {
                lists = .discounted
            }
        }
        // The wait for the sender state and the ledger (Redis, when shared) is not the message's analysis: it
        // counts toward neither the analyse stage nor the budget check below, as before the checks came first.
        var waited = clock.now - parsed
        let a = await Self.run(offloaded: large) { [judgement, replies, lists, envelope] in
            extractor.analyze(judgement, discountingReply: replies, lists: lists, envelopeSender: envelope.mailFrom)
        }
        if listClaim.claims { learning.metrics.list(a.listDiscounted ? .discounted : .verified) }
        var analysed = clock.now
        metrics.stage("analyse", analysed - start - waited)
        var fuzzyMatch: FuzzyList.Match?
        var campaigns: [String]?
        if configuration.campaigns || fuzzy.count > 0 {
            // The campaign's fingerprint, from the analysed text, and the operator's judgement of it.
            let fingerprint = CampaignFingerprint(a)
            fuzzyMatch = fuzzy.match(fingerprint, images: a.images?.compactMap(\.phash) ?? [])
            if configuration.campaigns { campaigns = fingerprint.counterKeys }
            metrics.stage("fingerprint", clock.now - analysed)
            analysed = clock.now
        }
        // The language's profile keys for the recipients (their mail in this language, and all of it).
        let profile = a.language?.known.map { SenderKeys.languageProfile(language: $0, recipients: keys.recipients) }
        if !(campaigns ?? []).isEmpty || !(profile ?? []).isEmpty {
            // Counted and read in one more trip to the store; its wait counts as the sender state's did.
            let counting = clock.now
            await learning.observeContent(campaigns: campaigns, languageProfile: profile, of: keys, into: &sender, at: now)
            keys.campaigns = campaigns
            keys.languageProfile = profile
            waited += clock.now - counting
            analysed = clock.now
        }
        if a.ignoredAuthentication > 0 {
            learning.metrics.authentication(.discounted)
        } else if a.message.headers.contains(where: \.isAuthenticationField) {
            learning.metrics.authentication(.verified)
        }

        // A message whose analysis used up the budget gets the fallback verdict, on its own: slow input is not
        // a failure of the model stages and never counts against the circuit breaker (an attacker could
        // otherwise open it for everyone with a few crafted messages).
        var fallback: ServerMetrics.Fallback?
        if analysed - arrival - waited > budget {
            fallback = .overBudget
        } else if !breaker.allows(now: analysed) {
            fallback = .breakerOpen
        } else {
            // The reasons and the log entry are made with the scratch the verdict was reached with (its text
            // features are there).
            let (verdict, done, why, entry) = await Self.run(offloaded: large) { [keys, sender, fuzzyMatch] in
                model.withScratch { scratch in
                    let cascade = self.cascade(model)
                    var v = cascade.classify(a, envelope: envelope, sender: sender, scratch: &scratch)
                    if let fuzzyMatch { cascade.applyFuzzy(fuzzyMatch, to: &v, blockAction: self.configuration.fuzzyBlockAction) }
                    let done = clock.now
                    let why = self.explain(v, model: model, a: a, reasons: reasons, scratch: &scratch)
                    return (v, done, why, self.logEntry(v, model: model, a: a, keys: keys, sender: sender, at: now, scratch: &scratch))
                }
            }
            metrics.stage("cascade", done - analysed)
            if done - arrival > budget { metrics.overBudgetRequest() }
            if verdict.probability.isFinite {
                shadow?.score(a, envelope: envelope, sender: sender, streamContext: configuration.streamContextSettings, active: verdict, activeVersion: model.version, messageID: entry?.messageID ?? MessageKey.of(a.message))
                await learning.learn(from: verdict.probability, keys: keys, entry: entry, at: now)
            }
            // Only the model stages' own failures count: an error or a probability that is not a number.
            let failed = verdict.treeError != nil || !verdict.probability.isFinite
            if let change = breaker.record(success: !failed, now: done) {
                metrics.breakerState(change)
                if change == .closed {
                    logger.notice("circuit breaker closed", metadata: ["model": "\(model.version)"])
                } else {
                    logger.warning("circuit breaker \(change.rawValue)", metadata: ["model": "\(model.version)", "cause": "\(verdict.treeError ?? "no finite probability")"])
                }
            }
            if !verdict.probability.isFinite {
                fallback = .modelError
            } else {
                if let error = verdict.treeError {
                    // The text model decided without the trees: still a model verdict, but flagged.
                    metrics.fellBack(.modelError)
                    logger.error("tree stage failed", metadata: ["model": "\(model.version)", "error": "\(error)"])
                    return result(verdict, model: model, a: a, fallback: .modelError, start: start, analysed: analysed - waited, reasons: why, authentication: report, keys: keys, arm: arm)
                }
                return result(verdict, model: model, a: a, fallback: nil, start: start, analysed: analysed - waited, reasons: why, authentication: report, keys: keys, arm: arm)
            }
        }
        let t = clock.now
        // The cheapest stages that still answer (rules, then the trees alone): a few microseconds once the
        // message is analysed, and they stop most clear spam and phishing (Cascade.fallbackVerdict).
        let (verdict, why, entry) = model.withScratch { scratch in
            var v = fallback == .modelError ? model.cascade.rulesVerdict(a, envelope: envelope)
                : cascade(model).fallbackVerdict(a, envelope: envelope, sender: sender, scratch: &scratch)
            if let fuzzyMatch { model.cascade.applyFuzzy(fuzzyMatch, to: &v, blockAction: configuration.fuzzyBlockAction) }
            return (v, explain(v, model: model, a: a, reasons: reasons, scratch: &scratch),
                    logEntry(v, model: model, a: a, keys: keys, sender: sender, at: now, scratch: &scratch))
        }
        metrics.stage("fallback", clock.now - t)
        // A degraded verdict is logged but teaches the reputations nothing.
        await learning.learn(from: .nan, keys: keys, entry: entry, at: now)
        metrics.fellBack(fallback!)  // every path that reaches here set it
        return result(verdict, model: model, a: a, fallback: fallback, start: start, analysed: analysed - waited, reasons: why, authentication: report, keys: keys, arm: arm)
    }

    /// Messages of this many bytes or more are analysed and classified on NIO's thread pool (see
    /// ``classify(_:envelope:arrival:reasons:)``); smaller ones, nearly all mail, where they arrived, without
    /// a hand-off between threads.
    public static let offloadBytes = 1 << 20

    /// Runs `body` on NIO's thread pool when `offloaded` (inline when the pool is not running), else inline.
    static func run<T: Sendable>(offloaded: Bool, _ body: @escaping @Sendable () throws -> T) async throws -> T {
        guard offloaded else { return try body() }
        do {
            return try await NIOThreadPool.singleton.runIfActive(body)
        } catch is NIOThreadPoolError.ThreadPoolInactive {
            return try body()
        }
    }

    /// The same for a `body` that cannot fail.
    static func run<T: Sendable>(offloaded: Bool, _ body: @escaping @Sendable () -> T) async -> T {
        guard offloaded, let result = try? await NIOThreadPool.singleton.runIfActive(body) else { return body() }
        return result
    }

    /// The feature-log entry of a verdict, when features are logged.
    private func logEntry(
        _ v: Cascade.Verdict, model: ServingModel, a: AnalyzedMessage, keys: SenderKeys, sender: SenderState, at now: Int64,
        scratch: inout Cascade.Scratch
    ) -> FeatureLogEntry? {
        guard learning.logsFeatures else { return nil }
        return model.cascade.logEntry(
            a, verdict: v, messageID: MessageKey.of(a.message), time: now, keys: keys, sender: sender,
            computeText: configuration.featureLogText, scratch: &scratch)
    }

    /// The reasons of a verdict, at most `reasons` per stage (0: only the rules that hit), from the scratch
    /// the verdict was reached with.
    private func explain(
        _ v: Cascade.Verdict, model: ServingModel, a: AnalyzedMessage, reasons: Int?, scratch: inout Cascade.Scratch
    ) -> [Cascade.Reason] {
        let count = reasons ?? configuration.reasons
        guard count > 0 else {
            return v.rules.hits.map { Cascade.Reason(stage: .rules, feature: $0.name, weight: $0.score, text: $0.description) }
        }
        return model.cascade.reasons(a, verdict: v, count: count, scratch: &scratch)
    }

    private func result(
        _ v: Cascade.Verdict, model: ServingModel, a: AnalyzedMessage, fallback: ServerMetrics.Fallback?,
        start: ContinuousClock.Instant, analysed: ContinuousClock.Instant, reasons why: [Cascade.Reason],
        authentication report: SenderAuthentication.Report?, keys: SenderKeys, arm: TrafficSplit.Arm?
    ) -> Result {
        metrics.verdict(v)
        if let arm, let ab { ab.verdict(arm, action: v.action, messageKey: MessageKey.of(a.message)) }
        if configuration.drift { recordDrift(v, a: a, keys: keys) }
        var why = why
        if let report {
            // Named as Rspamd names its symbols; they weigh nothing (a rule on `spf=fail` or `dkim=fail` can).
            let reasons = report.entries.map { Cascade.Reason(stage: .rules, feature: $0.symbol, weight: 0, text: $0.text) }
            why.insert(contentsOf: reasons, at: 0)
        }
        let end = ContinuousClock.now
        func us(_ d: Duration) -> Int { Int(d.microseconds) }
        let r = Result(
            label: v.label, probability: v.probability, action: v.action, stage: v.stage, reasons: why, modelVersion: model.version,
            degraded: fallback != nil, fallback: fallback?.rawValue, messageId: MessageKey.of(a.message),
            timings: .init(analyseMicroseconds: us(analysed - start), classifyMicroseconds: us(end - analysed), totalMicroseconds: us(end - start)),
            rules: v.rules.hits, spamLabel: model.cascade.bundle.manifest.labels[1], authenticationResults: report?.field, language: a.language
        )
        ledger?.record(r, senderDomain: keys.fromDomain, at: Int64(Date().timeIntervalSince1970))
        return r
    }

    /// Counts a verdict for drift: its score, its tree row and the fields it lacked.
    private func recordDrift(_ v: Cascade.Verdict, a: AnalyzedMessage, keys: SenderKeys) {
        var missing = Set<DriftMonitor.Field>()
        if keys.clientIP == nil { missing.insert(.clientIP) }
        if a.message.from.isEmpty { missing.insert(.from) }
        if a.message.messageID == nil { missing.insert(.messageID) }
        if !a.message.headers.contains(where: { $0.lowercasedName == "authentication-results" }) { missing.insert(.authenticationResults) }
        drift.record(probability: v.probability, row: v.treeRow, missing: missing, at: Int64(Date().timeIntervalSince1970))
    }
}
