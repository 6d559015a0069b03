/// Everything about a model except its weights: what it predicts, how its features are made, how its
/// scores are calibrated and acted on, and what it was trained on. Stored as JSON in the bundle's header.
public struct ModelManifest: Codable, Sendable, Hashable {
    public enum Kind: String, Codable, Sendable {
        /// Binary: labels are `[ham, spam]`; the score is the calibrated probability of spam.
        case spam
        /// K categories: labels are the category names; the prediction is the most probable one.
        case topics
    }

    /// A name for this model (`spam-<date>-<fingerprint>`), reported with every verdict.
    public var version: String
    public var kind: Kind
    public var labels: [String]
    public var features: FeatureConfiguration
    public var optimizer: FTRLTrainer.Parameters
    public var epochs: Int
    public var seed: UInt64
    public var calibration: Calibration
    public var operatingPoints: OperatingPoints?
    public var training: TrainingRecord
    /// Spam models with a tree stage: how the stages combine (nil: the text model alone).
    public var cascade: CascadeManifest?
    /// Spam models: the weight ham examples trained with (``TrainingOptions/hamWeight``); nil: 1 (older models).
    public var hamWeight: Double?
    /// Whether the out-of-fold folds were time blocks (`train --time-folds`); nil: folds by a hash of the Message-ID.
    public var timeBlockedFolds: Bool?
    /// The thresholds' safety margin (`train --threshold-margin`): chosen for the target rate divided by it; nil: 1.
    public var thresholdMargin: Double?

    public init(
        version: String, kind: Kind, labels: [String], features: FeatureConfiguration, optimizer: FTRLTrainer.Parameters,
        epochs: Int, seed: UInt64, calibration: Calibration, operatingPoints: OperatingPoints?, training: TrainingRecord,
        cascade: CascadeManifest? = nil
    ) {
        self.cascade = cascade
        self.version = version
        self.kind = kind
        self.labels = labels
        self.features = features
        self.optimizer = optimizer
        self.epochs = epochs
        self.seed = seed
        self.calibration = calibration
        self.operatingPoints = operatingPoints
        self.training = training
    }
}

/// What a model was trained on and how well it did there.
public struct TrainingRecord: Codable, Sendable, Hashable {
    /// XXH64 over the sorted `corpus/id/label` of every training message, in hex.
    public var fingerprint: String
    public var messages: Int
    public var corpora: [String]
    /// Messages per label.
    public var labelCounts: [String: Int]
    /// Out-of-fold metrics on the training side (the data calibration and thresholds were chosen on).
    public var outOfFold: [String: Double]
    /// Held-out test metrics, when the split had test rows: reported, never used for any choice.
    public var test: [String: Double]?
    public var seconds: Double
    public var createdAt: String

    public init(
        fingerprint: String, messages: Int, corpora: [String], labelCounts: [String: Int], outOfFold: [String: Double],
        test: [String: Double]?, seconds: Double, createdAt: String
    ) {
        self.fingerprint = fingerprint
        self.messages = messages
        self.corpora = corpora
        self.labelCounts = labelCounts
        self.outOfFold = outOfFold
        self.test = test
        self.seconds = seconds
        self.createdAt = createdAt
    }
}
