import Foundation
import MailsiftCore
import Prometheus
import Synchronization

/// The server's Prometheus metrics (`GET /metrics`), all made up front so that recording one is a few
/// atomic operations. Names and labels are listed in docs/serving.md.
public final class ServerMetrics: Sendable {
    public let registry: PrometheusCollectorRegistry

    /// Endpoints with their own latency histogram.
    public enum Endpoint: String, CaseIterable, Sendable {
        case classify, batch, checkv2, spamd, milter, feedback, admin, metrics
    }

    /// Why a request was refused before classification.
    public enum Rejection: String, CaseIterable, Sendable {
        case overload, tooLarge = "too_large", unauthorized, badRequest = "bad_request", notReady = "not_ready", timeout
    }

    /// Why a verdict is degraded: it came from the fallback (rules and trees), or from the text model alone.
    public enum Fallback: String, CaseIterable, Sendable {
        case breakerOpen = "breaker_open", overBudget = "over_budget", modelError = "model_error"
    }

    private let requestDuration: [Endpoint: DurationHistogram]
    private let stageDuration: [String: DurationHistogram]
    private let verdicts: [String: Counter]
    private let rejections: [Rejection: Counter]
    private let fallbacks: [Fallback: Counter]
    private let reloads: [Bool: Counter]
    private let unparsable: Counter
    private let cuts: [ConnectionGuard.Cut: Counter]
    private let overBudget: Counter
    private let rejectsWithheld: Counter
    private let streamCapped: Counter
    private let fuzzyMatches: [FuzzyList.Entry.Action: Counter]
    private let analysisCacheLookups: [Bool: Counter]
    private let score: ValueHistogram
    private let breaker: Gauge
    private let inFlight: Gauge
    private let modelLoaded: Gauge
    private let transformerEnabled: Gauge
    private let modelInfo: VersionInfoGauge

    static let latencyBuckets: [Duration] = [
        .microseconds(100), .microseconds(250), .microseconds(500), .milliseconds(1), .milliseconds(2), .milliseconds(5),
        .milliseconds(10), .milliseconds(25), .milliseconds(50), .milliseconds(100), .milliseconds(250), .seconds(1),
    ]

    public init(registry: PrometheusCollectorRegistry = PrometheusCollectorRegistry()) {
        self.registry = registry
        var requestDuration: [Endpoint: DurationHistogram] = [:]
        for e in Endpoint.allCases {
            requestDuration[e] = registry.makeDurationHistogram(descriptor: Self.descriptor("request_duration", "seconds", "Time to answer a request, by endpoint (classification and protocol endpoints)"), labels: [("endpoint", e.rawValue)], buckets: Self.latencyBuckets)
        }
        self.requestDuration = requestDuration
        var stageDuration: [String: DurationHistogram] = [:]
        for s in ["analyse", "fallback", "cascade", "spf", "fingerprint"] {
            stageDuration[s] = registry.makeDurationHistogram(descriptor: Self.descriptor("stage_duration", "seconds", "Time spent per message: analyse (parse, HTML, normalise), fallback (degraded verdicts: rules and trees), cascade (every stage that ran), spf (the wait on DNS for SPF, with spf on), fingerprint (the campaign fingerprint, with campaigns on)"), labels: [("stage", s)], buckets: Self.latencyBuckets)
        }
        self.stageDuration = stageDuration
        var verdicts: [String: Counter] = [:]
        for action in Action.allCases {
            for stage in Cascade.Stage.allCases {
                verdicts[action.rawValue + "|" + stage.rawValue] = registry.makeCounter(descriptor: Self.descriptor("verdicts", "total", "Verdicts by action and by the stage that decided"), labels: [("action", action.rawValue), ("stage", stage.rawValue)])
            }
        }
        self.verdicts = verdicts
        var rejections: [Rejection: Counter] = [:]
        for r in Rejection.allCases {
            rejections[r] = registry.makeCounter(descriptor: Self.descriptor("rejected_requests", "total", "Requests refused before classification"), labels: [("reason", r.rawValue)])
        }
        self.rejections = rejections
        var fallbacks: [Fallback: Counter] = [:]
        for f in Fallback.allCases {
            fallbacks[f] = registry.makeCounter(descriptor: Self.descriptor("fallbacks", "total", "Degraded verdicts (the fallback's: rules and trees; or the text model alone when the trees failed), by reason"), labels: [("reason", f.rawValue)])
        }
        self.fallbacks = fallbacks
        reloads = [
            true: registry.makeCounter(descriptor: Self.descriptor("model_reloads", "total", "Model reloads by result"), labels: [("result", "loaded")]),
            false: registry.makeCounter(descriptor: Self.descriptor("model_reloads", "total", "Model reloads by result"), labels: [("result", "refused")]),
        ]
        var cuts: [ConnectionGuard.Cut: Counter] = [:]
        for c in ConnectionGuard.Cut.allCases {
            cuts[c] = registry.makeCounter(descriptor: Self.descriptor("connections_cut", "total", "Connections closed by the server's guards: a request too slow or too long, a client over its connection limit, an HTTP body in too many pieces"), labels: [("reason", c.rawValue)])
        }
        self.cuts = cuts
        overBudget = registry.makeCounter(descriptor: Self.descriptor("over_budget", "total", "Classifications that took longer than the latency budget (each answered on its own; none counts against the circuit breaker)"))
        streamCapped = registry.makeCounter(descriptor: Self.descriptor("stream_capped", "total", "Verdicts capped at tag because the message belongs to a list or sender the site's users read (docs/generalisation.md)"))
        var fuzzyMatches: [FuzzyList.Entry.Action: Counter] = [:]
        for a in FuzzyList.Entry.Action.allCases {
            fuzzyMatches[a] = registry.makeCounter(descriptor: Self.descriptor("fuzzy_matches", "total", "Verdicts the fuzzy list matched: near-identical to a campaign the operator blocked or allowed (docs/content.md)"), labels: [("action", a.rawValue)])
        }
        self.fuzzyMatches = fuzzyMatches
        var lookups: [Bool: Counter] = [:]
        for hit in [true, false] {
            lookups[hit] = registry.makeCounter(descriptor: Self.descriptor("analysis_cache_lookups", "total", "Analyses looked up by content (a campaign's copies): hits and misses (docs/content.md)"), labels: [("result", hit ? "hit" : "miss")])
        }
        analysisCacheLookups = lookups
        rejectsWithheld = registry.makeCounter(descriptor: Self.descriptor("rejects_withheld", "total", "Verdicts quarantined, not rejected, because the text model and the trees did not both say spam (docs/generalisation.md)"))
        unparsable = registry.makeCounter(descriptor: Self.descriptor("unparsable_messages", "total", "Messages refused with a parse error"))
        score = registry.makeValueHistogram(descriptor: Self.descriptor("spam", "probability", "Calibrated spam probability of each verdict"), buckets: [0.01, 0.05, 0.1, 0.2, 0.3, 0.5, 0.7, 0.8, 0.9, 0.95, 0.99, 0.999])
        breaker = registry.makeGauge(descriptor: Self.descriptor("circuit_breaker", "state", "Model-stage circuit breaker: 0 closed, 1 open, 2 half open"))
        inFlight = registry.makeGauge(descriptor: Self.descriptor("requests", "in_flight", "Classification requests being served"))
        modelLoaded = registry.makeGauge(descriptor: Self.descriptor("model_loaded_timestamp", "seconds", "When the serving model was loaded (Unix time)"))
        modelInfo = VersionInfoGauge(registry: registry, name: "model", help: "The model being served")
        transformerEnabled = registry.makeGauge(descriptor: MetricNameDescriptor(
            namespace: "mailsift", metricName: "transformer", unitName: "enabled",
            helpText: "1 when the serving model's transformer stage runs; 0 when it has none, or its encoder is off or missing (docs/transformer.md)"))
    }

    static func descriptor(_ name: String, _ unit: String, _ help: String) -> MetricNameDescriptor {
        MetricNameDescriptor(namespace: "mailsift", metricName: name, unitName: unit, helpText: help)
    }

    public func request(_ endpoint: Endpoint, _ duration: Duration) { requestDuration[endpoint]?.record(duration) }
    public func stage(_ name: String, _ duration: Duration) { stageDuration[name]?.record(duration) }
    public func rejected(_ reason: Rejection) { rejections[reason]?.increment() }
    public func fellBack(_ reason: Fallback) { fallbacks[reason]?.increment() }
    public func unparsableMessage() { unparsable.increment() }
    func connectionCut(_ reason: ConnectionGuard.Cut) { cuts[reason]?.increment() }
    public func overBudgetRequest() { overBudget.increment() }
    public func inFlight(_ delta: Int) { delta > 0 ? inFlight.increment(by: Double(delta)) : inFlight.decrement(by: Double(-delta)) }

    public func verdict(_ v: Cascade.Verdict) {
        verdicts[v.action.rawValue + "|" + v.stage.rawValue]?.increment()
        if v.rejectWithheld { rejectsWithheld.increment() }
        if v.streamCapped { streamCapped.increment() }
        if let m = v.fuzzy { fuzzyMatches[m.entry.action]?.increment() }
        score.record(v.probability)
    }

    public func analysisCache(hit: Bool) { analysisCacheLookups[hit]?.increment() }

    public func breakerState(_ state: CircuitBreaker.State) {
        breaker.set(to: state == .closed ? 0 : state == .open ? 1 : 2)
    }

    public func reloaded(success: Bool) { reloads[success]?.increment() }

    /// `mailsift_model_info{version="..."} 1` for the model now serving (the previous version's series is removed).
    public func modelServing(_ model: ServingModel) {
        modelInfo.set(version: model.version)
        modelLoaded.set(to: model.loadedAt.timeIntervalSince1970)
        transformerEnabled.set(to: model.cascade.transformerActive ? 1 : 0)
    }

    /// The text exposition format.
    public func render() -> [UInt8] { registry.emitToBuffer() }
}
