/// What a classification used, logged when it was made, so that training later reads features as they
/// were at decision time (the sender's rates and reputation then, not now). Holds no message text: the
/// metadata columns, the hashed rows of the text features, and the sender keys (addresses and IPs, which
/// feedback needs to update reputations).
public struct FeatureLogEntry: Sendable, Hashable, Codable {
    public var messageID: String
    /// When it was classified (Unix seconds).
    public var time: Int64
    public var modelVersion: String
    public var keys: SenderKeys
    /// The tree stage's row as scored (``MetadataFeature`` order, NaN missing), sender columns included.
    public var treeRow: [Float]
    /// The text features' hashed rows and where each view's rows end (values follow from them and the
    /// model, ``SparseFeatures/weigh(by:normalize:)``); empty when not computed.
    public var textRows: [UInt32]
    public var textViewEnds: [Int]
    /// The scoring rules' summed score (log-odds), which every model stage adds to its own.
    public var rulesScore: Double
    public var probability: Double
    public var action: Action

    public init(
        messageID: String, time: Int64, modelVersion: String, keys: SenderKeys, treeRow: [Float], textRows: [UInt32] = [],
        textViewEnds: [Int] = [], rulesScore: Double = 0, probability: Double, action: Action
    ) {
        self.messageID = messageID
        self.time = time
        self.modelVersion = modelVersion
        self.keys = keys
        self.treeRow = treeRow
        self.textRows = textRows
        self.textViewEnds = textViewEnds
        self.rulesScore = rulesScore
        self.probability = probability
        self.action = action
    }
}
