import Foundation
import Testing
@testable import MailsiftFiles
import MailsiftTestKit
@testable import MailsiftCore
import MailsiftTrees
import MailsiftTraining

@Suite("Training end to end and the default model", .enabled(if: TestSupport.corpusRoot != nil, "../shared/corpus is not present"))
struct TrainingTests {
    static var splitPath: String {
        TestSupport.repositoryRoot.deletingLastPathComponent().appendingPathComponent("shared/eval/dev_split.tsv").path
    }

    /// Every `every`-th row of `split` in the SpamAssassin corpus.
    static func spamAssassin(_ split: String, every: Int) throws -> [CorpusMessage] {
        let dir = TestSupport.corpusRoot!.appendingPathComponent("spamassassin").path
        return Array(try SplitFile(path: TrainingTests.splitPath).messages(split: split, corpora: [dir]).enumerated().filter { $0.offset % every == 0 }.map(\.element))
    }

    /// `messages` featurised with `hashBits` bits, as spam (1) / ham (0) examples, with their items.
    static func examples(_ messages: [CorpusMessage], hashBits: Int) -> (features: FeatureConfiguration, items: [Featurizer.Item], examples: [TrainingExample]) {
        var features = FeatureConfiguration.spam
        features.hashBits = hashBits
        let items = Featurizer.featurize(messages, configuration: features)
        let examples = zip(messages, items).map { TrainingExample(features: $1.features, label: $0.label == "spam" ? 1 : 0, foldKey: $1.key) }
        return (features, items, examples)
    }

    /// Trains on a slice of the corpus (small enough for a debug build) and checks a quality floor on held-out
    /// rows of the same split.
    @Test func trainOnASliceAndEvaluate() throws {
        let train = try Self.spamAssassin("train", every: 6)
        let test = try Self.spamAssassin("test", every: 3)
        let labels = ["ham", "spam"]
        let (features, _, examples) = Self.examples(train, hashBits: 18)
        let options = TrainingOptions(kind: .spam, labels: labels, features: features, optimizer: .init(alpha: 3), epochs: 2, folds: 3)
        let result = ModelTrainer.train(examples, options: options)
        let manifest = ModelManifest(
            version: "slice", kind: .spam, labels: labels, features: features, optimizer: options.optimizer, epochs: 2, seed: 1,
            calibration: result.calibration, operatingPoints: result.operatingPoints,
            training: TrainingRecord(fingerprint: "", messages: train.count, corpora: ["spamassassin"], labelCounts: [:],
                                     outOfFold: result.outOfFold, test: nil, seconds: 0, createdAt: "")
        )
        let bundle = ModelBundle(manifest: manifest, model: result.trainer.model(), trainer: result.trainer)
        let evaluation = Evaluation(classifier: Classifier(bundle: bundle), messages: test)
        let metrics = try #require(evaluation.spam)
        #expect(train.count > 700 && test.count > 350)
        #expect(metrics.auc > 0.99, "AUC \(metrics.auc)")
        #expect(metrics.recallAt1 > 0.9, "recall at 1% FPR \(metrics.recallAt1)")
        #expect((metrics.ece ?? 1) < 0.05)
    }

    /// Examples that only score (`trains: false`, `train --no-augment-text`'s attacked copies) change neither the
    /// model nor its calibration and thresholds, and still get an out-of-fold margin each.
    @Test func examplesThatOnlyScoreTeachNothing() throws {
        let train = try Self.spamAssassin("train", every: 12)
        let labels = ["ham", "spam"]
        let (features, items, examples) = Self.examples(train, hashBits: 16)
        // Scored-only copies of the spam, labelled ham: had they trained, the model would move.
        let extra = zip(train, items).filter { $0.0.label == "spam" }.map {
            TrainingExample(features: $1.features, label: 0, foldKey: $1.key + "#copy", trains: false)
        }
        let options = TrainingOptions(kind: .spam, labels: labels, features: features, optimizer: .init(alpha: 3), epochs: 1, folds: 3)
        let alone = ModelTrainer.train(examples, options: options)
        let with = ModelTrainer.train(examples + extra, options: options)
        #expect(!extra.isEmpty && with.trainer.model().weights == alone.trainer.model().weights)
        #expect(with.calibration == alone.calibration && with.operatingPoints == alone.operatingPoints)
        #expect(with.outOfFoldMargins?.count == examples.count + extra.count)
        #expect(Array(with.outOfFoldMargins?.prefix(examples.count) ?? []) == (alone.outOfFoldMargins ?? []))
    }

    /// `mailsift train`'s run on values: a slice of the corpus through featurising, the text and view models,
    /// the trees and the combiner; the held-out figures and the out-of-fold scores come back with the bundle.
    @Test func aTrainingRunOnASliceGivesACascade() throws {
        let split = try SplitFile(path: TrainingTests.splitPath)
        let dir = TestSupport.corpusRoot!.appendingPathComponent("spamassassin").path
        let train = Array(try split.messages(split: "train", corpora: [dir]).enumerated().filter { $0.offset % 12 == 0 }.map(\.element))
        let test = Array(try split.messages(split: "test", corpora: [dir]).enumerated().filter { $0.offset % 6 == 0 }.map(\.element))
        var settings = TrainingRun.Settings(labels: ["spam", "ham"], epochs: 1, folds: 3, hashBits: 16)
        settings.outOfFoldScores = true
        let result = try TrainingRun.train(train, test: test, corpora: ["spamassassin"], settings: settings) { _ in }
        let m = result.bundle.manifest
        #expect(m.kind == .spam && m.labels == ["ham", "spam"] && m.version.hasPrefix("spam-"))
        #expect(m.training.corpora == ["spamassassin"] && m.training.messages == train.count)
        #expect(m.cascade != nil && result.bundle.sections[ModelBundle.treesSection] != nil)
        #expect(result.outOfFoldScores?.split(separator: "\n").count == train.count + 1)
        let metrics = try #require(result.evaluation?.spam)
        #expect(metrics.auc > 0.95, "AUC \(metrics.auc)")
        #expect(m.training.test?["auc"] == metrics.auc)
        #expect(throws: TrainingRun.Failure.self) {
            try TrainingRun.train(train, test: [], corpora: [], settings: TrainingRun.Settings(labels: ["phish", "news"])) { _ in }
        }
    }

    /// `train --drop-tree-columns`: the dropped columns are recorded and reach no verdict (no tree splits on
    /// them), while the columns kept do.
    @Test func droppedTreeColumnsReachNoVerdict() throws {
        let split = try SplitFile(path: TrainingTests.splitPath)
        let dir = TestSupport.corpusRoot!.appendingPathComponent("spamassassin").path
        let train = Array(try split.messages(split: "train", corpora: [dir]).enumerated().filter { $0.offset % 12 == 0 }.map(\.element))
        var settings = TrainingRun.Settings(labels: ["spam", "ham"], epochs: 1, folds: 3, hashBits: 16)
        settings.viewModels = false
        settings.droppedTreeColumns = Set(MetadataFeature.Group.conversation.columns + [.localHour])
        let bundle = try TrainingRun.train(train, test: [], corpora: ["spamassassin"], settings: settings) { _ in }.bundle
        let cascade = try #require(bundle.manifest.cascade)
        #expect(cascade.droppedTreeFeatures == ["localHour", "inReplyTo", "referencesCount", "listHeaders", "listUnsubscribe", "precedenceBulk", "organizationPresent"])
        #expect(bundle.manifest.version != (try TrainingRun.train(train, test: [], corpora: ["spamassassin"], settings: {
            var s = settings
            s.droppedTreeColumns = []
            return s
        }()) { _ in }.bundle.manifest.version))
        let scorer = try #require(try Cascade(loading: bundle, trees: XGBoostTreeLoader()).trees)
        let extractor = MetadataFeatureExtractor()
        var keptMoved = 0
        for m in train.prefix(40) {
            guard let a = try? MessageAnalyzer().analyze(m.bytes) else { continue }
            let row = extractor.values(of: a)
            var edited = row
            for c in cascade.droppedTreeColumns { edited[c] = edited[c].isNaN ? 7 : -edited[c] - 3 }
            #expect(try scorer.treeMargin(of: edited) == scorer.treeMargin(of: row))
            var kept = row
            for c in MetadataFeature.Group.received.columns.map(\.rawValue) { kept[c] = kept[c].isNaN ? 7 : kept[c] + 50 }
            if try scorer.treeMargin(of: kept) != scorer.treeMargin(of: row) { keptMoved += 1 }
        }
        #expect(keptMoved > 0, "the test edits columns the trees read too")
    }

    /// The committed default model loads, is the spam cascade the docs describe, and scores the dev split's
    /// test rows exactly as it did when it was trained (its recorded figures).
    @Test func defaultModelAgreesWithItsRecordedMetrics() throws {
        let bundle = ShippedModel.bundle
        let m = bundle.manifest
        #expect(m.kind == .spam && m.labels == ["ham", "spam"])
        #expect(m.cascade != nil && bundle.sections[ModelBundle.treesSection] != nil)
        #expect(Set(m.training.corpora) == ["spamassassin", "csdmc2010", "nazario_phishing"])
        let recorded = try #require(m.training.test)
        let split = try SplitFile(path: TrainingTests.splitPath)
        let dirs = m.training.corpora.map { TestSupport.corpusRoot!.appendingPathComponent($0).path }
        let test = try split.messages(split: "test", corpora: dirs).filter { m.labels.contains($0.label) }
        let metrics = try #require(Evaluation(cascade: try ShippedModel.cascade(bundle), messages: test).spam)
        #expect(abs(metrics.auc - recorded["auc"]!) < 1e-9)
        #expect(abs(metrics.recallAt01 - recorded["recall_at_0.1pct_fpr"]!) < 1e-9)
        #expect(abs(metrics.recallAt1 - recorded["recall_at_1pct_fpr"]!) < 1e-9)
        #expect(abs((metrics.ece ?? 1) - recorded["ece"]!) < 1e-9)
        // And the bars of the issue that shipped it.
        #expect(metrics.auc >= 0.999 && metrics.recallAt1 >= 0.99 && metrics.recallAt01 >= 0.96 && (metrics.ece ?? 1) <= 0.02)
    }

    @Test func classifyGivesAVerdictWithReasons() throws {
        let classifier = Classifier(bundle: ShippedModel.bundle)
        var scratch = classifier.makeScratch()
        let ham = try classifier.extractor.analyze(try TestSupport.fixture("nested-multipart.eml"))
        let score = classifier.score(ham, scratch: &scratch)
        #expect(score.action != nil)
        let reasons = classifier.reasons(ham, score: score)
        #expect(!reasons.isEmpty)
        #expect(reasons.allSatisfy { $0.weight > 0 })
    }

    /// The reasons name only the strongest features; they must be the ones the full list of named features
    /// gives (each view's rows, first view wins a row, valued 1/sqrt(the view's row count), strongest first).
    @Test func reasonsAgreeWithTheFullListOfNamedFeatures() throws {
        guard let corpus = TestSupport.corpusRoot else { return }
        let classifier = Classifier(bundle: ShippedModel.bundle)
        let m = classifier.bundle.manifest
        var scratch = classifier.makeScratch()
        let dir = corpus.appendingPathComponent("spamassassin/messages")
        let files = try FileManager.default.contentsOfDirectory(atPath: dir.path).sorted().enumerated().filter { $0.offset % 20 == 0 }.map(\.element)
        var compared = 0
        for file in files {
            guard let a = try? classifier.extractor.analyze([UInt8](try Data(contentsOf: dir.appendingPathComponent(file)))) else { continue }
            let score = classifier.score(a, scratch: &scratch)
            let sign: Double = score.label == m.labels[1] ? 1 : -1
            var seen = Set<UInt32>()
            var owned: [(FeatureExtractor.Named, UInt32)] = []
            var perView: [FeatureView: Int] = [:]
            for f in classifier.extractor.namedFeatures(of: a) {
                let row = UInt32(truncatingIfNeeded: f.hash >> UInt64(64 - m.features.hashBits))
                guard seen.insert(row).inserted else { continue }
                owned.append((f, row))
                perView[f.view, default: 0] += 1
            }
            let expected = owned.compactMap { f, row -> (FeatureView, String, Double)? in
                let w = Double(classifier.bundle.model.weight(row: row, output: 0)) * sign / Double(perView[f.view]!).squareRoot()
                return w > 0 ? (f.view, f.name, w) : nil
            }.sorted { $0.2 > $1.2 }.prefix(8)
            let got = classifier.reasons(a, score: score, count: 8)
            #expect(got.map(\.view) == expected.map(\.0), "\(file)")
            #expect(got.map(\.feature) == expected.map(\.1), "\(file)")
            // Scoring keeps each view's value as a Float: the weights agree to its precision.
            #expect(zip(got, expected).allSatisfy { abs($0.weight - $1.2) <= 1e-6 * $1.2 }, "\(file)")
            compared += 1
        }
        #expect(compared > 250)
    }
}
