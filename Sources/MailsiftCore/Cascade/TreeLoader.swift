/// How a bundle's `trees` section becomes the tree stage's ``TreeScorer``: the port through which the one
/// way of loading a model (``Cascade/init(loading:rules:mode:trees:)``) gets its trees. The XGBoost adapter
/// (`MailsiftTrees`' `XGBoostTreeLoader`) implements it; tests may give a tiny deterministic one.
public protocol TreeLoader: Sendable {
    /// The scorer of a saved tree model that reads the first `featureCount` ``MetadataFeature`` columns.
    func scorer(loading bytes: [UInt8], featureCount: Int) throws -> any TreeScorer
}
