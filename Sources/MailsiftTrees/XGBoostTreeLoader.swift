import MailsiftCore

/// The tree stage's loader for ``Cascade/init(loading:rules:mode:trees:)``: XGBoost models, scored by the
/// native evaluator where it supports them (``TreeModel``).
public struct XGBoostTreeLoader: TreeLoader {
    public init() {}

    public func scorer(loading bytes: [UInt8], featureCount: Int) throws -> any TreeScorer {
        try TreeModel(loading: bytes, featureCount: featureCount)
    }
}

extension Booster: TreeScorer {
    public func treeMargin(of row: [Float]) throws -> Float { try margin(of: row) }
    public func treeContributions(of row: [Float]) throws -> [Float] { try contributions(of: row) }
}
