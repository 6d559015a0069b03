import Foundation
import Testing
@testable import MailsiftFiles
import MailsiftTestKit
import MailsiftTraining
@testable import MailsiftCore
@testable import MailsiftTrees

@Suite("Native tree evaluation and UBJSON")
struct TreeEnsembleTests {
    @Test func ubjsonReadsTypedAndPlainContainers() throws {
        // {"a": [$d#i2 1.5 -2.0], "b": "hi", "c": [i1 T Z], "d": {#i1 "x": L 7}}
        var bytes: [UInt8] = Array("{".utf8)
        bytes += [UInt8(ascii: "i"), 1] + Array("a".utf8) + Array("[$d#".utf8) + [UInt8(ascii: "i"), 2]
        for f: Float in [1.5, -2] { withUnsafeBytes(of: f.bitPattern.bigEndian) { bytes += $0 } }
        bytes += [UInt8(ascii: "i"), 1] + Array("b".utf8) + [UInt8(ascii: "S"), UInt8(ascii: "i"), 2] + Array("hi".utf8)
        bytes += [UInt8(ascii: "i"), 1] + Array("c".utf8) + Array("[".utf8) + [UInt8(ascii: "i"), 1, UInt8(ascii: "T"), UInt8(ascii: "Z")] + Array("]".utf8)
        bytes += [UInt8(ascii: "i"), 1] + Array("d".utf8) + Array("{#".utf8) + [UInt8(ascii: "i"), 1]
        bytes += [UInt8(ascii: "i"), 1] + Array("x".utf8) + [UInt8(ascii: "L"), 0, 0, 0, 0, 0, 0, 0, 7]
        bytes += Array("}".utf8)
        let v = try UBJSON(parsing: bytes)
        #expect(v["a"] == .array([.float32(1.5), .float32(-2)]))
        #expect(v["b"]?.stringValue == "hi")
        #expect(v["c"] == .array([.integer(1), .bool(true), .null]))
        #expect(v["d"]?["x"]?.intValue == 7)
        // Truncation anywhere, a count larger than the input, junk after the value, and deep nesting are refused.
        for cut in 0..<bytes.count { #expect(throws: UBJSONError.self) { try UBJSON(parsing: Array(bytes.prefix(cut))) } }
        #expect(throws: UBJSONError.self) { try UBJSON(parsing: Array("[$d#".utf8) + [UInt8(ascii: "L"), 0, 0, 0, 0, 0x7F, 0, 0, 0]) }
        #expect(throws: UBJSONError.self) { try UBJSON(parsing: bytes + [0]) }
        #expect(throws: UBJSONError.self) { try UBJSON(parsing: [UInt8](repeating: UInt8(ascii: "["), count: 100_000)) }
    }

    /// A booster trained with missing values everywhere: the native margins are XGBoost's, bit for bit.
    @Test func nativeMarginsEqualXGBoostOnATrainedModel() throws {
        var rng = SplitMix64(seed: 11)
        var rows: [Float] = []
        var labels: [Float] = []
        for _ in 0..<800 {
            var row = (0..<4).map { _ in Float(rng.next() % 1000) / 100 - 5 }
            if rng.next() % 4 == 0 { row[Int(rng.next() % 4)] = .nan }
            rows += row
            labels.append(row[0] * row[1] > 2 || row[2].isNaN ? 1 : 0)
        }
        var parameters = TreeParameters()
        parameters.maxRounds = 80
        parameters.threads = 1
        let trained = try Booster.train(rows: rows, labels: labels, featureCount: 4, validation: nil, parameters: parameters)
        let model = try TreeModel(loading: try trained.booster.serialized(), featureCount: 4)
        let ensemble = try #require(model.ensemble)
        #expect(ensemble.treeCount == 80)
        for i in 0..<800 {
            let row = Array(rows[(i * 4)..<(i * 4 + 4)])
            #expect(ensemble.margin(of: row).bitPattern == (try model.booster.margin(of: row)).bitPattern)
        }
        for row: [Float] in [[.nan, .nan, .nan, .nan], [.infinity, -.infinity, 0, -0.0]] {
            #expect(ensemble.margin(of: row).bitPattern == (try model.booster.margin(of: row)).bitPattern)
        }
        // A model for other columns, and damaged bytes, are refused with a typed error.
        let bytes = try trained.booster.serialized()
        #expect(throws: TreeEnsembleError.self) { try TreeEnsemble(xgboostModel: bytes, featureCount: 2) }
        #expect(throws: TreeEnsembleError.self) { try TreeEnsemble(xgboostModel: bytes, featureCount: 0) }
        for cut in stride(from: 0, to: bytes.count, by: max(bytes.count / 50, 1)) {
            #expect(throws: TreeEnsembleError.self) { try TreeEnsemble(xgboostModel: Array(bytes.prefix(cut)), featureCount: 4) }
        }
    }

    /// The shipped model's tree stage: on every message of the spam corpora, the native evaluator gives the
    /// margin XGBoost gives, bit for bit (the condition for serving with it).
    @Test(.enabled(if: TestSupport.corpusRoot != nil, "../shared/corpus is not present"))
    func nativeMarginsEqualXGBoostOnTheWholeCorpus() throws {
        let bundle = ShippedModel.bundle
        let cascade = try ShippedModel.cascade(bundle)
        let model = try #require(cascade.trees as? TreeModel)
        let ensemble = try #require(model.ensemble)
        let analyzer = cascade.extractor.analyzer
        var checked = 0
        for corpus in ["spamassassin", "csdmc2010", "nazario_phishing"] {
            let messages = try CorpusReader.load(TestSupport.corpusRoot!.appendingPathComponent(corpus).path)
            let mismatches = ParallelMap.map(messages, progress: nil, makeScratch: { [Float]() }) { m, row -> Int in
                guard let a = try? analyzer.analyze(m.bytes) else { return 0 }
                MetadataFeatureExtractor().values(of: a, into: &row)
                row.removeLast(row.count - model.featureCount)  // the columns the model was trained on
                let xgboost = (try? model.booster.margin(of: row))?.bitPattern
                var wrong = ensemble.margin(of: row).bitPattern == xgboost ? 0 : 1
                // Contributions (for explanations): the native path attribution against XGBoost's approx_contribs.
                guard let theirs = try? model.booster.approximateContributions(of: row) else { return wrong + 1 }
                let ours = ensemble.contributions(of: row)
                if ours.count != theirs.count || zip(ours, theirs).contains(where: { abs($0 - $1) > 1e-4 }) { wrong += 1 }
                return wrong
            }
            #expect(mismatches.reduce(0, +) == 0, "\(corpus)")
            checked += messages.count
        }
        #expect(checked > 9_000)
    }
}
