/// One row of a split file: which corpus message goes to which side (`train` or `test`) with which label.
public struct SplitRow: Sendable, Hashable {
    public var corpus: String
    public var id: String
    public var label: String
    public var split: String

    public init(corpus: String, id: String, label: String, split: String) {
        (self.corpus, self.id, self.label, self.split) = (corpus, id, label, split)
    }
}
