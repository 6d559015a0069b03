import MailsiftCore
import Prometheus

/// The learning loop's Prometheus metrics (docs/serving.md lists them): feedback by result, feature-log
/// entries written or dropped, store errors, and the sender state's size.
public final class LearningMetrics: Sendable {
    public enum FeedbackResult: String, CaseIterable, Sendable {
        case stored, duplicate, invalid
    }

    public enum StoreOperation: String, CaseIterable, Sendable {
        case featureLog = "feature_log", reputation, feedback, graph, ledger
    }

    /// What became of a message's reply claim (``ReplyClaim``) or list claim (``ListClaim``).
    public enum Claim: String, CaseIterable, Sendable {
        /// It named a message a user sent; the list is one the users read.
        case verified
        /// It did not, and was discounted.
        case discounted
    }

    private let feedback: [FeedbackResult: Counter]
    private let logged: Counter
    private let dropped: Counter
    private let storeErrors: [StoreOperation: Counter]
    private let senderKeys: Gauge
    private let sharedDegraded: Gauge
    private let sharedWaiting: Gauge
    private let sharedDropped: Gauge
    private let graphEdges: Gauge
    private let graphLocalUsers: Gauge
    private let replies: [Claim: Counter]
    private let lists: [Claim: Counter]
    private let authentication: [Claim: Counter]
    private let spfResults: [String: Counter]
    private let dkimResults: [String: Counter]
    private let dmarcResults: [String: Counter]
    private let arcResults: [String: Counter]
    private let ledgerErrors: Counter
    private let sentMessageIDs: Gauge

    public init(registry: PrometheusCollectorRegistry) {
        func d(_ name: String, _ unit: String, _ help: String) -> MetricNameDescriptor { ServerMetrics.descriptor(name, unit, help) }
        var feedback: [FeedbackResult: Counter] = [:]
        for r in FeedbackResult.allCases {
            feedback[r] = registry.makeCounter(descriptor: d("feedback", "total", "Feedback reports received, by result"), labels: [("result", r.rawValue)])
        }
        self.feedback = feedback
        let entries = d("feature_log_entries", "total", "Feature log entries, written to the store or dropped (queue full or store error)")
        logged = registry.makeCounter(descriptor: entries, labels: [("result", "written")])
        dropped = registry.makeCounter(descriptor: entries, labels: [("result", "dropped")])
        var storeErrors: [StoreOperation: Counter] = [:]
        for o in StoreOperation.allCases {
            storeErrors[o] = registry.makeCounter(descriptor: d("store_errors", "total", "Failed store operations, by operation"), labels: [("operation", o.rawValue)])
        }
        self.storeErrors = storeErrors
        senderKeys = registry.makeGauge(descriptor: d("sender_state", "keys", "Velocity keys held in process"))
        sharedDegraded = registry.makeGauge(descriptor: d("shared_state_degraded", "messages", "Messages answered from local sender state because Redis was unreachable, since start"))
        sharedWaiting = registry.makeGauge(descriptor: d("shared_state_backlog", "updates", "Sender-state updates waiting for Redis to come back"))
        sharedDropped = registry.makeGauge(descriptor: d("shared_state_dropped", "updates", "Sender-state updates dropped from a full backlog, since start"))
        graphEdges = registry.makeGauge(descriptor: d("graph", "edges", "Communication-graph edges held in process, at the last trust computation"))
        graphLocalUsers = registry.makeGauge(descriptor: d("graph_local", "users", "Local users (senders of recorded sent mail) seeding the trust computation"))
        var replies: [Claim: Counter] = [:], lists: [Claim: Counter] = [:], authentication: [Claim: Counter] = [:]
        for r in Claim.allCases {
            replies[r] = registry.makeCounter(
                descriptor: d("reply_claims", "total", "Messages claiming to be replies: verified (they name mail a user sent) or discounted (read without the claim)"),
                labels: [("result", r.rawValue)])
            lists[r] = registry.makeCounter(
                descriptor: d("list_claims", "total", "Messages with list fields, with verify_lists: verified (a list the users read) or discounted (read without them)"),
                labels: [("result", r.rawValue)])
            authentication[r] = registry.makeCounter(
                descriptor: d("authentication_claims", "total", "Messages with Authentication-Results or Received-SPF fields: verified (every one written by a trusted authserv-id above the site's arrival hop) or discounted (some taken out)"),
                labels: [("result", r.rawValue)])
        }
        self.replies = replies
        self.lists = lists
        self.authentication = authentication
        var spfResults: [String: Counter] = [:]
        for r in SPFCheck.Result.allCases.map(\.rawValue) {
            spfResults[r] = registry.makeCounter(
                descriptor: d("spf_results", "total", "SPF results of Mailsift's own check (spf on), by result; temperror counts DNS that did not answer within spf_budget_ms"),
                labels: [("result", r)])
        }
        self.spfResults = spfResults
        var dkimResults: [String: Counter] = [:]
        for r in DKIMCheck.Result.allCases.map(\.rawValue) {
            dkimResults[r] = registry.makeCounter(
                descriptor: d("dkim_results", "total", "DKIM results of Mailsift's own check (dkim on), one per signature, by result"), labels: [("result", r)])
        }
        self.dkimResults = dkimResults
        var dmarcResults: [String: Counter] = [:]
        for r in DMARCCheck.Result.allCases.map(\.rawValue) {
            dmarcResults[r] = registry.makeCounter(
                descriptor: d("dmarc_results", "total", "DMARC results of Mailsift's own check (dmarc on), by result"), labels: [("result", r)])
        }
        self.dmarcResults = dmarcResults
        var arcResults: [String: Counter] = [:]
        for r in ARCCheck.Result.allCases.map(\.rawValue) {
            arcResults[r] = registry.makeCounter(descriptor: d("arc_results", "total", "ARC chain validations of Mailsift's own (arc on), by result"), labels: [("result", r)])
        }
        self.arcResults = arcResults
        ledgerErrors = registry.makeCounter(descriptor: d("sent_ledger_errors", "total", "Failed reads and writes of the sent Message-IDs in Redis (the local ledger answered)"))
        sentMessageIDs = registry.makeGauge(descriptor: d("sent_ledger", "ids", "Sent Message-IDs held in process"))
    }

    public func reply(_ result: Claim) { replies[result]?.increment() }
    public func list(_ result: Claim) { lists[result]?.increment() }
    public func authentication(_ result: Claim) { authentication[result]?.increment() }
    public func spf(_ result: SPFCheck.Result) { spfResults[result.rawValue]?.increment() }
    public func dkim(_ result: DKIMCheck.Result) { dkimResults[result.rawValue]?.increment() }
    public func dmarc(_ result: DMARCCheck.Result) { dmarcResults[result.rawValue]?.increment() }
    public func arc(_ result: ARCCheck.Result) { arcResults[result.rawValue]?.increment() }
    public func ledgerError() { ledgerErrors.increment() }
    public func sentMessageIDs(_ n: Int) { sentMessageIDs.set(to: Double(n)) }

    public func graph(edges: Int, localUsers: Int) {
        graphEdges.set(to: Double(edges))
        graphLocalUsers.set(to: Double(localUsers))
    }

    public func feedback(_ result: FeedbackResult, count: Int = 1) { feedback[result]?.increment(by: Int64(count)) }
    public func featureLog(written: Int) { logged.increment(by: Int64(written)) }
    public func featureLog(dropped count: Int) { dropped.increment(by: Int64(count)) }
    public func storeError(_ operation: StoreOperation) { storeErrors[operation]?.increment() }
    public func senderKeys(_ n: Int) { senderKeys.set(to: Double(n)) }
    public func sharedState(degraded d: Int, waiting w: Int, dropped x: Int) {
        sharedDegraded.set(to: Double(d))
        sharedWaiting.set(to: Double(w))
        sharedDropped.set(to: Double(x))
    }
}
