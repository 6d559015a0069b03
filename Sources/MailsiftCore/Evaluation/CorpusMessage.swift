/// One labelled message of a corpus folder.
public struct CorpusMessage: Sendable {
    public var corpus: String
    public var id: String
    public var label: String
    public var bytes: [UInt8]

    public init(corpus: String, id: String, label: String, bytes: [UInt8]) {
        self.corpus = corpus
        self.id = id
        self.label = label
        self.bytes = bytes
    }
}
