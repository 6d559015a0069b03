import CXGBoost
import Foundation
import MailsiftCore

/// A gradient-boosted tree model held by XGBoost (its C API; Debian `libxgboost-dev`).
///
/// Prediction goes through `XGBoosterPredictFromDense` on one row with `nthread=1`, which is safe to call
/// from several threads at once (XGBoost keeps each thread's output buffer apart). Training uses every core.
public final class Booster: @unchecked Sendable {
    private let handle: BoosterHandle
    /// The number of feature columns.
    public let featureCount: Int
    /// Configuration strings for `PredictFromDense` (margin and contributions), built once.
    private let marginConfig: String
    private let contributionsConfig: String
    private let approximateContributionsConfig: String

    private init(handle: BoosterHandle, featureCount: Int) throws(BoosterError) {
        self.handle = handle
        self.featureCount = featureCount
        marginConfig = #"{"type": 1, "training": false, "iteration_begin": 0, "iteration_end": 0, "strict_shape": false, "cache_id": 0, "missing": NaN}"#
        contributionsConfig = #"{"type": 2, "training": false, "iteration_begin": 0, "iteration_end": 0, "strict_shape": false}"#
        approximateContributionsConfig = #"{"type": 3, "training": false, "iteration_begin": 0, "iteration_end": 0, "strict_shape": false}"#
        try check(XGBoosterSetParam(handle, "nthread", "1"))
    }

    deinit { XGBoosterFree(handle) }

    /// Loads a model saved by ``serialized()``. A corrupt buffer is refused with the library's message.
    public convenience init(loading bytes: [UInt8], featureCount: Int) throws(BoosterError) {
        var h: BoosterHandle?
        try Booster.check(XGBoosterCreate(nil, 0, &h))
        guard let h else { throw .xgboost("XGBoosterCreate returned no handle") }
        let status = bytes.withUnsafeBytes { XGBoosterLoadModelFromBuffer(h, $0.baseAddress, bst_ulong($0.count)) }
        if status != 0 {
            let message = Booster.lastError()
            XGBoosterFree(h)
            throw .xgboost(message)
        }
        try self.init(handle: h, featureCount: featureCount)
        var features: bst_ulong = 0
        try check(XGBoosterGetNumFeature(h, &features))
        guard Int(features) == featureCount else {
            throw .featureCountMismatch(expected: featureCount, found: Int(features))
        }
        // Prediction configures the learner lazily; do it once here, on one thread, before sharing.
        _ = try margin(of: [Float](repeating: .nan, count: featureCount))
    }

    /// The model as bytes (XGBoost's UBJSON format).
    public func serialized() throws(BoosterError) -> [UInt8] {
        var length: bst_ulong = 0
        var pointer: UnsafePointer<CChar>?
        try check(XGBoosterSaveModelToBuffer(handle, #"{"format": "ubj"}"#, &length, &pointer))
        guard let pointer else { throw .xgboost("XGBoosterSaveModelToBuffer returned no data") }
        return pointer.withMemoryRebound(to: UInt8.self, capacity: Int(length)) { Array(UnsafeBufferPointer(start: $0, count: Int(length))) }
    }

    /// The number of boosting rounds in the model.
    public func rounds() throws(BoosterError) -> Int {
        var n: Int32 = 0
        try check(XGBoosterBoostedRounds(handle, &n))
        return Int(n)
    }

    /// The raw score (log-odds) of one row of ``featureCount`` values (NaN is missing).
    public func margin(of row: [Float]) throws(BoosterError) -> Float {
        let out = try predict(row, config: marginConfig, expected: 1)
        return out[0]
    }

    /// Each feature's additive contribution to the margin (SHAP values, as XGBoost computes them for
    /// trees), and last the bias: ``featureCount`` + 1 values that sum to ``margin(of:)``.
    public func contributions(of row: [Float]) throws(BoosterError) -> [Float] {
        try contributions(of: row, config: contributionsConfig)
    }

    /// XGBoost's approximate contributions (`approx_contribs`: Saabas path attribution), which the native
    /// evaluator computes too (``TreeEnsemble/contributions(of:)``); kept to check it against.
    public func approximateContributions(of row: [Float]) throws(BoosterError) -> [Float] {
        try contributions(of: row, config: approximateContributionsConfig)
    }

    private func contributions(of row: [Float], config: String) throws(BoosterError) -> [Float] {
        // In-place prediction does not compute contributions; they go through a one-row DMatrix.
        precondition(row.count == featureCount, "a row has \(featureCount) values")
        let matrix = try Matrix(rows: row, labels: [0], weights: nil, featureCount: featureCount)
        var shape: UnsafePointer<bst_ulong>?
        var dimensions: bst_ulong = 0
        var result: UnsafePointer<Float>?
        try check(XGBoosterPredictFromDMatrix(handle, matrix.handle, config, &shape, &dimensions, &result))
        return try Booster.values(result, shape, dimensions, expected: featureCount + 1)
    }

    /// The prediction's values, checked against the count expected from its shape.
    private static func values(
        _ result: UnsafePointer<Float>?, _ shape: UnsafePointer<bst_ulong>?, _ dimensions: bst_ulong, expected: Int
    ) throws(BoosterError) -> [Float] {
        guard let result else { throw .xgboost("prediction returned no values") }
        var count = 1
        if let shape { for d in 0..<Int(dimensions) { count *= Int(shape[d]) } }
        guard count == expected else { throw .xgboost("prediction returned \(count) values, expected \(expected)") }
        return Array(UnsafeBufferPointer(start: result, count: count))
    }

    private func predict(_ row: [Float], config: String, expected: Int) throws(BoosterError) -> [Float] {
        precondition(row.count == featureCount, "a row has \(featureCount) values")
        var shape: UnsafePointer<bst_ulong>?
        var dimensions: bst_ulong = 0
        var result: UnsafePointer<Float>?
        let status = row.withUnsafeBufferPointer { buffer -> Int32 in
            let address = UInt(bitPattern: buffer.baseAddress)
            let interface = #"{"data": [\#(address), true], "shape": [1, \#(featureCount)], "typestr": "<f4", "version": 3}"#
            return XGBoosterPredictFromDense(handle, interface, config, nil, &shape, &dimensions, &result)
        }
        try check(status)
        return try Booster.values(result, shape, dimensions, expected: expected)
    }

    // MARK: - Training

    /// Trains a booster on `rows` (row-major, ``featureCount`` columns, NaN missing) with binary logistic
    /// loss. With a validation set, stops when its log loss has not improved for
    /// ``TreeParameters/earlyStoppingRounds`` rounds and keeps the best round.
    ///
    /// With `continuing`, boosting goes on from that saved model (its trees are kept, new ones are added and
    /// fitted to what it gets wrong on these rows), and the validation set may find that no new tree helps:
    /// then the result is the saved model itself (`bestRounds` counts only the new trees).
    public static func train(
        rows: [Float], labels: [Float], weights: [Float]? = nil, featureCount: Int,
        validation: (rows: [Float], labels: [Float])?, parameters: TreeParameters, continuing base: [UInt8]? = nil
    ) throws(BoosterError) -> (booster: Booster, bestRounds: Int, validationLogLoss: Double?) {
        let train = try Matrix(rows: rows, labels: labels, weights: weights, featureCount: featureCount)
        let valid = try validation.map { v throws(BoosterError) in try Matrix(rows: v.rows, labels: v.labels, weights: nil, featureCount: featureCount) }
        var h: BoosterHandle?
        var matrices: [DMatrixHandle?] = [train.handle]
        if let valid { matrices.append(valid.handle) }
        try check(matrices.withUnsafeBufferPointer { XGBoosterCreate($0.baseAddress, bst_ulong($0.count), &h) })
        guard let h else { throw .xgboost("XGBoosterCreate returned no handle") }
        defer { XGBoosterFree(h) }
        var baseRounds = 0
        if let base {
            try check(base.withUnsafeBytes { XGBoosterLoadModelFromBuffer(h, $0.baseAddress, bst_ulong($0.count)) })
            var n: Int32 = 0
            try check(XGBoosterBoostedRounds(h, &n))
            baseRounds = Int(n)
        }
        for (name, value) in parameters.xgboostParameters() { try check(XGBoosterSetParam(h, name, value)) }

        // best.round: how many new trees are kept (with a base model, none may be best).
        var best = (round: base == nil ? 1 : 0, loss: Double.infinity)
        if base != nil, let valid { best.loss = try evaluate(h, round: baseRounds, valid.handle) }
        for round in 0..<parameters.maxRounds {
            try check(XGBoosterUpdateOneIter(h, Int32(baseRounds + round), train.handle))
            guard let valid else { best.round = round + 1; continue }
            let loss = try evaluate(h, round: baseRounds + round, valid.handle)
            if loss < best.loss - 1e-7 {
                best = (round + 1, loss)
            } else if round + 1 - best.round >= parameters.earlyStoppingRounds {
                break
            }
        }
        let rounds = baseRounds + best.round
        if rounds == baseRounds, let base {
            return (try Booster(loading: base, featureCount: featureCount), 0, best.loss)
        }
        var sliced: BoosterHandle?
        try check(XGBoosterSlice(h, 0, Int32(rounds), 1, &sliced))
        guard let sliced else { throw .xgboost("XGBoosterSlice returned no handle") }
        // Round-trip through the saved form, so the model is exactly what a bundle will load.
        let slicedBooster = try Booster(handle: sliced, featureCount: featureCount)
        let bytes = try slicedBooster.serialized()
        return (try Booster(loading: bytes, featureCount: featureCount), best.round, valid == nil ? nil : best.loss)
    }

    /// The first `rounds` boosting rounds of this model, saved (the base a correction continues from).
    public func prefix(rounds: Int) throws(BoosterError) -> [UInt8] {
        var sliced: BoosterHandle?
        try check(XGBoosterSlice(handle, 0, Int32(rounds), 1, &sliced))
        guard let sliced else { throw .xgboost("XGBoosterSlice returned no handle") }
        return try Booster(handle: sliced, featureCount: featureCount).serialized()
    }

    /// The validation log loss after `round`, as XGBoost reports it (`[3]\tvalid-logloss:0.123`).
    private static func evaluate(_ h: BoosterHandle, round: Int, _ valid: DMatrixHandle) throws(BoosterError) -> Double {
        var result: UnsafePointer<CChar>?
        var matrices: [DMatrixHandle?] = [valid]
        var names: [UnsafePointer<CChar>?] = []
        let status = "valid".withCString { name -> Int32 in
            names = [name]
            return matrices.withUnsafeMutableBufferPointer { m in
                names.withUnsafeMutableBufferPointer { n in XGBoosterEvalOneIter(h, Int32(round), m.baseAddress, n.baseAddress, 1, &result) }
            }
        }
        try check(status)
        guard let result, let colon = String(cString: result).split(separator: ":").last, let loss = Double(colon.trimmingCharacters(in: .whitespaces)) else {
            throw .xgboost("unreadable evaluation result")
        }
        return loss
    }

    /// A DMatrix owned for the length of a training run.
    private final class Matrix {
        let handle: DMatrixHandle

        init(rows: [Float], labels: [Float], weights: [Float]?, featureCount: Int) throws(BoosterError) {
            precondition(rows.count == labels.count * featureCount, "rows and labels disagree")
            var h: DMatrixHandle?
            try Booster.check(rows.withUnsafeBufferPointer { XGDMatrixCreateFromMat($0.baseAddress, bst_ulong(labels.count), bst_ulong(featureCount), .nan, &h) })
            guard let h else { throw .xgboost("XGDMatrixCreateFromMat returned no handle") }
            handle = h
            try Booster.check(labels.withUnsafeBufferPointer { XGDMatrixSetFloatInfo(h, "label", $0.baseAddress, bst_ulong($0.count)) })
            if let weights {
                try Booster.check(weights.withUnsafeBufferPointer { XGDMatrixSetFloatInfo(h, "weight", $0.baseAddress, bst_ulong($0.count)) })
            }
        }

        deinit { XGDMatrixFree(handle) }
    }

    // MARK: - Errors

    private func check(_ status: Int32) throws(BoosterError) { try Booster.check(status) }

    fileprivate static func check(_ status: Int32) throws(BoosterError) {
        if status != 0 { throw .xgboost(lastError()) }
    }

    private static func lastError() -> String {
        guard let message = XGBGetLastError() else { return "unknown XGBoost error" }
        return String(cString: message)
    }
}

/// Why XGBoost refused.
public enum BoosterError: Error, Sendable, Hashable, CustomStringConvertible {
    case xgboost(String)
    case featureCountMismatch(expected: Int, found: Int)

    public var description: String {
        switch self {
        case .xgboost(let message): return "XGBoost: \(message)"
        case .featureCountMismatch(let expected, let found): return "tree model has \(found) features, this build computes \(expected)"
        }
    }
}
