/// How the tree stage's booster is trained (XGBoost parameters, recorded in the model's manifest).
public struct TreeParameters: Sendable, Hashable, Codable {
    /// Learning rate.
    public var eta = 0.1
    public var maxDepth = 8
    public var minChildWeight = 1.0
    /// Row and column sampling per tree (deterministic for a given seed).
    public var subsample = 0.8
    public var columnSample = 0.8
    /// L2 regularisation of leaf weights.
    public var lambda = 1.0
    /// Largest step of a leaf value (nil: none). Bounds the Newton steps where predictions are confident and
    /// their hessians tiny (continued boosting on top of a trained model). Optional, so manifests written
    /// before it existed still decode.
    public var maxDeltaStep: Double?
    public var maxRounds = 600
    /// Stop when validation log loss has not improved for this many rounds.
    public var earlyStoppingRounds = 40
    public var seed: UInt64 = 1
    /// Training threads (0: every core). Prediction always uses one.
    public var threads = 0

    public init() {}

    /// The parameters as XGBoost names them.
    public func xgboostParameters() -> [(String, String)] {
        [
            ("objective", "binary:logistic"), ("eval_metric", "logloss"), ("tree_method", "hist"),
            ("eta", "\(eta)"), ("max_depth", "\(maxDepth)"), ("min_child_weight", "\(minChildWeight)"),
            ("subsample", "\(subsample)"), ("colsample_bytree", "\(columnSample)"), ("lambda", "\(lambda)"),
            ("max_delta_step", "\(maxDeltaStep ?? 0)"), ("seed", "\(seed % (1 << 31))"), ("nthread", "\(threads)"), ("verbosity", "1"),
        ]
    }
}
