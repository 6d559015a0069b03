/// A message's features as the model reads them: distinct rows of the weight table, each with a value.
/// With per-view normalisation each view's rows carry 1/sqrt(its row count), so a long text cannot drown
/// the few metadata features, and a message's length does not set its score's scale.
public struct SparseFeatures: Sendable, Hashable {
    public var rows: [UInt32] = []
    public var values: [Float] = []
    /// Where each view's rows end (offsets into `rows`); empty when not known.
    public var viewEnds: [Int] = []

    public init() {}

    public init(rows: [UInt32], values: [Float]) {
        precondition(rows.count == values.count)
        self.rows = rows
        self.values = values
        viewEnds = [rows.count]
    }

    public var count: Int { rows.count }

    public mutating func removeAll() {
        rows.removeAll(keepingCapacity: true)
        values.removeAll(keepingCapacity: true)
        viewEnds.removeAll(keepingCapacity: true)
    }

    /// Sets every row's value: its weight in `weights` (``DocumentFrequency``), or 1 without; with
    /// `normalize`, each view's values are then scaled to unit length (1/sqrt(count) without weights).
    public mutating func weigh(by weights: [Float]?, normalize: Bool) {
        values.removeAll(keepingCapacity: true)
        var start = 0
        for end in viewEnds where end > start {
            if let weights {
                var norm: Float = 0
                for r in rows[start..<end] {
                    let w = weights[Int(r)]
                    values.append(w)
                    norm += w * w
                }
                if normalize, norm > 0 {
                    let scale = 1 / norm.squareRoot()
                    for k in start..<end { values[k] *= scale }
                }
            } else {
                let value: Float = normalize ? 1 / Float(end - start).squareRoot() : 1
                values.append(contentsOf: repeatElement(value, count: end - start))
            }
            start = end
        }
    }
}
