import Foundation
import MailsiftFiles
import MailsiftTestKit
import MailsiftTraining
import MailsiftTrees
import Synchronization
import Testing
@testable import MailsiftCore

/// The one way a model loads (files, then `Cascade(loading:)` with the tree loader injected), the in-memory
/// stores every port has, and a retraining cycle against them.
@Suite("Loading models, in-memory stores, the retraining cycle", .serialized)
struct LoadingTests {
    @Test func theLoaderReadsTheFilesAndInjectsTheTreeLoader() throws {
        let trees = RecordingTreeLoader()
        let loader = ModelLoader(trees: trees)
        let cascade = try loader.cascade(ModelLoader.Source())
        let manifest = try #require(ShippedModel.bundle.manifest.cascade)
        let calls = trees.calls.withLock { $0 }
        #expect(calls.count == 1)
        #expect(calls.first?.bytes == ShippedModel.bundle.sections[ModelBundle.treesSection]?.count)
        #expect(calls.first?.featureCount == manifest.treeFeatures.count)
        #expect(cascade.bundle.manifest.version == ShippedModel.bundle.manifest.version)
        #expect(cascade.rules.rules.count == ShippedModel.rules.rules.count && !cascade.rules.rules.isEmpty)
        #expect(cascade.stages.map(\.kind) == [.rules, .trees, .text, .combined])
        #expect(try loader.cascade(ModelLoader.Source(noRules: true)).rules.rules.isEmpty)
        #expect(throws: ModelFile.LoadError.self) { try loader.cascade(ModelLoader.Source(model: "/nonexistent/model.msmodel")) }
        // The same bundle through the loader and through the shipped-model helper scores alike.
        let probe = try cascade.extractor.analyze(Array("From: a@example.com\r\nSubject: hello\r\n\r\nShall we meet?\r\n".utf8))
        var s1 = cascade.makeScratch()
        let other = try ShippedModel.cascade(rules: ShippedModel.rules)
        var s2 = other.makeScratch()
        #expect(cascade.classify(probe, scratch: &s1).probability == other.classify(probe, scratch: &s2).probability)
    }

    @Test func aBundleWhoseTreeColumnsDifferIsRefused() throws {
        var bundle = ShippedModel.bundle
        bundle.manifest.cascade?.treeFeatures[0] = "not a column"
        #expect(throws: Cascade.LoadError.self) { try Cascade(loading: bundle, trees: XGBoostTreeLoader()) }
        bundle = ShippedModel.bundle
        bundle.sections[ModelBundle.treesSection] = nil
        #expect(throws: Cascade.LoadError.self) { try Cascade(loading: bundle, trees: XGBoostTreeLoader()) }
    }

    @Test func theInMemoryStoreKeepsReputationsAndEdgesAsTheDatabasesDo() async throws {
        let store: any LearningStore = InMemoryLearningStore()
        let ip = ReputationKey(.ip, "198.51.100.7")
        try await store.saveReputations([ip: Reputation(spam: 2, ham: 1, updated: 10)])
        try await store.saveReputations([ip: Reputation(spam: 3, ham: 1, updated: 20)])
        #expect(try await store.loadReputations() == [ip: Reputation(spam: 3, ham: 1, updated: 20)])
        let edge = CommunicationGraph.Edge("a@example.org", "b@example.com")
        try await store.saveEdges([edge: CommunicationGraph.Weight(messages: 5, updated: 10, outbound: true)])
        try await store.saveEdges([edge: CommunicationGraph.Weight(messages: 2, updated: 30, outbound: false)])
        #expect(try await store.loadEdges() == [edge: CommunicationGraph.Weight(messages: 5, updated: 30, outbound: true)])
    }

    /// A cycle on the in-memory stores: the first promotion registers its parent as retired and the
    /// candidate as active with its parent and report; a cut-off before any label registers nothing.
    @Test(.enabled(if: TestSupport.corpusRoot != nil, "../shared/corpus is not present"))
    func aRetrainingCycleRegistersTheCandidateAndItsParent() async throws {
        let store = InMemoryLearningStore()
        let registry = InMemoryModelRegistry()
        var scratch = RetrainTests.cascade.makeScratch()
        for (i, m) in try RetrainTests.messages().enumerated() {
            let time = Int64(i) * 60
            store.append([try RetrainTests.entry(m, at: time, scratch: &scratch).0])
            _ = try store.record(Feedback(messageID: m.id, user: "u", label: m.label == "spam" ? .spam : .ham, time: time + 30))
        }
        var retrainer = Retrainer()
        retrainer.updateTrees = false
        retrainer.recallTolerance = 0.01
        retrainer.logLossTolerance = 0.001
        let cycle = RetrainingCycle(retrainer: retrainer)
        let bundle = RetrainTests.cascade.bundle
        let early = try await cycle.run(current: bundle, active: nil, rules: .empty, store: store, registry: registry, cutoff: 10)
        #expect(early.candidate == nil && !early.promoted && registry.records().isEmpty)
        let cutoff = Int64(store.entries(from: .min, through: .max).count) * 60 + 3_600
        let outcome = try await cycle.run(current: bundle, active: nil, rules: .empty, store: store, registry: registry, cutoff: cutoff)
        #expect(outcome.promoted, "\(outcome.report.reason)")
        let records = registry.records()
        #expect(records.map(\.status) == [.retired, .active])
        #expect(records.first?.version == bundle.manifest.version && records.first?.parent == nil)
        #expect(records.last?.version == outcome.candidate?.manifest.version && records.last?.parent == bundle.manifest.version)
        #expect(records.last?.report == outcome.report.json() && records.last?.createdAt == cutoff)
    }
}
