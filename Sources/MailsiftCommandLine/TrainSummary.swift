import Foundation
import MailsiftCore
import MailsiftTraining

/// The summary `mailsift train` prints when it is done.
public enum TrainSummary {
    public static func text(bundle: ModelBundle, evaluation: Evaluation?, path: String) -> String {
        let m = bundle.manifest
        let t = m.training
        var lines = [
            "model \(m.version) written to \(path)",
            String(format: "trained on %d messages (%@) in %.1f s; data fingerprint %@", t.messages,
                   t.labelCounts.sorted { $0.key < $1.key }.map { "\($0.key) \($0.value)" }.joined(separator: ", "), t.seconds, t.fingerprint),
            "features: \(m.features.views.map(\.rawValue).sorted().joined(separator: ", ")); 2^\(m.features.hashBits) rows; \(m.epochs) epochs",
        ]
        if !t.outOfFold.isEmpty {
            lines.append("out-of-fold (train side): " + t.outOfFold.sorted { $0.key < $1.key }.map { String(format: "%@ %.5f", $0.key, $0.value) }.joined(separator: ", "))
        }
        if let p = m.operatingPoints {
            lines.append(String(format: "thresholds for %.3f%% FPR: tag >= %.6f, quarantine >= %.6f, reject >= %.6f", p.targetFPR * 100, p.tag, p.quarantine, p.reject))
        }
        if let t = m.cascade?.transformer {
            let p = t.operatingPoints
            lines.append(String(format: "with the transformer stage (%@, %d tokens, %.1f%% routed): tag >= %.6f, quarantine >= %.6f, reject >= %.6f",
                                t.encoder, t.tokens, 100 * t.routedShare, p.tag, p.quarantine, p.reject))
        }
        if let evaluation {
            lines.append("held-out test rows (not used for any choice):")
            lines.append(evaluation.table(file: "test"))
        }
        return lines.joined(separator: "\n")
    }
}
