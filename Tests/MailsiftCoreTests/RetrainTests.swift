import Foundation
import MailsiftFiles
import MailsiftTestKit
import MailsiftTraining
import MailsiftTrees
import Testing
@testable import MailsiftCore

@Suite("Retraining: logged features, the validation gate, the registry", .serialized)
struct RetrainTests {
    static let cascade = try! ShippedModel.cascade(ShippedModel.bundle, rules: ShippedModel.rules)

    /// Every 8th message of the SpamAssassin corpus (about 750), or the two examples without the corpus.
    static func messages() throws -> [CorpusMessage] {
        if let root = TestSupport.corpusRoot {
            let all = try CorpusReader.load(root.appendingPathComponent("spamassassin").path)
            return all.enumerated().filter { $0.offset % 8 == 0 }.map(\.element)
        }
        return try ["phishing.eml", "ham.eml"].map { name in
            let bytes = [UInt8](try Data(contentsOf: TestSupport.repositoryRoot.appendingPathComponent("examples/" + name)))
            return CorpusMessage(corpus: "examples", id: name, label: name == "ham.eml" ? "ham" : "spam", bytes: bytes)
        }
    }

    /// The entry a server would log for `m` at `time`.
    static func entry(_ m: CorpusMessage, at time: Int64, scratch: inout Cascade.Scratch) throws -> (FeatureLogEntry, Cascade.Verdict) {
        let a = try cascade.extractor.analyze(m.bytes)
        let v = cascade.classify(a, scratch: &scratch)
        let entry = cascade.logEntry(a, verdict: v, messageID: m.id, time: time, keys: SenderKeys(a), sender: nil, computeText: true, scratch: &scratch)
        return (entry, v)
    }

    /// Scoring from the logged features gives what classifying the message gave, stage and probability.
    @Test func loggedFeaturesScoreAsTheMessageDid() throws {
        var scratch = Self.cascade.makeScratch()
        var compared = 0
        for (i, m) in try Self.messages().enumerated() {
            let (entry, v) = try Self.entry(m, at: Int64(i), scratch: &scratch)
            guard v.rules.action == nil else { continue }  // a rule's direct action is not replayed
            let replayed = Self.cascade.probability(of: entry)
            #expect(abs(replayed.probability - v.probability) <= 1e-9 * max(1, v.probability), "\(m.id)")
            #expect(replayed.stage == v.stage, "\(m.id)")
            compared += 1
        }
        #expect(compared >= 2)
    }

    /// True labels make a candidate the gate lets through; the same examples with the training labels
    /// flipped (and weighed heavily), the holdout's kept true, make one whose recall collapses, and the
    /// gate refuses it.
    @Test(.enabled(if: TestSupport.corpusRoot != nil, "../shared/corpus is not present"))
    func theGatePassesHonestLabelsAndRefusesPoisonedOnes() throws {
        var scratch = Self.cascade.makeScratch()
        var entries: [FeatureLogEntry] = []
        var truth: [Feedback] = []
        for (i, m) in try Self.messages().enumerated() {
            let time = Int64(i) * 60
            entries.append(try Self.entry(m, at: time, scratch: &scratch).0)
            truth.append(Feedback(messageID: m.id, user: "u", label: m.label == "spam" ? .spam : .ham, time: time + 30))
        }
        let cutoff = Int64(entries.count) * 60 + 3_600
        var retrainer = Retrainer()
        retrainer.updateText = true  // the text model's update is what the poisoned labels break
        retrainer.updateTrees = false
        retrainer.recallTolerance = 0.01
        retrainer.fprTolerance = 0.005
        retrainer.logLossTolerance = 0.001  // these messages are already in the model: a second pass barely moves it
        let honest = try retrainer.retrain(Self.cascade.bundle, entries: entries, feedback: truth, cutoff: cutoff)
        #expect(honest.report.promoted, "\(honest.report.reason)")
        #expect(honest.report.holdoutSpam >= 5 && honest.report.holdoutHam >= 5)
        // Held-out messages are never trained on.
        let held = truth.count(where: { retrainer.isHeldOut($0.messageID) })
        #expect(honest.report.trained == truth.count - held)
        #expect(honest.report.holdoutSpam + honest.report.holdoutHam == held)
        #expect(honest.candidate?.manifest.version != Self.cascade.bundle.manifest.version)
        // The view models learn the same examples from the state the shipped model keeps.
        let viewsBefore = try Self.cascade.bundle.viewModels()
        let viewsAfter = try #require(honest.candidate).viewModels()
        #expect(!viewsBefore.isEmpty && viewsAfter.count == viewsBefore.count)
        for (b, a) in zip(viewsBefore, viewsAfter) {
            #expect(b.trainer != nil && a.trainer?.n != b.trainer?.n && a.model.weights != b.model.weights, "\(b.spec.name)")
        }
        #expect(!honest.report.recalibrated)
        #expect(honest.candidate?.manifest.cascade?.combiner == Self.cascade.bundle.manifest.cascade?.combiner)
        // With recalibration, the combiner is refitted too.
        var recalibrating = retrainer
        recalibrating.recalibrate = true
        let refit = try recalibrating.retrain(Self.cascade.bundle, entries: entries, feedback: truth, cutoff: cutoff)
        #expect(refit.report.recalibrated)
        #expect(refit.candidate?.manifest.cascade?.combiner != Self.cascade.bundle.manifest.cascade?.combiner)

        let poisoned = truth.map { f in
            retrainer.isHeldOut(f.messageID) ? f : Feedback(messageID: f.messageID, user: f.user, label: f.label == .spam ? .ham : .spam, time: f.time)
        }
        retrainer.exampleWeight = 20
        retrainer.epochs = 3
        let bad = try retrainer.retrain(Self.cascade.bundle, entries: entries, feedback: poisoned, cutoff: cutoff)
        #expect(!bad.report.promoted)
        #expect(bad.report.reason.contains("recall") || bad.report.reason.contains("false-positive"), "\(bad.report.reason)")
        // A cut-off before any label arrived leaves nothing to train on.
        let early = try retrainer.retrain(Self.cascade.bundle, entries: entries, feedback: truth, cutoff: 10)
        #expect(early.candidate == nil && !early.report.promoted)
    }

    /// Tree retraining by continued boosting: labels that call two thirds of the messages spam make correction trees that raise
    /// the hams' tree margins; a later retraining starts again from the trained trees (corrections do not pile
    /// up); a retraining that adds no tree makes no candidate.
    @Test(.enabled(if: TestSupport.corpusRoot != nil, "../shared/corpus is not present"))
    func correctionTreesLearnFromLabelsAndStartFromTheTrainedTrees() throws {
        var scratch = Self.cascade.makeScratch()
        var entries: [FeatureLogEntry] = []
        var truth: [Feedback] = [], allSpam: [Feedback] = []
        for (i, m) in try Self.messages().enumerated() {
            let time = Int64(i) * 60
            entries.append(try Self.entry(m, at: time, scratch: &scratch).0)
            truth.append(Feedback(messageID: m.id, user: "u", label: m.label == "spam" ? .spam : .ham, time: time + 30))
            allSpam.append(Feedback(messageID: m.id, user: "u", label: i % 3 == 0 ? .ham : .spam, time: time + 30))
        }
        let cutoff = Int64(entries.count) * 60 + 3_600
        var retrainer = Retrainer()
        retrainer.updateText = false
        retrainer.updateTrees = true
        let original = try #require(Self.cascade.bundle.manifest.cascade)
        let skewed = try retrainer.retrain(Self.cascade.bundle, entries: entries, feedback: allSpam, cutoff: cutoff)
        let added = try #require(skewed.report.correctionTrees)
        #expect(added > 0)
        let candidate = try #require(skewed.candidate)
        #expect(candidate.manifest.cascade?.baseTreeRounds == original.treeRounds)
        #expect(candidate.manifest.cascade?.treeRounds == original.treeRounds + added)
        let next = try ShippedModel.cascade(candidate)
        // The hams labelled spam: their tree margins rise.
        let hams = entries.indices.filter { truth[$0].label == .ham && $0 % 3 != 0 }.map { entries[$0] }
        func meanMargin(_ c: Cascade) -> Double {
            hams.map { Double((try? c.trees?.treeMargin(of: $0.treeRow)) ?? 0) }.reduce(0, +) / Double(hams.count)
        }
        #expect(hams.count > 50)
        #expect(meanMargin(next) > meanMargin(Self.cascade) + 0.1)

        // From the candidate, the same labels: the corrections are refitted from the trained trees, not added
        // to the first ones.
        let twice = try retrainer.retrain(candidate, entries: entries, feedback: allSpam, cutoff: cutoff)
        let again = try #require(twice.candidate?.manifest.cascade)
        #expect(again.baseTreeRounds == original.treeRounds)
        #expect(again.treeRounds == original.treeRounds + (twice.report.correctionTrees ?? -1))
        // Labels the trained trees already get right teach nothing: no candidate.
        var quiet = Retrainer()
        quiet.updateText = false
        quiet.updateTrees = true
        quiet.correctionParameters.maxRounds = 0
        let none = try quiet.retrain(Self.cascade.bundle, entries: entries, feedback: truth, cutoff: cutoff)
        #expect(none.candidate == nil && none.report.reason.hasPrefix("nothing learned"))
    }

    /// The gate's holdout is a fixed share of messages chosen by their id: the same at every cut-off and in
    /// every order, about `holdoutFraction` of them, and a smaller share holds out a subset of a larger one.
    @Test func theHoldoutIsAFixedShareChosenByMessageID() {
        let retrainer = Retrainer()
        let ids = (0..<20_000).map { "<m\($0)@example.org>" }
        let held = Set(ids.filter(retrainer.isHeldOut))
        #expect(abs(Double(held.count) / Double(ids.count) - retrainer.holdoutFraction) < 0.015)
        #expect(Set(ids.reversed().filter(retrainer.isHeldOut)) == held)
        var smaller = retrainer
        smaller.holdoutFraction = 0.1
        let few = ids.filter(smaller.isHeldOut)
        #expect(!few.isEmpty && few.allSatisfy(held.contains))
    }

    /// Recall at a target false-positive rate depends on the ranking only: scores moved as a whole (as an update
    /// on a stream richer in ham moves them) give the same figure, while recall at a fixed threshold falls.
    @Test func recallAtTheTargetRateIgnoresAShiftOfAllScores() throws {
        let scores: [(Double, Bool)] = (0..<200).map { i in (Double(i) / 200, i >= 120 || i == 90) }
        let shifted = scores.map { ($0.0 * 0.5, $0.1) }
        let before = try #require(SpamMetrics.recall(scores: scores, atFPR: 0.01))
        #expect(before == 80.0 / 81.0)  // one ham of 119 may score above (0.84%): every spam but the one at 0.45
        #expect(SpamMetrics.recall(scores: shifted, atFPR: 0.01) == before)
        #expect(shifted.filter { $0.1 && $0.0 >= 0.6 }.count < scores.filter { $0.1 && $0.0 >= 0.6 }.count)
        #expect(SpamMetrics.recall(scores: scores.filter(\.1), atFPR: 0.01) == nil)
    }

    /// A text update on new labels of one class only (a period of phishing reports) learns older labelled
    /// examples of the other class again, the latest first, until the batch has the training data's share of
    /// spam; in decision order. Balanced new labels are left alone.
    @Test func aOneClassUpdateRehearsesOlderExamplesOfTheOtherClass() {
        func example(_ i: Int, spam: Bool) -> DelayedLabelJoiner.Example {
            let entry = FeatureLogEntry(
                messageID: "m\(i)", time: Int64(i), modelVersion: "v", keys: SenderKeys(), treeRow: [], probability: 0.5, action: .inbox)
            return DelayedLabelJoiner.Example(entry: entry, spam: spam, labelTime: Int64(i) + 10, votes: 1, dissent: 0)
        }
        let older = (0..<50).map { example($0, spam: $0 % 2 == 0) }
        let phishing = (100..<130).map { example($0, spam: true) }
        let counts = ["spam": 400, "ham": 600]  // 40% spam: 30 spam want 45 hams
        let retrainer = Retrainer()
        let batch = retrainer.rehearsed(phishing, older: older, counts: counts)
        #expect(batch.count == 30 + 25)  // only 25 older hams exist
        #expect(batch.filter { !$0.spam }.map(\.entry.time) == older.filter { !$0.spam }.map(\.entry.time))
        #expect(batch.map(\.entry.time) == batch.map(\.entry.time).sorted())
        let fewer = retrainer.rehearsed(Array(phishing.prefix(6)), older: older, counts: counts)
        // 6 spam want 9 hams: the latest nine.
        #expect(fewer.filter { !$0.spam }.map(\.entry.time) == Array(older.filter { !$0.spam }.suffix(9)).map(\.entry.time))
        let balanced = (200..<210).map { example($0, spam: $0 < 204) }
        #expect(retrainer.rehearsed(balanced, older: older, counts: counts) == balanced)
        var off = retrainer
        off.balanceClasses = false
        #expect(off.rehearsed(phishing, older: older, counts: counts) == phishing)
    }

    @Test func directoryRegistryVersionsAndPromotesAtomically() async throws {
        let dir = (NSTemporaryDirectory() as NSString).appendingPathComponent("mailsift-registry-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let registry = DirectoryModelRegistry(directory: dir)
        let bytes = try Self.cascade.bundle.encoded()
        try registry.register(bytes, record: ModelRecord(version: "v1", parent: nil, createdAt: 1, status: .active, report: nil))
        try registry.register(bytes + [], record: ModelRecord(version: "v2", parent: "v1", createdAt: 2, status: .rejected, report: "{}"))
        await #expect(throws: ModelRegistryError.duplicateVersion("v1")) {
            try await registry.register(bytes, record: ModelRecord(version: "v1", parent: nil, createdAt: 3, status: .candidate, report: nil))
        }
        #expect(try await registry.active()?.version == "v1")
        try registry.promote("v2")
        let statuses = try registry.records().map { "\($0.version)=\($0.status.rawValue)" }
        #expect(statuses == ["v1=retired", "v2=active"])
        #expect(FileManager.default.contents(atPath: registry.activePath).map { [UInt8]($0) } == bytes)
        #expect(try ModelBundle(decoding: try await registry.bundle("v2")).manifest.version == Self.cascade.bundle.manifest.version)
        await #expect(throws: ModelRegistryError.unknownVersion("v9")) { try await registry.promote("v9") }
        // Reopened, the registry has the same records.
        #expect(try await DirectoryModelRegistry(directory: dir).records().count == 2)
    }
}
