import MailsiftCore
import MailsiftTrees
import Synchronization

/// The tree stage of a real model, made to fail on demand (as XGBoost failing at run time would).
public final class FailingTrees: TreeScorer, Sendable {
    public let inner: any TreeScorer
    public let failing = Atomic<Bool>(false)

    public init(_ inner: any TreeScorer) { self.inner = inner }

    public struct Failure: Error {}

    public func treeMargin(of row: [Float]) throws -> Float {
        if failing.load(ordering: .relaxed) { throw Failure() }
        return try inner.treeMargin(of: row)
    }

    public func treeContributions(of row: [Float]) throws -> [Float] { try inner.treeContributions(of: row) }
}

/// A tree loader that records what it was asked to load (the section's size and the column count) and
/// hands it to XGBoost.
public final class RecordingTreeLoader: TreeLoader, Sendable {
    public let calls = Mutex<[(bytes: Int, featureCount: Int)]>([])

    public init() {}

    public func scorer(loading bytes: [UInt8], featureCount: Int) throws -> any TreeScorer {
        calls.withLock { $0.append((bytes.count, featureCount)) }
        return try XGBoostTreeLoader().scorer(loading: bytes, featureCount: featureCount)
    }
}
