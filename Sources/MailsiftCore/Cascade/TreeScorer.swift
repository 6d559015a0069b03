/// The tree stage's model, behind a port: the XGBoost adapter (`MailsiftTrees`) implements it.
public protocol TreeScorer: Sendable {
    /// The raw score (log-odds) of one row of ``MetadataFeature`` columns.
    func treeMargin(of row: [Float]) throws -> Float
    /// Each column's additive contribution to the margin, then the bias.
    func treeContributions(of row: [Float]) throws -> [Float]
}
