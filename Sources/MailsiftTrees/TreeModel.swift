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

    /// How many columns the model reads: the first that many of a row (a row may have columns appended
    /// since the model was trained).
    public var featureCount: Int { booster.featureCount }

    public func treeMargin(of row: [Float]) throws -> Float {
        if let ensemble { return row.withUnsafeBufferPointer { ensemble.margin(of: UnsafeBufferPointer(rebasing: $0.prefix(featureCount))) } }
        return try booster.margin(of: row.count == featureCount ? row : Array(row.prefix(featureCount)))
    }

    /// ``featureCount`` contributions, then the bias.
    public func treeContributions(of row: [Float]) throws -> [Float] {
        if let ensemble { return row.withUnsafeBufferPointer { ensemble.contributions(of: UnsafeBufferPointer(rebasing: $0.prefix(featureCount))) } }
        return try booster.contributions(of: row.count == featureCount ? row : Array(row.prefix(featureCount)))
    }
}
