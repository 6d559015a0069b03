import Foundation
import Testing
@testable import MailsiftCore

@Suite("Model bundle format")
struct ModelBundleTests {
    static func bundle() -> ModelBundle {
        var trainer = FTRLTrainer(hashBits: 8, outputs: 1)
        for (x, y) in ModelTests.separable(count: 50, seed: 2) { trainer.update(x, label: y) }
        var features = FeatureConfiguration.spam
        features.hashBits = 8
        let manifest = ModelManifest(
            version: "spam-test", kind: .spam, labels: ["ham", "spam"], features: features, optimizer: trainer.parameters,
            epochs: 1, seed: 1, calibration: .platt(a: 0.7, b: -0.2),
            operatingPoints: OperatingPoints(targetFPR: 0.001, tag: 0.3, quarantine: 0.9, reject: 0.99),
            training: TrainingRecord(fingerprint: "abc", messages: 50, corpora: ["x"], labelCounts: ["ham": 25, "spam": 25],
                                     outOfFold: ["auc": 0.99], test: nil, seconds: 0.1, createdAt: "2026-11-22T00:00:00Z")
        )
        return ModelBundle(manifest: manifest, model: trainer.model(), trainer: trainer)
    }

    @Test func roundTrip() throws {
        let original = ModelBundleTests.bundle()
        let bytes = try original.encoded()
        let decoded = try ModelBundle(decoding: bytes)
        #expect(decoded.manifest == original.manifest)
        #expect(decoded.model.weights == original.model.weights)
        #expect(decoded.model.bias == original.model.bias)
        #expect(decoded.trainer?.z == original.trainer?.z)
        #expect(decoded.trainer?.n == original.trainer?.n)
    }

    /// The test bundle with a cascade that names one view model over the header views.
    static func withViewModel() -> (ModelBundle, ViewModel) {
        var bundle = ModelBundleTests.bundle()
        let spec = ViewModel.Spec(name: "headers", views: [.headers, .headerNGrams])
        var trainer = FTRLTrainer(hashBits: 8, outputs: 1)
        for (x, y) in ModelTests.separable(count: 50, seed: 3) { trainer.update(x, label: y) }
        let view = ViewModel(spec: spec, trainer: trainer)
        bundle.manifest.cascade = CascadeManifest(
            treeFeatures: MetadataFeature.names, treeParameters: TreeParameters(), treeRounds: 1, treeCalibration: .identity,
            combiner: StackedCombiner(weights: [0.5, 0.2, 0.4], bias: -1), mode: .stacked, exitBands: .none, outOfFold: [:])
        bundle.manifest.cascade?.viewModels = [spec]
        bundle.sections[spec.section] = view.encoded
        bundle.sections[spec.stateSection] = view.encodedState
        return (bundle, view)
    }

    @Test func viewModelsRoundTripAndBadSectionsAreRefused() throws {
        let (bundle, view) = ModelBundleTests.withViewModel()
        let decoded = try ModelBundle(decoding: try bundle.encoded())
        let models = try decoded.viewModels()
        #expect(models.count == 1)
        #expect(models.first?.model.weights == view.model.weights)
        #expect(models.first?.model.bias == view.model.bias)
        #expect(models.first?.trainer?.z == view.trainer?.z && models.first?.trainer?.n == view.trainer?.n)
        #expect(models.first?.trainer?.biasZ == view.trainer?.biasZ && models.first?.trainer?.biasN == view.trainer?.biasN)
        var stateless = bundle
        stateless.sections["view.headers.state"] = nil
        #expect(try ModelBundle(decoding: try stateless.encoded()).viewModels().first?.trainer == nil)
        var shortState = bundle
        shortState.sections["view.headers.state"] = Array(view.encodedState!.dropLast(4))
        #expect(throws: ModelBundleError.self) { try ModelBundle(decoding: try shortState.encoded()) }
        var cut = bundle
        cut.sections["view.headers"] = Array(view.encoded.dropLast(4))
        #expect(throws: ModelBundleError.self) { try ModelBundle(decoding: try cut.encoded()) }
        var missing = bundle
        missing.sections["view.headers"] = nil
        #expect(throws: ModelBundleError.self) { try ModelBundle(decoding: try missing.encoded()) }
        var inputs = bundle
        inputs.manifest.cascade?.combiner = StackedCombiner(weights: [0.5, 0.2], bias: -1)
        #expect(throws: ModelBundleError.self) { try ModelBundle(decoding: try inputs.encoded()) }
    }

    @Test func viewModelMarginReadsOnlyItsViews() throws {
        let (_, view) = ModelBundleTests.withViewModel()
        // Every view, `header_ngrams` among them (the view model reads `headers` and `header_ngrams`).
        var features = FeatureConfiguration(views: Set(FeatureView.allCases))
        features.hashBits = 8
        let extractor = FeatureExtractor(configuration: features)
        let order = extractor.viewOrder
        let reads = view.reads(order)
        #expect(reads.filter { $0 }.count == 2)
        let message = try extractor.analyze(Array("From: a@example.com\r\nSubject: cheap offer\r\nX-Mailer: bulk\r\n\r\nBuy now, limited offer.\r\n".utf8))
        var scratch = extractor.makeScratch()
        var x = SparseFeatures()
        extractor.features(of: message, scratch: &scratch, into: &x)
        let restricted = ViewModel.restricted(x, reads: reads)
        #expect(restricted.viewEnds.count == x.viewEnds.count)
        #expect(restricted.count > 0 && restricted.count < x.count)
        // The margin over its views equals the plain linear margin of the restricted features.
        #expect(abs(view.margin(x, reads: reads) - view.model.margin(restricted)) < 1e-5)
    }

    @Test func corruptionIsRefused() throws {
        let bytes = try ModelBundleTests.bundle().encoded()
        var flipped = bytes
        flipped[bytes.count / 2] ^= 0x40
        #expect(throws: ModelBundleError.checksumMismatch) { try ModelBundle(decoding: flipped) }
        #expect(throws: ModelBundleError.self) { try ModelBundle(decoding: Array(bytes.prefix(bytes.count - 100))) }
        #expect(throws: ModelBundleError.truncated) { try ModelBundle(decoding: Array(bytes.prefix(10))) }
        var magic = bytes
        magic[0] = UInt8(ascii: "X")
        #expect(throws: ModelBundleError.notAModel) { try ModelBundle(decoding: magic) }
        var version = bytes
        version[8] = 9
        #expect(throws: ModelBundleError.unsupportedVersion(9)) { try ModelBundle(decoding: version) }
        #expect(throws: ModelBundleError.self) { try ModelBundle(decoding: []) }
    }
}

@Suite("Inverse document frequency")
struct DocumentFrequencyTests {
    @Test func rareRowsWeighMoreAndViewsHaveUnitLength() throws {
        let docs = [SparseFeatures(rows: [1, 2], values: [1, 1]), SparseFeatures(rows: [1], values: [1])]
        let idf = DocumentFrequency.inverse(of: docs, bits: 8)
        #expect(idf[1] == 1)  // in every document
        #expect(idf[2] > idf[1] && idf[3] > idf[2])
        #expect(DocumentFrequency.decoded(DocumentFrequency.encoded(idf), bits: 8) == idf)
        #expect(DocumentFrequency.decoded([0, 1, 2], bits: 8) == nil)
        var x = SparseFeatures(rows: [1, 2, 3], values: [0, 0, 0])
        x.viewEnds = [2, 3]
        x.weigh(by: idf, normalize: true)
        #expect(abs(x.values[0] * x.values[0] + x.values[1] * x.values[1] - 1) < 1e-6)
        #expect(x.values[1] > x.values[0] && abs(x.values[2] - 1) < 1e-6)
        x.weigh(by: nil, normalize: true)
        #expect(x.values == [1 / Float(2).squareRoot(), 1 / Float(2).squareRoot(), 1])
    }
}
