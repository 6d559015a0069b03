import Foundation
import MailsiftCore
import MailsiftFiles
import MailsiftTrees

/// `mailsift attack`: an attacker with query access edits caught test spam (``AdaptiveAttack``) and the report
/// says how much of it slips below each action, with which edits. The attacker's ham words, paragraphs and
/// subjects come from the split's train rows; the filter is the model as `serve` runs it, every reply claim
/// discounted (the attacker's Message-IDs are made up; no user of the site sent them) unless `trustReplies`.
public enum AttackCommand {
    public struct Options: Sendable {
        public var messages = 200
        public var budget = 20
        public var edits: [AttackEdit] = AttackEdit.defaultEdits
        public var seed: UInt64 = 1
        public var trustReplies = false
        /// Read list headers as `serve` with `verify_lists` reads them for a list no user reads: discounted (else as
        /// written, `serve`'s default).
        public var lists = ListClaim.Reading.corroborated
        public var outcomesPath: String?
        /// Where the attacker's material comes from: this split's train rows in these corpora (nil: the attacked
        /// split's train rows), e.g. the dev corpora's when the attacked set is test only.
        public var materialSplit: String?
        public var materialCorpora: [String] = []
        /// Run the static obfuscations (``StaticObfuscation``) on every test spam instead of the adaptive attack.
        public var staticObfuscation = false
        /// Whose authentication results are believed (``AuthenticationTrust``).
        public var trust: AuthenticationTrust = .none

        public init() {}
    }

    public static func run(
        model source: ModelLoader.Source, loader: ModelLoader = ModelLoader(trees: XGBoostTreeLoader()), corpora: [String], split: String,
        options: Options, log: @escaping @Sendable (String) -> Void
    ) throws -> String {
        let (bundle, rules) = try loader.files(source)
        guard bundle.manifest.kind == .spam else { throw ValidationFailure("attack needs a spam model") }
        let cascade = try loader.cascade(bundle, rules: rules)
        let labels = bundle.manifest.labels
        let splitFile = try SplitFile(path: split)
        let train = try (options.materialSplit.map(SplitFile.init(path:)) ?? splitFile)
            .messages(split: "train", corpora: options.materialSplit == nil ? corpora : options.materialCorpora).filter { labels.contains($0.label) }
        guard !train.isEmpty else { throw ValidationFailure("no train rows for the attacker's material: give --material-split and --material-corpus") }
        let test = try splitFile.messages(split: "test", corpora: corpora).filter { $0.label == labels[1] }
        guard !test.isEmpty else { throw ValidationFailure("no spam test rows of \(split) in \(corpora.joined(separator: ", "))") }
        let material = AttackMaterial.learned(
            from: train.compactMap { m in (try? cascade.extractor.analyze(m.bytes)).map { ($0, m.label == labels[0]) } }, seed: options.seed)
        log("attacker's material from \(train.count) train rows: \(material.goodWords.count) good words (\(material.goodWords.prefix(12).joined(separator: " ")) ...), \(material.paragraphs.count) paragraphs, \(material.subjects.count) subjects")

        var scratch = cascade.makeScratch()
        /// The filter's verdict, replies and lists read as `serve` reads them at a site that knows none of them.
        func verdict(_ bytes: [UInt8]) -> Cascade.Verdict? {
            guard let message = try? cascade.extractor.analyzer.parser.parse(bytes) else { return nil }
            // The site's ledger knows none of the attacker's made-up Message-IDs: every claim is discounted.
            let replies = !options.trustReplies && ReplyClaim(message).claims
            return cascade.classify(cascade.extractor.analyze(message, discountingReply: replies, lists: options.lists, trust: options.trust), scratch: &scratch)
        }
        func ask(_ bytes: [UInt8]) -> AdaptiveAttack.Answer {
            verdict(bytes).map { .init(probability: $0.probability, action: $0.action) } ?? .init(probability: 1, action: .reject)
        }

        if options.staticObfuscation {
            let hams = try splitFile.messages(split: "test", corpora: corpora).filter { $0.label == labels[0] }
            return staticReport(
                hams: hams.map { verdict($0.bytes)?.probability ?? 0 }, spam: test, material: material, model: bundle.manifest.version,
                score: { verdict($0)?.probability })
        }

        // The caught spam, in a seeded order.
        var caught: [(CorpusMessage, AdaptiveAttack.Answer)] = []
        var atTag = 0
        for m in test {
            let answer = ask(m.bytes)
            if answer.action >= .tag { atTag += 1 }
            if answer.action >= .quarantine { caught.append((m, answer)) }
        }
        caught.sort { a, b in
            let x = FeatureHash.xxh64(a.0.id, seed: options.seed), y = FeatureHash.xxh64(b.0.id, seed: options.seed)
            return x != y ? x < y : a.0.id < b.0.id
        }
        let chosen = options.messages > 0 ? Array(caught.prefix(options.messages)) : caught
        let attack = AdaptiveAttack(edits: options.edits, material: material, budget: options.budget)
        var outcomes: [(CorpusMessage, AdaptiveAttack.Outcome)] = []
        for (m, _) in chosen {
            outcomes.append((m, attack.run(m.bytes, salt: FeatureHash.xxh64(m.id), ask: ask)))
        }
        if let path = options.outcomesPath {
            // With each stage's margin (log-odds) before and after: which stage the edits moved.
            func margins(_ bytes: [UInt8]) -> String {
                let v = verdict(bytes)
                return [v?.textMargin, v?.treeMargin].map { $0.map { String(format: "%.3f", $0) } ?? "" }.joined(separator: "\t")
            }
            var tsv = "id\tstart_probability\tstart_action\tend_probability\tend_action\tlowest_action\tqueries\tedits"
            tsv += "\tstart_text\tstart_trees\tend_text\tend_trees\n"
            for (m, o) in outcomes {
                tsv += "\(m.corpus)/\(m.id)\t\(o.start.probability)\t\(o.start.action.rawValue)\t\(o.end.probability)\t\(o.end.action.rawValue)\t"
                tsv += "\(o.lowest.rawValue)\t\(o.queries)\t\(o.applied.map(\.rawValue).joined(separator: "+"))\t\(margins(m.bytes))\t\(margins(o.bytes))\n"
            }
            try tsv.write(toFile: path, atomically: true, encoding: .utf8)
        }
        return report(outcomes.map(\.1), test: test.count, atTag: atTag, caught: caught.count, options: options, model: bundle.manifest.version)
    }

    /// Each static obfuscation on every test spam it applies to: recall at the threshold of 0.1% FPR on the test
    /// hams (unedited), for those spams written again without the edit and with it.
    static func staticReport(
        hams: [Double], spam: [CorpusMessage], material: AttackMaterial, model: String, score: ([UInt8]) -> Double?
    ) -> String {
        var rows: [[(String, String)]] = []
        for edit in StaticObfuscation.allCases {
            var before: [Double] = [], after: [Double] = []
            for m in spam {
                let salt = FeatureHash.xxh64(m.id)
                guard let base = edit.apply(to: m.bytes, material: material, salt: salt, identity: true),
                      let edited = edit.apply(to: m.bytes, material: material, salt: salt),
                      let p0 = score(base), let p1 = score(edited)
                else { continue }
                before.append(p0)
                after.append(p1)
            }
            func recall(_ spamScores: [Double]) -> Double {
                SpamMetrics(scores: hams.map { ($0, false) } + spamScores.map { ($0, true) })?.recallAt01 ?? 0
            }
            guard !before.isEmpty else { continue }
            let r0 = recall(before), r1 = recall(after)
            rows.append([
                ("edit", edit.rawValue), ("spams it applies to", "\(before.count) of \(spam.count)"),
                ("recall at 0.1% FPR, rewritten unedited", String(format: "%.2f%%", 100 * r0)),
                ("edited", String(format: "%.2f%%", 100 * r1)), ("change", String(format: "%+.2f points", 100 * (r1 - r0))),
            ])
        }
        return "model \(model); static obfuscations of the test spam against \(hams.count) unedited test hams\n" + SpamMetrics.table(rows)
    }

    /// The report: evasion at each action and the edits that did it.
    static func report(_ outcomes: [AdaptiveAttack.Outcome], test: Int, atTag: Int, caught: Int, options: Options, model: String) -> String {
        let n = outcomes.count
        func share(_ k: Int) -> String { String(format: "%.1f%% (%d)", 100 * Double(k) / Double(max(n, 1)), k) }
        var lines = [
            "model \(model); \(test) test spams, \(atTag) at tag or above, \(caught) at quarantine or above; \(n) attacked",
            "edits: \(options.edits.map(\.rawValue).joined(separator: ", ")); budget \(options.budget) queries a message; replies \(options.trustReplies ? "trusted as written" : "checked (the attacker's Message-IDs are unknown)"); lists \(options.lists.rawValue)",
            "",
        ]
        let rows: [[(String, String)]] = [Action.reject, .quarantine, .tag].map { action in
            let below = outcomes.count { $0.lowest < action }
            return [("evades", action.rawValue), ("of the attacked", share(below))]
        }
        lines.append(SpamMetrics.table(rows))
        let queries = outcomes.map(\.queries)
        lines.append(String(format: "queries a message: mean %.1f, most %d", Double(queries.reduce(0, +)) / Double(max(n, 1)), queries.max() ?? 0))
        var combinations: [String: Int] = [:]
        var single: [AttackEdit: Int] = [:]
        for o in outcomes where o.lowest < .quarantine {
            combinations[o.lowestEdits.map(\.rawValue).joined(separator: " + "), default: 0] += 1
            for e in Set(o.lowestEdits) { single[e, default: 0] += 1 }
        }
        if !combinations.isEmpty {
            lines.append("\nthe edits that took a message below quarantine (first time it got there):")
            for (c, k) in combinations.sorted(by: { $0.value != $1.value ? $0.value > $1.value : $0.key < $1.key }) {
                lines.append("  \(k)\t\(c.isEmpty ? "(none)" : c)")
            }
            lines.append("each edit's share of those: " + AttackEdit.allCases.compactMap { e in single[e].map { "\(e.rawValue) \($0)" } }.joined(separator: ", "))
        }
        return lines.joined(separator: "\n")
    }
}
