import Foundation
import MailsiftFiles
import MailsiftTestKit
import Testing
@testable import MailsiftCore
@testable import MailsiftEncoder
@testable import MailsiftTraining

/// The transformer stage: the WordPiece tokenizer and the BERT encoder against the reference implementations
/// (the fixture written by scripts/encoder-fixture.py from `tokenizers` and PyTorch), INT8 against FP32, the
/// head's fit, and the stage in the cascade (routing, thresholds, running without the encoder).
/// The encoder's weights come from scripts/install-deps.sh (docs/transformer.md); without them these tests fail.
@Suite struct TransformerTests {
    struct Reference: Decodable {
        struct Case: Decodable {
            var text: String
            var tokens: [Int32]
            var embedding: [Float]
        }
        var maxTokens: Int
        var cases: [Case]
    }

    static let folder = URL(fileURLWithPath: EncoderLocation.folder(configured: nil))

    static func encoder(_ precision: BertEncoder.Precision = .fp32) throws -> BertEncoder {
        guard FileManager.default.fileExists(atPath: folder.appendingPathComponent("model.safetensors").path) else {
            Issue.record("no encoder weights at \(folder.path): run scripts/install-deps.sh (docs/transformer.md)")
            throw TestSupport.FixtureMissing(name: folder.path)
        }
        return try BertEncoder(folder: folder, precision: precision)
    }

    static func reference() throws -> Reference {
        try JSONDecoder().decode(Reference.self, from: Data(TestSupport.fixture("encoder_reference.json")))
    }

    static func cosine(_ a: [Float], _ b: [Float]) -> Double {
        var dot = 0.0, na = 0.0, nb = 0.0
        for (x, y) in zip(a, b) {
            dot += Double(x) * Double(y)
            na += Double(x) * Double(x)
            nb += Double(y) * Double(y)
        }
        return dot / max((na * nb).squareRoot(), 1e-12)
    }

    @Test func wordPieceRulesOnASmallVocabulary() throws {
        let vocabulary = ["[PAD]", "[UNK]", "[CLS]", "[SEP]", "un", "##aff", "##able", "cafe", "!", "$", "中", "hello", "##s"]
        let t = try WordPieceTokenizer(vocabulary: vocabulary)
        func ids(_ s: String, _ n: Int = 64) -> [Int32] { Array(t.encode(s, maxTokens: n).dropFirst().dropLast()) }
        #expect(ids("unaffable") == [4, 5, 6])
        #expect(ids("UNAFFABLE Café!") == [4, 5, 6, 7, 8])  // lower case, accent stripped, punctuation split
        #expect(ids("$hello中hellos") == [9, 11, 10, 11, 12])  // ASCII symbols are punctuation; CJK split
        #expect(ids("unaffx") == [1])  // a word that cannot be covered is [UNK]
        #expect(ids(String(repeating: "a", count: 101)) == [1])
        #expect(ids("hello\u{200B}\u{0000}s") == [11, 12])  // format and NUL characters dropped, not split
        #expect(t.encode("hello hello hello", maxTokens: 4) == [2, 11, 11, 3])
        #expect(t.encode("", maxTokens: 8) == [2, 3])
        #expect(throws: WordPieceTokenizer.VocabularyError.missingToken("[UNK]")) { try WordPieceTokenizer(vocabulary: ["a"]) }
    }

    @Test func tokensAndEmbeddingsMatchTheReference() throws {
        let encoder = try Self.encoder()
        let reference = try Self.reference()
        for c in reference.cases {
            let tokens = encoder.tokenizer.encode(c.text, maxTokens: reference.maxTokens)
            #expect(tokens == c.tokens, "\(c.text)")
            #expect(Self.cosine(encoder.embed(tokens), c.embedding) >= 0.9999, "\(c.text)")
        }
    }

    @Test func theEncoderIsNamedByItsWeightsNotItsFolder() throws {
        let encoder = try Self.encoder()
        #expect(encoder.identity.hasPrefix("bert-6x384-") && encoder.identity.hasSuffix(" fp32"), "\(encoder.identity)")
        // The same files under another name: the same encoder, so a model's head runs on it.
        let other = FileManager.default.temporaryDirectory.appendingPathComponent("encoder-\(UUID().uuidString)/model")
        try FileManager.default.createDirectory(at: other, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: other.deletingLastPathComponent()) }
        for name in ["config.json", "vocab.txt", "model.safetensors"] {
            try FileManager.default.createSymbolicLink(at: other.appendingPathComponent(name), withDestinationURL: Self.folder.appendingPathComponent(name))
        }
        #expect(try BertEncoder(folder: other).identity == encoder.identity)
    }

    @Test func aBatchGivesEachSequenceItsOwnEmbedding() throws {
        let encoder = try Self.encoder()
        let sequences = try Self.reference().cases.map { encoder.tokenizer.encode($0.text, maxTokens: 64) }
        let batched = encoder.embed(batch: sequences)
        #expect(batched.count == sequences.count)
        for (tokens, embedding) in zip(sequences, batched) {
            #expect(Self.cosine(embedding, encoder.embed(tokens)) >= 0.99999)
        }
        #expect(encoder.embed(batch: []).isEmpty)
    }

    /// The GELU's erf, a rational function, against the C library's `erff` across the line.
    @Test func geluErfFollowsTheLibrary() {
        var worst: Float = 0
        for i in -60_000...60_000 {
            let x = Float(i) * 1e-4
            worst = max(worst, abs(BertEncoder.erf(x) - erff(x)))
        }
        #expect(worst <= 5e-7)  // a few units in the last place near ±1
        for x: Float in [50, .infinity] {
            #expect(abs(BertEncoder.erf(x) - 1) <= 2e-7 && abs(BertEncoder.erf(-x) + 1) <= 2e-7)
        }
        #expect(BertEncoder.erf(0) == 0)
    }

    @Test func int8StaysCloseToFP32() throws {
        let fp32 = try Self.encoder()
        let int8 = try Self.encoder(.int8)
        #expect(int8.identity.hasSuffix("int8"))
        #expect(TransformerSpec.model(of: int8.identity) == TransformerSpec.model(of: fp32.identity))
        for c in try Self.reference().cases {
            let tokens = fp32.tokenizer.encode(c.text, maxTokens: 128)
            #expect(Self.cosine(int8.embed(tokens), fp32.embed(tokens)) >= 0.99, "\(c.text)")
        }
    }

    @Test func cacheGivesTheSameEmbeddingOnce() throws {
        let cache = EmbeddingCache(try Self.encoder(), capacity: 2)
        let a = cache.tokenizer.encode("verify your account", maxTokens: 32)
        let b = cache.tokenizer.encode("meeting on friday", maxTokens: 32)
        let c = cache.tokenizer.encode("lunch", maxTokens: 32)
        let first = cache.embed(a)
        #expect(cache.embed(a) == first)
        #expect(cache.counts.hits == 1 && cache.counts.misses == 1)
        _ = cache.embed(b)
        _ = cache.embed(c)  // full: the oldest entries go
        #expect(cache.embed(a) == first)
        #expect(cache.counts.misses == 4)
    }

    @Test func headFitReachesTheOptimum() {
        // Two overlapping classes in three dimensions: at the optimum the penalised gradient is zero.
        var xs: [[Float]] = [], labels: [Bool] = [], weights: [Double] = []
        var state: UInt64 = 7
        func uniform() -> Float {
            state = state &* 6364136223846793005 &+ 1442695040888963407
            return Float(state >> 40) / Float(1 << 24)
        }
        for i in 0..<400 {
            let spam = i % 2 == 0
            xs.append([uniform() + (spam ? 0.4 : 0), uniform(), uniform() - (spam ? 0.2 : 0)])
            labels.append(spam)
            weights.append(spam ? 1 : 3)
        }
        let l2 = 1e-3
        let head = LogisticHead.fit(xs, labels: labels, weights: weights, l2: l2)
        var gradient = [Double](repeating: 0, count: 4)
        for (i, x) in xs.enumerated() {
            let p = LinearModel.sigmoid(head.margin(x))
            let r = (p - (labels[i] ? 1 : 0)) * weights[i]
            for j in 0..<3 { gradient[j] += r * Double(x[j]) }
            gradient[3] += r
        }
        let total = weights.reduce(0, +)
        for j in 0..<3 { gradient[j] += l2 * total * Double(head.weights[j]) }
        #expect(gradient.allSatisfy { abs($0) < 1e-3 }, "\(gradient)")
        #expect(head.weights[0] > 0 && head.weights[2] < 0)
    }

    /// The shipped model with a transformer stage added by hand: a head that reads "verify your account" as spam.
    static func cascadeWithStage(encoder: BertEncoder) throws -> (Cascade, TransformerSpec) {
        var bundle = ShippedModel.bundle
        let spam = encoder.embed(encoder.tokenizer.encode("verify your account password suspended", maxTokens: 64))
        let head = spam.map { Double($0) * 20 } + [-10]
        let earlier = try #require(bundle.manifest.operatingPoints)
        var points = earlier
        points.quarantine = 0.6
        points.reject = 0.9
        let spec = TransformerSpec(
            encoder: encoder.identity, dimension: encoder.dimension, tokens: 64, head: head, lower: 0, upper: 1.01, combiner: [1, 1, 0], routedShare: 1,
            operatingPoints: points)
        bundle.manifest.cascade?.transformer = spec
        var cascade = try ShippedModel.cascade(bundle)
        cascade.encoder = encoder
        return (cascade, spec)
    }

    @Test func stageRefinesRoutedMessagesAndFallsBackWithoutTheEncoder() throws {
        let encoder = try Self.encoder()
        var (cascade, spec) = try Self.cascadeWithStage(encoder: encoder)
        let analyzer = cascade.extractor
        let phish = try analyzer.analyze(Array("From: a@b.example\nTo: c@d.example\nSubject: verify your account\n\nyour password expires: verify your account or it is suspended\n".utf8))
        var scratch = cascade.makeScratch()
        #expect(cascade.transformerActive)
        #expect(cascade.operatingPoints == spec.operatingPoints)
        let v = cascade.classify(phish, scratch: &scratch)
        #expect(v.stage == .transformer)
        let margin = try #require(v.transformerMargin)
        let input = encoder.tokenizer.encode(TransformerInput.text(of: phish), maxTokens: spec.tokens)
        #expect(abs(margin - spec.margin(encoder.embed(input))) < 1e-9)
        #expect(v.action == spec.operatingPoints.action(probability: v.probability) || (v.rejectWithheld && v.action == .quarantine))
        #expect(cascade.reasons(phish, verdict: v, scratch: &scratch).contains { $0.feature == "transformer" })

        // Without the encoder, or with another model's, the stage is off and the manifest's thresholds apply.
        cascade.encoder = nil
        #expect(!cascade.transformerActive)
        #expect(cascade.operatingPoints == cascade.bundle.manifest.operatingPoints)
        let without = cascade.classify(phish, scratch: &scratch)
        #expect(without.stage != .transformer && without.transformerMargin == nil)
        #expect(without.action == cascade.bundle.manifest.operatingPoints?.action(probability: without.probability))
        #expect(abs(v.probability - spec.refined(probability: without.probability, margin: margin)) < 1e-9)

        // Outside the band, the stage does not run.
        var narrow = cascade.bundle
        narrow.manifest.cascade?.transformer?.lower = 2
        var banded = try ShippedModel.cascade(narrow)
        banded.encoder = encoder
        #expect(banded.classify(phish, scratch: &scratch).stage != .transformer)
    }

    @Test func providerLoadsOnceAndOnlyForModelsWithTheStage() throws {
        let encoder = try Self.encoder()
        let (cascade, _) = try Self.cascadeWithStage(encoder: encoder)
        let logged = LockedLines()
        let provider = EncoderProvider(configured: Self.folder.path, log: { logged.append($0) })
        #expect((provider.encoder(for: ShippedModel.bundle) == nil) != ShippedModelHasStage.value)
        let first = try #require(provider.encoder(for: cascade.bundle))
        let second = try #require(provider.encoder(for: cascade.bundle))
        #expect(first as AnyObject === second as AnyObject)
        let missing = EncoderProvider(configured: "/nonexistent/encoder", log: { logged.append($0) })
        #expect(missing.encoder(for: cascade.bundle) == nil)
        #expect(missing.encoder(for: cascade.bundle) == nil)
        #expect(logged.lines.count { $0.contains("transformer stage off") } == 1)
    }
}

/// Whether the shipped model has a transformer stage (the provider gives it the encoder then).
enum ShippedModelHasStage {
    static var value: Bool { ShippedModel.bundle.manifest.cascade?.transformer != nil }
}

/// Lines logged from any thread.
final class LockedLines: @unchecked Sendable {
    private let lock = NSLock()
    private var stored: [String] = []
    func append(_ line: String) {
        lock.lock()
        stored.append(line)
        lock.unlock()
    }
    var lines: [String] {
        lock.lock()
        defer { lock.unlock() }
        return stored
    }
}
