import Foundation
import MailsiftCore
import MailsiftFiles
import MailsiftTraining
import MailsiftTrees

/// `mailsift retrain`: the current model (a file given, else the registry's active version, else the shipped
/// model) retrained from the stores behind the gate (``RetrainingCycle``), a promoted candidate optionally
/// published to a file atomically.
public enum RetrainCommand {
    public struct Request: Sendable {
        /// The current model's file; nil: the registry's active version, else the shipped model.
        public var model: String?
        public var rules: String?
        public var publish: String?
        public var cutoff: Int64
        public var retrainer: Retrainer

        public init(model: String?, rules: String?, publish: String?, cutoff: Int64, retrainer: Retrainer) {
            self.model = model
            self.rules = rules
            self.publish = publish
            self.cutoff = cutoff
            self.retrainer = retrainer
        }
    }

    /// Runs one retraining on `stores`; returns the gate's report as JSON and whether the candidate was promoted.
    public static func run(_ r: Request, stores: Stores) async throws -> (report: String, promoted: Bool) {
        let active = try await stores.registry.active()
        let bundle: ModelBundle
        if let model = r.model {
            bundle = try ModelFile.load(model)
        } else if let active {
            bundle = try ModelBundle(decoding: try await stores.registry.bundle(active.version))
        } else {
            bundle = try ModelFile.load(nil)
        }
        let outcome = try await RetrainingCycle(retrainer: r.retrainer).run(
            current: bundle, active: active, rules: try RulesFile.load(r.rules), store: stores.learning, registry: stores.registry, cutoff: r.cutoff)
        if outcome.promoted, let publish = r.publish, let candidate = outcome.candidate {
            try Data(try candidate.encoded()).write(to: URL(fileURLWithPath: publish), options: .atomic)
        }
        return (outcome.report.json(), outcome.promoted)
    }
}
