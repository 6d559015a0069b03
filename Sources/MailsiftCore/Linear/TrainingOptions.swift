/// How ``ModelTrainer`` trains: the model kind and labels, features, optimiser, passes, the out-of-fold
/// scheme that calibration and thresholds are fitted on, and the seed that makes it all repeatable.
public struct TrainingOptions: Sendable, Hashable {
    public var kind: ModelManifest.Kind
    /// Spam models: `[negative, positive]` (`[ham, spam]`). Topic models: the categories.
    public var labels: [String]
    public var features: FeatureConfiguration
    public var optimizer: FTRLTrainer.Parameters
    /// Passes over the training data (shuffled anew each pass).
    public var epochs: Int
    /// Folds for out-of-fold scores (calibration and thresholds are fitted on them); 0 skips calibration.
    public var folds: Int
    public var calibration: Calibration.Method
    /// The false-positive rate the spam verdict (`quarantine`) is chosen for.
    public var targetFPR: Double
    public var seed: UInt64
    /// Spam models: the weight of a ham example against a spam one's 1. Above 1, a ham scored as spam
    /// costs more than the reverse, as it does to the user: the model gives up a little spam to push the
    /// hams that look like spam further down, where the threshold for a low false-positive rate lies.
    public var hamWeight: Double

    public init(
        kind: ModelManifest.Kind, labels: [String], features: FeatureConfiguration, optimizer: FTRLTrainer.Parameters = .init(),
        epochs: Int = 3, folds: Int = 5, calibration: Calibration.Method = .platt, targetFPR: Double = 0.001, seed: UInt64 = 1, hamWeight: Double = 1
    ) {
        precondition(hamWeight > 0, "the ham weight must be positive")
        self.hamWeight = hamWeight
        self.kind = kind
        self.labels = labels
        self.features = features
        self.optimizer = optimizer
        self.epochs = epochs
        self.folds = folds
        self.calibration = calibration
        self.targetFPR = targetFPR
        self.seed = seed
    }
}

/// One training message as the trainer sees it: its feature rows, its label index, and the key that
/// assigns it to a fold (its Message-ID where it has one, so copies of one mail share a fold).
public struct TrainingExample: Sendable {
    public var features: SparseFeatures
    public var label: Int
    public var foldKey: String
    /// The fold, when the caller assigns folds itself (time blocks); nil: by a hash of ``foldKey``.
    public var fold: Int?
    /// Whether the models learn from it; false: it is only scored out of fold (its margin is there for the later
    /// stages to fit on), and the calibration, thresholds and metrics leave it out.
    public var trains = true

    public init(features: SparseFeatures, label: Int, foldKey: String, fold: Int? = nil, trains: Bool = true) {
        self.features = features
        self.label = label
        self.foldKey = foldKey
        self.fold = fold
        self.trains = trains
    }
}

/// SplitMix64: a small, fast, seedable generator for repeatable shuffles.
public struct SplitMix64: RandomNumberGenerator, Sendable {
    private var state: UInt64
    public init(seed: UInt64) { state = seed }
    public mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}
