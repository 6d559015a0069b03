import Foundation

/// Stage 1: gradient-boosted trees over the metadata columns. With exits on, a message whose calibrated
/// tree probability lies outside the exit bands is decided here.
public struct TreeStage: CascadeStage {
    public let scorer: any TreeScorer
    public let calibration: Calibration
    /// The exit bands, or nil when the trees never decide alone (stacked mode).
    public let exits: ExitBands?
    /// The positive label: contributions toward it explain a spam verdict, those against it a ham one.
    public let spamLabel: String
    private let columns = MetadataFeatureExtractor()
    public var kind: Cascade.Stage { .trees }

    public init(scorer: any TreeScorer, calibration: Calibration, exits: ExitBands?, spamLabel: String) {
        self.scorer = scorer
        self.calibration = calibration
        self.exits = exits
        self.spamLabel = spamLabel
    }

    public func run(_ a: AnalyzedMessage, context: inout CascadeContext, scratch: inout Cascade.Scratch) -> CascadeDecision? {
        columns.values(of: a, into: &scratch.row)
        do {
            let margin = Double(try scorer.treeMargin(of: scratch.row))
            context.treeMargin = margin
            if let exits {
                let p = calibration.probability(margin: margin + context.rules.score)
                if p < exits.hamBelow || p >= exits.spamAbove { return .probability(p) }
            }
        } catch {
            context.treeError = "\(error)"
        }
        return nil
    }

    /// The columns with the largest contributions toward the verdict (XGBoost's per-feature contributions).
    public func reasons(_ a: AnalyzedMessage, verdict: Cascade.Verdict, scale: Double, count: Int) -> [Cascade.Reason] {
        guard count > 0, verdict.treeMargin != nil else { return [] }
        let row = columns.values(of: a)
        guard let contributions = try? scorer.treeContributions(of: row) else { return [] }
        let sign: Double = verdict.label == spamLabel ? 1 : -1
        var out: [Cascade.Reason] = []
        for f in MetadataFeature.allCases where f.rawValue < contributions.count {
            let w = Double(contributions[f.rawValue]) * scale * sign
            guard w > 0.01 else { continue }
            let value = row[f.rawValue]
            let shown = value.isNaN ? "unknown" : (value == value.rounded() ? String(Int(value)) : String(format: "%.2f", value))
            out.append(Cascade.Reason(stage: .trees, feature: f.name, weight: w, text: String(format: "%@: %@ (+%.2f)", f.summary, shown, w)))
        }
        return Array(out.sorted { $0.weight > $1.weight }.prefix(count))
    }
}
