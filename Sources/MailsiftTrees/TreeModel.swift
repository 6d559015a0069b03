import MailsiftCore

/// The tree stage as served: margins and contributions from the native evaluator (``TreeEnsemble``: margins
/// bit-identical to XGBoost's and several times faster for one row; contributions are XGBoost's
/// `approx_contribs` path attribution, checked against it on every corpus message). A model the native
/// evaluator does not support is scored by XGBoost alone (contributions then by TreeSHAP).
public struct TreeModel: TreeScorer {
    public let booster: Booster
    public let ensemble: TreeEnsemble?

    /// Loads a model saved by ``Booster/serialized()``.
    public init(loading bytes: [UInt8], featureCount: Int) throws {
        booster = try Booster(loading: bytes, featureCount: featureCount)
        do {
            ensemble = try TreeEnsemble(xgboostModel: bytes, featureCount: featureCount)
        } catch .unsupported {
            ensemble = nil
        }
    }

    public func treeMargin(of row: [Float]) throws -> Float {
        if let ensemble { return ensemble.margin(of: row) }
        return try booster.margin(of: row)
    }

    public func treeContributions(of row: [Float]) throws -> [Float] {
        if let ensemble { return ensemble.contributions(of: row) }
        return try booster.contributions(of: row)
    }
}
