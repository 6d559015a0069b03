import Foundation
import MailsiftCore
import Synchronization

/// The dashboard's bookkeeping (``VerdictLedger``) for the server: every verdict and every stored feedback report
/// goes in (a lock and a few counts each), the dashboard's pages read it. On with `dashboard` (the default).
public final class DashboardLedger: Sendable {
    private let ledger: Mutex<VerdictLedger>

    public init(configuration: VerdictLedger.Configuration = .init()) {
        ledger = Mutex(VerdictLedger(configuration: configuration))
    }

    /// Records a verdict served at `time` (Unix seconds).
    func record(_ r: ClassificationService.Result, senderDomain: String?, at time: Int64) {
        // The three strongest reasons (by weight either way; the rules' and authentication results', which may weigh
        // nothing, after those that weigh something).
        var top: [Cascade.Reason] = []
        top.reserveCapacity(4)
        for reason in r.reasons {
            let w = abs(reason.weight)
            guard top.count < 3 || w > abs(top[2].weight) else { continue }
            let at = top.firstIndex { abs($0.weight) < w } ?? top.count
            top.insert(reason, at: at)
            if top.count > 3 { top.removeLast() }
        }
        let reasons = top.map(VerdictLedger.describe)
        let entry = VerdictLedger.Entry(
            time: time, messageKey: r.messageId ?? "", senderDomain: senderDomain, action: r.action, stage: r.stage,
            probability: r.probability, degraded: r.degraded, latencyMicroseconds: r.timings.totalMicroseconds, modelVersion: r.modelVersion,
            reasons: reasons)
        ledger.withLock { $0.record(entry) }
    }

    /// Counts stored reports against the verdicts they judge, on the day they came in (`time`, Unix seconds; a
    /// report's own time is the client's word).
    public func record(_ reports: [Feedback], at time: Int64 = Int64(Date().timeIntervalSince1970)) {
        ledger.withLock { l in
            for f in reports { l.feedback(messageKey: f.messageID, spam: f.label == .spam, at: time) }
        }
    }

    /// Reads the ledger.
    public func read<T: Sendable>(_ body: (borrowing VerdictLedger) -> T) -> T {
        ledger.withLock { body($0) }
    }
}
