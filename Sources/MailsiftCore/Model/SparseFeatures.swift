/// A message's features as the model reads them: distinct rows of the weight table, each with a value.
/// With per-view normalisation each view's rows carry 1/sqrt(its row count), so a long text cannot drown
/// the few metadata features, and a message's length does not set its score's scale.
public struct SparseFeatures: Sendable, Hashable {
    public var rows: [UInt32] = []
    public var values: [Float] = []

    public init() {}

    public init(rows: [UInt32], values: [Float]) {
        precondition(rows.count == values.count)
        self.rows = rows
        self.values = values
    }

    public var count: Int { rows.count }

    public mutating func removeAll() {
        rows.removeAll(keepingCapacity: true)
        values.removeAll(keepingCapacity: true)
    }
}
