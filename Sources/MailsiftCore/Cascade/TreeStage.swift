import Foundation

/// Stage 1: gradient-boosted trees over the metadata columns. With exits on, a message whose calibrated
/// tree probability lies outside the exit bands is decided here.
public struct TreeStage: CascadeStage {
    public let scorer: any TreeScorer
    public let calibration: Calibration
    /// The exit bands, or nil when the trees never decide alone (stacked mode).
    public let exits: ExitBands?
    /// A spam exit is taken only below this probability (the reject threshold, when rejects need the stages'
    /// agreement: ``CascadeManifest/rejectAgreement``); above it the later stages run.
    public let spamExitBelow: Double
    /// The positive label: contributions toward it explain a spam verdict, those against it a ham one.
    public let spamLabel: String
    private let columns = MetadataFeatureExtractor()
    public var kind: Cascade.Stage { .trees }

    public init(scorer: any TreeScorer, calibration: Calibration, exits: ExitBands?, spamLabel: String, spamExitBelow: Double = .infinity) {
        self.scorer = scorer
        self.calibration = calibration
        self.exits = exits
        self.spamExitBelow = spamExitBelow
        self.spamLabel = spamLabel
    }

    public func run(_ a: AnalyzedMessage, context: inout CascadeContext, scratch: inout Cascade.Scratch) -> CascadeDecision? {
        columns.values(of: a, sender: context.sender, into: &scratch.row)
        context.treeRow = scratch.row
        do {
            let margin = Double(try scorer.treeMargin(of: scratch.row))
            context.treeMargin = margin
            if let exits {
                let p = calibration.probability(margin: margin + context.rules.score)
                if p < exits.hamBelow || (p >= exits.spamAbove && p < spamExitBelow) { return .probability(p) }
            }
        } catch {
            context.treeError = "\(error)"
        }
        return nil
    }

    /// The columns with the largest contributions toward the verdict (the scorer's per-column contributions).
    public func reasons(_ a: AnalyzedMessage, verdict: Cascade.Verdict, scale: Double, count: Int, scratch: inout Cascade.Scratch) -> [Cascade.Reason] {
        guard count > 0, verdict.treeMargin != nil else { return [] }
        let row = verdict.treeRow ?? columns.values(of: a)
        guard let contributions = try? scorer.treeContributions(of: row) else { return [] }
        let sign: Double = verdict.label == spamLabel ? 1 : -1
        // Pick the strongest columns first, then word only those (formatting every column cost more than
        // the classification).
        var strongest: [(feature: MetadataFeature, weight: Double)] = []
        // The last contribution is the bias; a model trained on fewer columns gives fewer.
        for f in MetadataFeature.allCases where f.rawValue < contributions.count - 1 {
            let w = Double(contributions[f.rawValue]) * scale * sign
            if w > 0.01 { strongest.append((f, w)) }
        }
        strongest.sort { $0.weight > $1.weight }
        return strongest.prefix(count).map { f, w in
            let value = row[f.rawValue]
            let shown = value.isNaN ? "unknown" : (value == value.rounded() && abs(value) < 1e15 ? String(Int(value)) : Decimals.two(Double(value)))
            return Cascade.Reason(stage: .trees, feature: f.name, weight: w, text: "\(f.summary): \(shown) (+\(Decimals.two(w)))")
        }
    }
}
