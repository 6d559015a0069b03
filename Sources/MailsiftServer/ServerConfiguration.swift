import Foundation
import MailsiftCore
import MailsiftFiles
import MailsiftPostgres
import MailsiftRedis
import Yams

/// Everything `mailsift serve` can be told, with the defaults a single host wants. Read from a YAML file
/// (`--config`), then from `MAILSIFT_*` environment variables, then from command-line options, each
/// overriding the one before (docs/serving.md lists every key).
public struct ServerConfiguration: Codable, Sendable, Equatable {
    /// Address the listeners bind to; loopback unless told otherwise.
    public var host = "127.0.0.1"
    /// HTTP API (and Rspamd `/checkv2`) port.
    public var port = 11_380
    /// spamd protocol (SPAMC/1.5) port; nil: no spamd listener.
    public var spamdPort: Int?
    /// Milter protocol port; nil: no milter listener.
    public var milterPort: Int?
    /// Model bundle; nil: the default model that ships with Mailsift.
    public var model: String?
    /// Rules file; nil: the shipped rules.
    public var rules: String?
    /// Run no rules at all.
    public var noRules = false
    /// The model and rules files to serve, as the loader takes them.
    public var modelSource: ModelLoader.Source { ModelLoader.Source(model: model, rules: rules, noRules: noRules) }
    /// Largest message accepted, in bytes (HTTP body, spamd and milter message).
    public var maxMessageBytes = 10 << 20
    /// Largest batch request body, in bytes.
    public var maxBatchBytes = 64 << 20
    /// Most messages in one batch request.
    public var maxBatchMessages = 1_000
    /// Most classification requests served at once; past it, 503 with Retry-After.
    public var maxConcurrentRequests = 64
    /// Latency budget of one classification, in milliseconds, counted from when the whole message is in: a
    /// message whose analysis has used it up gets the fallback verdict (rules and trees, `degraded: true`),
    /// and a classification that goes over it is counted (`mailsift_over_budget_total`).
    public var latencyBudgetMilliseconds = 250
    /// Seconds a connection may stay idle, and seconds a request may take from its first byte to its last,
    /// before the connection is closed.
    public var requestTimeoutSeconds = 30
    /// Bytes per second a request must average after its first 5 seconds, or its connection is closed (a
    /// client trickling a request would otherwise hold the connection for the whole request timeout).
    public var minRequestBytesPerSecond = 1_024
    /// Connections one client address may hold at once on each listener; past it, new ones are closed at
    /// once. An MTA with more smtpd processes than this, each with its milter connection, needs it raised.
    public var maxConnectionsPerClient = 128
    /// Consecutive model-stage failures (errors: a tree stage that fails, a probability that is not a number)
    /// that open the circuit breaker. Slow messages are not failures: each is answered on its own.
    public var breakerFailures = 5
    /// Seconds the breaker stays open before it lets one request try the model again.
    public var breakerOpenSeconds = 10
    /// Bearer token for `/admin/*` (and for feedback when no ``feedbackToken`` is set); nil: those
    /// endpoints answer 403.
    public var adminToken: String?
    /// Bearer token for `POST /v1/feedback` (a mail client's backend holds it, not the admin); nil: the
    /// admin token.
    public var feedbackToken: String?
    /// The data directory (the SQLite store: feedback, feature log, reputations); nil: sender state in
    /// memory only, no feature log, feedback refused.
    public var dataDirectory: String?
    /// Log each classification's features to the store (with a data directory).
    public var featureLog = true
    /// Also log the text features of messages the trees decided alone (the text stage did not run): the
    /// retraining of the text model needs them; costs a text feature extraction per message.
    public var featureLogText = true
    /// Days feature-log entries are kept.
    public var featureLogDays = 30
    /// Most feature-log entries waiting for the store; past it, entries are dropped and counted.
    public var featureLogQueue = 100_000
    /// Seconds between writes of the feature log and of changed reputations.
    public var flushSeconds = 1.0
    /// Most velocity keys held in process (the oldest are dropped past it).
    public var senderStateKeys = 1_000_000
    /// Seconds between recomputations of the communication graph's trust scores (PageRank).
    public var trustSeconds = 300.0
    /// Most communication-graph edges held in process (the least recently seen received ones go first).
    public var graphEdges = 2_000_000
    /// Cap the model's action at `tag` for mail of a list or sender the users marked not spam (``StreamContext``,
    /// docs/generalisation.md); off: the stream reputations are still learned, and not used.
    public var streamContext = true
    /// A stream is trusted from this much feedback evidence (messages' worth, decayed; a report counts 2)...
    public var streamMinEvidence = StreamContext().minimumEvidence
    /// ...and at most this spam rate (the stream reputation's posterior mean).
    public var streamMaxSpamRate = StreamContext().maximumSpamRate
    /// The stream context these settings give; nil when it is off.
    public var streamContextSettings: StreamContext? {
        guard streamContext else { return nil }
        var c = StreamContext()
        c.minimumEvidence = streamMinEvidence
        c.maximumSpamRate = streamMaxSpamRate
        return c
    }
    /// A message's reply headers (`In-Reply-To`, `References`, a `Re:` subject) count only when they name the
    /// Message-ID of mail a user sent (`POST /v1/sent`, the sent stream); otherwise the message is classified
    /// without them (``ReplyClaim``, docs/adversarial.md). Off: reply headers are read as written.
    public var verifyReplies = true
    /// List fields (`List-*`, `Precedence`, ...) count only for a list the users read (its stream trusted by their
    /// feedback: ``StreamContext``); otherwise the message is classified without them (``ListClaim``). Off by
    /// default: on `modern_lists`, whose ham is list mail nobody has given feedback on, it halves recall at 0.1% FPR
    /// (docs/adversarial.md).
    public var verifyLists = false
    /// Campaigns counted: each message's fingerprint (``CampaignFingerprint``) counted in the sender state store
    /// like the other velocity keys (in process, or in Redis for many servers), for the tree columns
    /// `campaignRate*` and the `campaign` reason (docs/content.md).
    public var campaigns = true
    /// Attachments inspected: their content type (libmagic), archives listed (libarchive: programs inside,
    /// encryption, unpacked size), VBA macros, PDF actions, SHA-256 against ``attachmentHashList`` (docs/content.md).
    public var attachments = true
    /// Images (attachments and inline parts: PNG, JPEG, GIF, WebP) decoded within ``imageLimits`` for their
    /// perceptual hash: the `images` tree columns, the `image_only` reason, and image matches in the fuzzy list.
    public var images = true
    /// The language and script of the text detected (CLD2, 160 languages): the verdict's `language` field, the rules'
    /// `language`, `language_not` and `script` tests, and each recipient's language profile (the `language` tree
    /// columns and the `language_unusual` reason), read and taught with the other reputations (docs/content.md).
    public var language = true
    /// Analyses kept by a hash of the message's content (body, MIME structure, subject), so a campaign's copies are
    /// analysed once per server (``AnalysisCache``); 0 turns the cache off.
    public var analysisCacheEntries = 10_000
    public var analysisCacheSeconds = 300.0
    /// A file of SHA-256 hashes of known bad attachments, one a line.
    public var attachmentHashList: String?
    /// The fuzzy list's file (JSON lines of ``FuzzyList/Entry``): read at start, appended to by `POST /admin/fuzzy`;
    /// nil: `fuzzy.jsonl` in the data directory when there is one, else the list lives in memory (and in Redis).
    public var fuzzyFile: String?
    /// The similarity from which a message matches a fuzzy list entry (docs/content.md).
    public var fuzzyThreshold = CampaignFingerprint.threshold
    /// The least action a `block` entry gives a message.
    public var fuzzyBlockAction = Action.quarantine
    /// How often each server reads the entries other servers added to Redis.
    public var fuzzyRefreshSeconds = 5.0
    /// How many distinct users must report near-identical messages (`POST /v1/report`) with one label before the campaign
    /// enters the fuzzy list (`block` for spam, `allow` for ham); 0: reports never add entries.
    public var fuzzyReportUsers = 3
    /// Drift: whether verdicts are counted for it (`drift`), how often the current hour is compared with the baseline (and the gauges set), and how many hours
    /// before it make the baseline (docs/operations.md).
    public var drift = true
    /// The dashboard at `/ui` (docs/operations.md), behind the admin token, and its bookkeeping of verdicts.
    public var dashboard = true
    public var driftSeconds = 60.0
    public var driftBaselineHours = 24
    /// The authserv-ids of the site's own MTAs and filters: `Authentication-Results` fields (and `Received-SPF`
    /// fields with `receiver=`) that carry one of them, above every Received hop from outside ``trustedNetworks``,
    /// are believed; every other such field is taken out before classification (``AuthenticationTrust``). Empty by
    /// default: a filter in front of the MTA has nobody's results to believe (docs/authentication.md).
    public var trustedAuthservIDs: [String] = []
    /// The site's own relays besides loopback (addresses or CIDR blocks): a Received hop from one of them is the
    /// site passing the message on, not the message arriving.
    public var trustedNetworks: [String] = []
    /// The trust these settings give; nil where a network does not parse (``validate()`` refuses it).
    public var authenticationTrust: AuthenticationTrust? {
        try? AuthenticationTrust(authservIDs: trustedAuthservIDs, networks: trustedNetworks)
    }
    /// Check SPF (RFC 7208) for every message whose SMTP client is known (the envelope's client IP, else the first
    /// Received hop from outside ``trustedNetworks``), write the result as Mailsift's own `Authentication-Results`
    /// (``authservID``), and let the rules and the reputation prior read it. Off by default: every message then
    /// waits on DNS (at most ``spfBudgetMilliseconds``), and a host without a resolver would wait for nothing.
    public var spf = false
    /// Check every `DKIM-Signature` (RFC 6376, RFC 8463) against the signer's key in DNS, within the same budget, and
    /// write the results into Mailsift's `Authentication-Results` beside SPF's. Off by default, as SPF.
    public var dkim = false
    /// Check DMARC (RFC 7489) on Mailsift's own SPF and DKIM results, with the Public Suffix List (libpsl), and write
    /// the result beside theirs. Off by default, as they are.
    public var dmarc = false
    /// Reject a DMARC failure whose domain publishes `p=reject` (the shipped rule `DMARC_REJECT` reads Mailsift's
    /// result then). Off by default: the failure is evidence only.
    public var dmarcReject = false
    /// Validate ARC chains (RFC 8617) and write the result beside the others (it turns DKIM on).
    public var arc = false
    /// Sealers (their `d=` domains) whose intact ARC chains are believed: a DMARC failure of mail they forwarded,
    /// whose DMARC passed upstream by their recorded results, reads as a pass (a mailing list the site reads).
    public var trustedARCSealers: [String] = []
    /// Resolvers for SPF (`192.0.2.53`, `127.0.0.1@5353`); empty: those of `/etc/resolv.conf`.
    public var dnsResolvers: [String] = []
    /// The authserv-id of the results Mailsift writes; fields with it that a message arrives with are taken out.
    public var authservID = "mailsift"
    /// The longest a message waits on DNS for SPF and DKIM, in milliseconds: what is not answered by then is `temperror`.
    public var spfBudgetMilliseconds = 200
    /// Run the model's transformer stage (stage 3) when it has one and the encoder's weights load; without the
    /// weights the model runs without it, logged once at start, and `mailsift_transformer_enabled` is 0.
    public var transformer = true
    /// The encoder's folder (default: MAILSIFT_ENCODER, else /usr/local/share/mailsift/all-MiniLM-L6-v2).
    public var transformerEncoder: String?
    /// The encoder's weights: `fp32` or `int8` (docs/transformer.md).
    public var transformerPrecision = "fp32"
    /// Days a sent message's Message-ID answers replies.
    public var replyRetentionDays = 180
    /// Most sent Message-IDs held in process (the oldest go first); Redis and the stores keep theirs by age.
    public var sentMessageIDs = 1_000_000
    /// The ledger policy these settings give.
    public var ledgerPolicy: MessageLedgerPolicy {
        MessageLedgerPolicy(retentionSeconds: Int64(replyRetentionDays) * 86_400, capacity: sentMessageIDs)
    }
    /// Redis (`redis://host:port`) for sender state shared by many servers; nil: in process only.
    public var redisURL: String?
    /// PostgreSQL (`postgres://user[:password]@host[:port]/database`) for feedback, the feature log and
    /// reputations shared by many servers and workers, in place of the data directory; nil: not used. Read
    /// from the file or `MAILSIFT_POSTGRES_URL` only (it may hold a password).
    public var postgresURL: String?
    /// A candidate model scored in shadow beside the serving one (its verdicts are counted and logged, never
    /// returned); nil: no shadow.
    public var shadowModel: String?
    /// Share of messages the shadow model scores (each costs a second cascade run).
    public var shadowSample = 1.0
    /// An A/B test: a candidate model that serves the verdicts of `ab_share` of recipients (stable per recipient), with
    /// per-arm verdict and feedback counts (docs/operations.md); nil: no test.
    public var abModel: String?
    /// The audit log of admin and feedback actions (docs/privacy.md): nil: `audit.jsonl` in the data directory when
    /// there is one, else none; kept `audit_days`.
    public var auditFile: String?
    /// The site's secret for pseudonyms (at least 16 bytes; `MAILSIFT_PRIVACY_KEY`): with it, addresses and client IPs
    /// are stored and counted as HMAC-SHA-256 pseudonyms (docs/privacy.md); nil: as written.
    public var privacyKey: String?
    public var auditDays = 365
    public var abShare = 0.1
    /// Seconds between checks of the model file for changes (hot reload); 0: no watching.
    public var watchSeconds = 2.0
    /// Reasons given per verdict.
    public var reasons = 8
    /// `debug`, `info`, `notice`, `warning`, `error`.
    public var logLevel = "info"
    /// Run Swift concurrency's tasks on SwiftNIO's event loops (one thread per core) instead of a pool of
    /// its own, so a request is parsed, classified and answered on one thread without hand-offs between
    /// the two pools (docs/benchmarks.md measures the difference). Process-wide; set once at start.
    public var nioExecutor = true

    public init() {}

    enum CodingKeys: String, CodingKey, CaseIterable {
        case host, port, spamdPort = "spamd_port", milterPort = "milter_port", model, rules, noRules = "no_rules"
        case maxMessageBytes = "max_message_bytes", maxBatchBytes = "max_batch_bytes", maxBatchMessages = "max_batch_messages"
        case maxConcurrentRequests = "max_concurrent_requests", latencyBudgetMilliseconds = "latency_budget_ms"
        case requestTimeoutSeconds = "request_timeout_seconds", minRequestBytesPerSecond = "min_request_bytes_per_second"
        case maxConnectionsPerClient = "max_connections_per_client", breakerFailures = "breaker_failures"
        case breakerOpenSeconds = "breaker_open_seconds", adminToken = "admin_token", watchSeconds = "watch_seconds"
        case reasons, logLevel = "log_level", nioExecutor = "nio_executor"
        case feedbackToken = "feedback_token", dataDirectory = "data_dir", featureLog = "feature_log", featureLogText = "feature_log_text"
        case featureLogDays = "feature_log_days", featureLogQueue = "feature_log_queue", flushSeconds = "flush_seconds"
        case senderStateKeys = "sender_state_keys", redisURL = "redis_url", postgresURL = "postgres_url"
        case shadowModel = "shadow_model", shadowSample = "shadow_sample", abModel = "ab_model", abShare = "ab_share", auditFile = "audit_file", auditDays = "audit_days", privacyKey = "privacy_key", trustSeconds = "trust_seconds", graphEdges = "graph_edges"
        case verifyReplies = "verify_replies", verifyLists = "verify_lists", campaigns, attachments, images, language, attachmentHashList = "attachment_hash_list",
             analysisCacheEntries = "analysis_cache_entries", analysisCacheSeconds = "analysis_cache_seconds", fuzzyFile = "fuzzy_file", fuzzyThreshold = "fuzzy_threshold",
             fuzzyBlockAction = "fuzzy_block_action", fuzzyRefreshSeconds = "fuzzy_refresh_seconds", fuzzyReportUsers = "fuzzy_report_users", drift, driftSeconds = "drift_seconds", driftBaselineHours = "drift_baseline_hours", replyRetentionDays = "reply_retention_days", sentMessageIDs = "sent_message_ids", dashboard
        case transformer, transformerEncoder = "transformer_encoder", transformerPrecision = "transformer_precision"
        case trustedAuthservIDs = "trusted_authserv_ids", trustedNetworks = "trusted_networks"
        case spf, dkim, dmarc, dmarcReject = "dmarc_reject", arc, trustedARCSealers = "trusted_arc_sealers", dnsResolvers = "dns_resolvers", authservID = "authserv_id", spfBudgetMilliseconds = "spf_budget_ms"
        case streamContext = "stream_context", streamMinEvidence = "stream_min_evidence", streamMaxSpamRate = "stream_max_spam_rate"
    }

    /// Missing keys keep their defaults; an unknown key is refused (a typo must not pass silently).
    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        let d = ServerConfiguration()
        host = try c.decodeIfPresent(String.self, forKey: .host) ?? d.host
        port = try c.decodeIfPresent(Int.self, forKey: .port) ?? d.port
        spamdPort = try c.decodeIfPresent(Int.self, forKey: .spamdPort)
        milterPort = try c.decodeIfPresent(Int.self, forKey: .milterPort)
        model = try c.decodeIfPresent(String.self, forKey: .model)
        rules = try c.decodeIfPresent(String.self, forKey: .rules)
        noRules = try c.decodeIfPresent(Bool.self, forKey: .noRules) ?? d.noRules
        maxMessageBytes = try c.decodeIfPresent(Int.self, forKey: .maxMessageBytes) ?? d.maxMessageBytes
        maxBatchBytes = try c.decodeIfPresent(Int.self, forKey: .maxBatchBytes) ?? d.maxBatchBytes
        maxBatchMessages = try c.decodeIfPresent(Int.self, forKey: .maxBatchMessages) ?? d.maxBatchMessages
        maxConcurrentRequests = try c.decodeIfPresent(Int.self, forKey: .maxConcurrentRequests) ?? d.maxConcurrentRequests
        latencyBudgetMilliseconds = try c.decodeIfPresent(Int.self, forKey: .latencyBudgetMilliseconds) ?? d.latencyBudgetMilliseconds
        requestTimeoutSeconds = try c.decodeIfPresent(Int.self, forKey: .requestTimeoutSeconds) ?? d.requestTimeoutSeconds
        minRequestBytesPerSecond = try c.decodeIfPresent(Int.self, forKey: .minRequestBytesPerSecond) ?? d.minRequestBytesPerSecond
        maxConnectionsPerClient = try c.decodeIfPresent(Int.self, forKey: .maxConnectionsPerClient) ?? d.maxConnectionsPerClient
        breakerFailures = try c.decodeIfPresent(Int.self, forKey: .breakerFailures) ?? d.breakerFailures
        breakerOpenSeconds = try c.decodeIfPresent(Int.self, forKey: .breakerOpenSeconds) ?? d.breakerOpenSeconds
        adminToken = try c.decodeIfPresent(String.self, forKey: .adminToken)
        watchSeconds = try c.decodeIfPresent(Double.self, forKey: .watchSeconds) ?? d.watchSeconds
        reasons = try c.decodeIfPresent(Int.self, forKey: .reasons) ?? d.reasons
        logLevel = try c.decodeIfPresent(String.self, forKey: .logLevel) ?? d.logLevel
        nioExecutor = try c.decodeIfPresent(Bool.self, forKey: .nioExecutor) ?? d.nioExecutor
        feedbackToken = try c.decodeIfPresent(String.self, forKey: .feedbackToken)
        dataDirectory = try c.decodeIfPresent(String.self, forKey: .dataDirectory)
        featureLog = try c.decodeIfPresent(Bool.self, forKey: .featureLog) ?? d.featureLog
        featureLogText = try c.decodeIfPresent(Bool.self, forKey: .featureLogText) ?? d.featureLogText
        featureLogDays = try c.decodeIfPresent(Int.self, forKey: .featureLogDays) ?? d.featureLogDays
        featureLogQueue = try c.decodeIfPresent(Int.self, forKey: .featureLogQueue) ?? d.featureLogQueue
        flushSeconds = try c.decodeIfPresent(Double.self, forKey: .flushSeconds) ?? d.flushSeconds
        senderStateKeys = try c.decodeIfPresent(Int.self, forKey: .senderStateKeys) ?? d.senderStateKeys
        redisURL = try c.decodeIfPresent(String.self, forKey: .redisURL)
        postgresURL = try c.decodeIfPresent(String.self, forKey: .postgresURL)
        shadowModel = try c.decodeIfPresent(String.self, forKey: .shadowModel)
        abModel = try c.decodeIfPresent(String.self, forKey: .abModel)
        auditFile = try c.decodeIfPresent(String.self, forKey: .auditFile)
        privacyKey = try c.decodeIfPresent(String.self, forKey: .privacyKey)
        auditDays = try c.decodeIfPresent(Int.self, forKey: .auditDays) ?? d.auditDays
        abShare = try c.decodeIfPresent(Double.self, forKey: .abShare) ?? d.abShare
        trustSeconds = try c.decodeIfPresent(Double.self, forKey: .trustSeconds) ?? d.trustSeconds
        graphEdges = try c.decodeIfPresent(Int.self, forKey: .graphEdges) ?? d.graphEdges
        streamContext = try c.decodeIfPresent(Bool.self, forKey: .streamContext) ?? d.streamContext
        verifyReplies = try c.decodeIfPresent(Bool.self, forKey: .verifyReplies) ?? d.verifyReplies
        verifyLists = try c.decodeIfPresent(Bool.self, forKey: .verifyLists) ?? d.verifyLists
        campaigns = try c.decodeIfPresent(Bool.self, forKey: .campaigns) ?? d.campaigns
        attachments = try c.decodeIfPresent(Bool.self, forKey: .attachments) ?? d.attachments
        images = try c.decodeIfPresent(Bool.self, forKey: .images) ?? d.images
        language = try c.decodeIfPresent(Bool.self, forKey: .language) ?? d.language
        analysisCacheEntries = try c.decodeIfPresent(Int.self, forKey: .analysisCacheEntries) ?? d.analysisCacheEntries
        analysisCacheSeconds = try c.decodeIfPresent(Double.self, forKey: .analysisCacheSeconds) ?? d.analysisCacheSeconds
        attachmentHashList = try c.decodeIfPresent(String.self, forKey: .attachmentHashList) ?? d.attachmentHashList
        fuzzyFile = try c.decodeIfPresent(String.self, forKey: .fuzzyFile) ?? d.fuzzyFile
        fuzzyThreshold = try c.decodeIfPresent(Double.self, forKey: .fuzzyThreshold) ?? d.fuzzyThreshold
        fuzzyBlockAction = try c.decodeIfPresent(Action.self, forKey: .fuzzyBlockAction) ?? d.fuzzyBlockAction
        fuzzyRefreshSeconds = try c.decodeIfPresent(Double.self, forKey: .fuzzyRefreshSeconds) ?? d.fuzzyRefreshSeconds
        fuzzyReportUsers = try c.decodeIfPresent(Int.self, forKey: .fuzzyReportUsers) ?? d.fuzzyReportUsers
        drift = try c.decodeIfPresent(Bool.self, forKey: .drift) ?? d.drift
        dashboard = try c.decodeIfPresent(Bool.self, forKey: .dashboard) ?? d.dashboard
        driftSeconds = try c.decodeIfPresent(Double.self, forKey: .driftSeconds) ?? d.driftSeconds
        driftBaselineHours = try c.decodeIfPresent(Int.self, forKey: .driftBaselineHours) ?? d.driftBaselineHours
        transformer = try c.decodeIfPresent(Bool.self, forKey: .transformer) ?? d.transformer
        transformerEncoder = try c.decodeIfPresent(String.self, forKey: .transformerEncoder)
        transformerPrecision = try c.decodeIfPresent(String.self, forKey: .transformerPrecision) ?? d.transformerPrecision
        trustedAuthservIDs = try c.decodeIfPresent([String].self, forKey: .trustedAuthservIDs) ?? d.trustedAuthservIDs
        trustedNetworks = try c.decodeIfPresent([String].self, forKey: .trustedNetworks) ?? d.trustedNetworks
        spf = try c.decodeIfPresent(Bool.self, forKey: .spf) ?? d.spf
        dkim = try c.decodeIfPresent(Bool.self, forKey: .dkim) ?? d.dkim
        dmarc = try c.decodeIfPresent(Bool.self, forKey: .dmarc) ?? d.dmarc
        dmarcReject = try c.decodeIfPresent(Bool.self, forKey: .dmarcReject) ?? d.dmarcReject
        arc = try c.decodeIfPresent(Bool.self, forKey: .arc) ?? d.arc
        trustedARCSealers = try c.decodeIfPresent([String].self, forKey: .trustedARCSealers) ?? d.trustedARCSealers
        dnsResolvers = try c.decodeIfPresent([String].self, forKey: .dnsResolvers) ?? d.dnsResolvers
        authservID = try c.decodeIfPresent(String.self, forKey: .authservID) ?? d.authservID
        spfBudgetMilliseconds = try c.decodeIfPresent(Int.self, forKey: .spfBudgetMilliseconds) ?? d.spfBudgetMilliseconds
        replyRetentionDays = try c.decodeIfPresent(Int.self, forKey: .replyRetentionDays) ?? d.replyRetentionDays
        sentMessageIDs = try c.decodeIfPresent(Int.self, forKey: .sentMessageIDs) ?? d.sentMessageIDs
        streamMinEvidence = try c.decodeIfPresent(Double.self, forKey: .streamMinEvidence) ?? d.streamMinEvidence
        streamMaxSpamRate = try c.decodeIfPresent(Double.self, forKey: .streamMaxSpamRate) ?? d.streamMaxSpamRate
        shadowSample = try c.decodeIfPresent(Double.self, forKey: .shadowSample) ?? d.shadowSample
        let known = Set(CodingKeys.allCases.map(\.rawValue))
        let unknown = try decoder.container(keyedBy: AnyKey.self).allKeys.map(\.stringValue).filter { !known.contains($0) }
        if let key = unknown.sorted().first {
            throw ConfigurationError(reason: "unknown key \"\(key)\" (known: \(known.sorted().joined(separator: ", ")))")
        }
    }

    private struct AnyKey: CodingKey {
        var stringValue: String
        var intValue: Int? { nil }
        init(stringValue: String) { self.stringValue = stringValue }
        init?(intValue: Int) { nil }
    }

    public struct ConfigurationError: Error, CustomStringConvertible {
        public var reason: String
        public var description: String { "configuration: \(reason)" }
    }

    /// A process's settings: the file (if any), then `MAILSIFT_*` variables of `environment`, then `adjust`
    /// (the command line's options); validated.
    public static func resolve(
        file: String?, environment: [String: String], adjust: (inout ServerConfiguration) -> Void = { _ in }
    ) throws -> ServerConfiguration {
        var c = try file.map(ServerConfiguration.load(file:)) ?? ServerConfiguration()
        try c.apply(environment: environment)
        adjust(&c)
        try c.validate()
        return c
    }

    /// Reads a YAML configuration file.
    public static func load(file path: String) throws -> ServerConfiguration {
        guard let data = FileManager.default.contents(atPath: path) else {
            throw ConfigurationError(reason: "cannot read \(path)")
        }
        do {
            return try YAMLDecoder().decode(ServerConfiguration.self, from: String(decoding: data, as: UTF8.self))
        } catch let error as ConfigurationError {
            throw ConfigurationError(reason: "\(path): \(error.reason)")
        } catch let DecodingError.dataCorrupted(context) where context.underlyingError is ConfigurationError {
            throw ConfigurationError(reason: "\(path): \((context.underlyingError as! ConfigurationError).reason)")
        } catch let DecodingError.typeMismatch(_, context) {
            throw ConfigurationError(reason: "\(path): \(context.codingPath.map(\.stringValue).joined(separator: ".")): \(context.debugDescription)")
        } catch {
            throw ConfigurationError(reason: "\(path): \(error)")
        }
    }

    /// Applies `MAILSIFT_<KEY>` variables (the file's keys in upper case: `MAILSIFT_PORT`,
    /// `MAILSIFT_ADMIN_TOKEN`...). A value that does not parse is refused.
    public mutating func apply(environment: [String: String]) throws {
        func value(_ key: CodingKeys) -> String? { environment["MAILSIFT_" + key.rawValue.uppercased()] }
        func int(_ key: CodingKeys) throws -> Int? {
            guard let s = value(key) else { return nil }
            guard let n = Int(s) else { throw ConfigurationError(reason: "MAILSIFT_\(key.rawValue.uppercased())=\(s) is not an integer") }
            return n
        }
        func double(_ key: CodingKeys) throws -> Double? {
            guard let s = value(key) else { return nil }
            guard let x = Double(s) else { throw ConfigurationError(reason: "MAILSIFT_\(key.rawValue.uppercased())=\(s) is not a number") }
            return x
        }
        func bool(_ key: CodingKeys) -> Bool? { value(key).map { ["1", "true", "yes"].contains($0.lowercased()) } }
        if let s = value(.host) { host = s }
        if let n = try int(.port) { port = n }
        if let n = try int(.spamdPort) { spamdPort = n }
        if let n = try int(.milterPort) { milterPort = n }
        if let s = value(.model) { model = s }
        if let s = value(.rules) { rules = s }
        if let b = bool(.noRules) { noRules = b }
        if let n = try int(.maxMessageBytes) { maxMessageBytes = n }
        if let n = try int(.maxBatchBytes) { maxBatchBytes = n }
        if let n = try int(.maxBatchMessages) { maxBatchMessages = n }
        if let n = try int(.maxConcurrentRequests) { maxConcurrentRequests = n }
        if let n = try int(.latencyBudgetMilliseconds) { latencyBudgetMilliseconds = n }
        if let n = try int(.requestTimeoutSeconds) { requestTimeoutSeconds = n }
        if let n = try int(.minRequestBytesPerSecond) { minRequestBytesPerSecond = n }
        if let n = try int(.maxConnectionsPerClient) { maxConnectionsPerClient = n }
        if let n = try int(.breakerFailures) { breakerFailures = n }
        if let n = try int(.breakerOpenSeconds) { breakerOpenSeconds = n }
        if let s = value(.adminToken) { adminToken = s }
        if let x = try double(.watchSeconds) { watchSeconds = x }
        if let n = try int(.reasons) { reasons = n }
        if let s = value(.logLevel) { logLevel = s }
        if let b = bool(.nioExecutor) { nioExecutor = b }
        if let s = value(.feedbackToken) { feedbackToken = s }
        if let s = value(.dataDirectory) { dataDirectory = s }
        if let b = bool(.featureLog) { featureLog = b }
        if let b = bool(.featureLogText) { featureLogText = b }
        if let n = try int(.featureLogDays) { featureLogDays = n }
        if let n = try int(.featureLogQueue) { featureLogQueue = n }
        if let x = try double(.flushSeconds) { flushSeconds = x }
        if let n = try int(.senderStateKeys) { senderStateKeys = n }
        if let s = value(.redisURL) { redisURL = s }
        if let s = value(.postgresURL) { postgresURL = s }
        if let s = value(.shadowModel) { shadowModel = s }
        if let s = value(.abModel) { abModel = s }
        if let s = value(.auditFile) { auditFile = s }
        if let s = value(.privacyKey) { privacyKey = s }
        if let n = try int(.auditDays) { auditDays = n }
        if let x = try double(.abShare) { abShare = x }
        if let x = try double(.trustSeconds) { trustSeconds = x }
        if let n = try int(.graphEdges) { graphEdges = n }
        if let b = bool(.streamContext) { streamContext = b }
        if let b = bool(.verifyReplies) { verifyReplies = b }
        if let b = bool(.verifyLists) { verifyLists = b }
        if let b = bool(.campaigns) { campaigns = b }
        if let b = bool(.attachments) { attachments = b }
        if let b = bool(.images) { images = b }
        if let b = bool(.language) { language = b }
        if let n = try int(.analysisCacheEntries) { analysisCacheEntries = n }
        if let x = try double(.analysisCacheSeconds) { analysisCacheSeconds = x }
        if let s = value(.attachmentHashList) { attachmentHashList = s }
        if let s = value(.fuzzyFile) { fuzzyFile = s }
        if let x = try double(.fuzzyThreshold) { fuzzyThreshold = x }
        if let s = value(.fuzzyBlockAction) {
            guard let a = Action(rawValue: s) else { throw ConfigurationError(reason: "fuzzy_block_action: \(s) is not an action") }
            fuzzyBlockAction = a
        }
        if let x = try double(.fuzzyRefreshSeconds) { fuzzyRefreshSeconds = x }
        if let n = try int(.fuzzyReportUsers) { fuzzyReportUsers = n }
        if let b = bool(.drift) { drift = b }
        if let b = bool(.dashboard) { dashboard = b }
        if let x = try double(.driftSeconds) { driftSeconds = x }
        if let n = try int(.driftBaselineHours) { driftBaselineHours = n }
        if let b = bool(.transformer) { transformer = b }
        if let s = value(.transformerEncoder) { transformerEncoder = s }
        if let s = value(.transformerPrecision) { transformerPrecision = s }
        func list(_ key: CodingKeys) -> [String]? {
            value(key).map { $0.split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) }.filter { !$0.isEmpty } }
        }
        if let l = list(.trustedAuthservIDs) { trustedAuthservIDs = l }
        if let l = list(.trustedNetworks) { trustedNetworks = l }
        if let b = bool(.spf) { spf = b }
        if let b = bool(.dkim) { dkim = b }
        if let b = bool(.dmarc) { dmarc = b }
        if let b = bool(.dmarcReject) { dmarcReject = b }
        if let b = bool(.arc) { arc = b }
        if let l = list(.trustedARCSealers) { trustedARCSealers = l }
        if let l = list(.dnsResolvers) { dnsResolvers = l }
        if let s = value(.authservID) { authservID = s }
        if let n = try int(.spfBudgetMilliseconds) { spfBudgetMilliseconds = n }
        if let n = try int(.replyRetentionDays) { replyRetentionDays = n }
        if let n = try int(.sentMessageIDs) { sentMessageIDs = n }
        if let x = try double(.streamMinEvidence) { streamMinEvidence = x }
        if let x = try double(.streamMaxSpamRate) { streamMaxSpamRate = x }
        if let x = try double(.shadowSample) { shadowSample = x }
    }

    /// Refuses values that cannot work, with the reason.
    public func validate() throws {
        func check(_ ok: Bool, _ reason: String) throws { if !ok { throw ConfigurationError(reason: reason) } }
        for (name, p) in [("port", port), ("spamd_port", spamdPort ?? 1), ("milter_port", milterPort ?? 1)] {
            try check((0...65_535).contains(p), "\(name) \(p) is not a TCP port")
        }
        try check(maxMessageBytes > 0 && maxBatchBytes > 0 && maxBatchMessages > 0, "limits must be positive")
        try check(maxConcurrentRequests > 0, "max_concurrent_requests must be positive")
        try check(latencyBudgetMilliseconds > 0 && requestTimeoutSeconds > 0, "timeouts must be positive")
        try check(minRequestBytesPerSecond >= 0, "min_request_bytes_per_second must not be negative")
        try check(maxConnectionsPerClient > 0, "max_connections_per_client must be positive")
        try check(breakerFailures > 0 && breakerOpenSeconds > 0, "breaker settings must be positive")
        try check(watchSeconds >= 0, "watch_seconds must not be negative")
        try check(fuzzyThreshold > 0 && fuzzyThreshold <= 1, "fuzzy_threshold must be in (0, 1]")
        try check(fuzzyRefreshSeconds > 0, "fuzzy_refresh_seconds must be positive")
        try check(fuzzyReportUsers >= 0, "fuzzy_report_users must be 0 (off) or more")
        try check(driftSeconds > 0, "drift_seconds must be positive")
        try check((1...24 * 14).contains(driftBaselineHours), "drift_baseline_hours must be 1 to 336")
        try check(analysisCacheEntries >= 0 && analysisCacheSeconds > 0, "analysis_cache_entries must not be negative, analysis_cache_seconds positive")
        try check(["fp32", "int8"].contains(transformerPrecision), "transformer_precision must be fp32 or int8")
        try check(spfBudgetMilliseconds > 0, "spf_budget_ms must be positive")
        try check(
            !authservID.isEmpty && authservID.utf8.count <= 253 && authservID.utf8.allSatisfy { $0 > 0x20 && $0 < 0x7F && $0 != UInt8(ascii: ";") && $0 != UInt8(ascii: "(") && $0 != UInt8(ascii: ")") },
            "authserv_id must be one token of printable ASCII (a host name)")
        do {
            _ = try AuthenticationTrust(authservIDs: trustedAuthservIDs, networks: trustedNetworks)
        } catch {
            throw ConfigurationError(reason: "trusted_networks: \(error)")
        }
        try check(adminToken.map { $0.utf8.count >= 16 } ?? true, "admin_token must have at least 16 characters")
        try check(feedbackToken.map { $0.utf8.count >= 16 } ?? true, "feedback_token must have at least 16 characters")
        try check(featureLogDays > 0 && featureLogQueue > 0 && senderStateKeys >= 16, "feature log and sender state limits must be positive")
        try check(flushSeconds > 0, "flush_seconds must be positive")
        try check(redisURL.map { (try? RedisClient(url: $0)) != nil } ?? true, "redis_url must be redis://host:port")
        try check(postgresURL.map { (try? PostgresStore.configuration(url: $0)) != nil } ?? true, "postgres_url must be postgres://user[:password]@host[:port]/database")
        try check(postgresURL == nil || dataDirectory == nil, "set data_dir (one process) or postgres_url (shared), not both")
        try check(trustSeconds > 0 && graphEdges >= 16, "trust_seconds and graph_edges must be positive")
        try check((0...1).contains(shadowSample), "shadow_sample must be between 0 and 1")
        try check((0...1).contains(abShare), "ab_share must be between 0 and 1")
        try check(auditDays > 0, "audit_days must be positive")
        try check(privacyKey.map { $0.utf8.count >= 16 } ?? true, "privacy_key must be at least 16 bytes")
        try check(replyRetentionDays > 0 && sentMessageIDs >= 16, "reply_retention_days and sent_message_ids must be positive")
        try check(streamMinEvidence > 0 && (0...1).contains(streamMaxSpamRate), "stream_min_evidence must be positive and stream_max_spam_rate between 0 and 1")
        try check(["trace", "debug", "info", "notice", "warning", "error", "critical"].contains(logLevel), "log_level \(logLevel) is unknown")
    }
}
