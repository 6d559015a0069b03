import COpenBLAS
import Foundation
import MailsiftCore

/// A BERT encoder with mean pooling and unit length, as sentence-transformers runs all-MiniLM-L6-v2: word,
/// position and token-type embeddings, then `layers` blocks of multi-head self-attention and a GELU feed-forward
/// layer, each with a residual connection and layer norm; the embedding is the mean of the last layer's token
/// vectors, scaled to length 1. The matrix products are OpenBLAS `sgemm` calls on one thread (the server and
/// the trainer run many messages at once, one per core); the rest is plain loops. Sequences are never padded:
/// a batch stacks their tokens for the dense layers and runs attention within each (``embed(batch:)``).
///
/// Weights come from the model's folder (`config.json`, `vocab.txt`, `model.safetensors`) and are checked
/// against the configuration; precision ``Precision/int8`` keeps the large matrices as 8-bit integers with a
/// scale per output row (``QuantizedMatrix``).
public final class BertEncoder: SentenceEncoder {
    public enum Precision: String, Sendable, CaseIterable {
        case fp32, int8
    }

    struct Layer {
        var query, key, value, attentionOutput, intermediate, output: Dense
        var attentionNorm, outputNorm: Norm
    }

    /// y = x W^T + b, W stored row-major as [out, in] (as PyTorch keeps `Linear` weights), in FP32 or INT8.
    struct Dense {
        var weight: [Float]
        var quantized: QuantizedMatrix?
        var bias: [Float]
        var inputs: Int
        var outputs: Int
    }

    struct Norm {
        var gain: [Float]
        var bias: [Float]
    }

    public let dimension: Int
    public let maxTokens: Int
    public let tokenizer: WordPieceTokenizer
    /// `bert-LAYERSxHIDDEN-FINGERPRINT PRECISION`: the fingerprint hashes the weights file's tensor table (names,
    /// shapes, offsets), a sample of its bytes and the vocabulary, so a model's head runs only on its own encoder.
    public let identity: String
    public let precision: Precision
    let heads: Int
    let intermediateSize: Int
    let epsilon: Float
    let wordEmbeddings: [Float]
    let positionEmbeddings: [Float]
    let typeEmbedding: [Float]
    let embeddingNorm: Norm
    let layers: [Layer]

    public enum LoadError: Error, CustomStringConvertible {
        case unsupported(String)

        public var description: String {
            switch self {
            case .unsupported(let why): "unsupported encoder: \(why)"
            }
        }
    }

    struct Configuration: Decodable {
        var hidden_size: Int
        var num_hidden_layers: Int
        var num_attention_heads: Int
        var intermediate_size: Int
        var max_position_embeddings: Int
        var vocab_size: Int
        var type_vocab_size: Int
        var hidden_act: String
        var layer_norm_eps: Double
        var model_type: String?
    }

    /// Loads the model in `folder` (all-MiniLM-L6-v2's layout).
    public init(folder: URL, precision: Precision = .fp32) throws {
        let config = try JSONDecoder().decode(Configuration.self, from: Data(contentsOf: folder.appendingPathComponent("config.json")))
        guard config.hidden_act == "gelu" else { throw LoadError.unsupported("activation \(config.hidden_act)") }
        guard config.hidden_size % config.num_attention_heads == 0, config.hidden_size > 0, config.num_hidden_layers > 0 else {
            throw LoadError.unsupported("hidden size \(config.hidden_size) with \(config.num_attention_heads) heads")
        }
        let vocab = try String(contentsOf: folder.appendingPathComponent("vocab.txt"), encoding: .utf8)
        var lines = vocab.split(separator: "\n", omittingEmptySubsequences: false).map { String($0.hasSuffix("\r") ? $0.dropLast() : $0) }
        if lines.last == "" { lines.removeLast() }
        guard lines.count == config.vocab_size else { throw LoadError.unsupported("vocab.txt has \(lines.count) tokens, config \(config.vocab_size)") }
        tokenizer = try WordPieceTokenizer(vocabulary: lines)

        let file = try SafeTensors(contentsOf: folder.appendingPathComponent("model.safetensors"))
        // sentence-transformers' BertModel names have no prefix; a BertForX checkpoint's start with "bert.".
        let prefix = file.entries["embeddings.word_embeddings.weight"] == nil ? "bert." : ""
        let h = config.hidden_size, f = config.intermediate_size
        func tensor(_ name: String, _ shape: [Int]) throws -> [Float] { try file.floats(prefix + name, shape: shape) }
        func dense(_ name: String, _ outputs: Int, _ inputs: Int) throws -> Dense {
            let w = try tensor(name + ".weight", [outputs, inputs])
            return Dense(
                weight: precision == .int8 ? [] : w, quantized: precision == .int8 ? QuantizedMatrix(w, rows: outputs, columns: inputs) : nil,
                bias: try tensor(name + ".bias", [outputs]), inputs: inputs, outputs: outputs)
        }
        func norm(_ name: String) throws -> Norm { Norm(gain: try tensor(name + ".weight", [h]), bias: try tensor(name + ".bias", [h])) }
        wordEmbeddings = try tensor("embeddings.word_embeddings.weight", [config.vocab_size, h])
        positionEmbeddings = try tensor("embeddings.position_embeddings.weight", [config.max_position_embeddings, h])
        typeEmbedding = Array(try tensor("embeddings.token_type_embeddings.weight", [config.type_vocab_size, h]).prefix(h))
        embeddingNorm = try norm("embeddings.LayerNorm")
        layers = try (0..<config.num_hidden_layers).map { i in
            let p = "encoder.layer.\(i)."
            return Layer(
                query: try dense(p + "attention.self.query", h, h), key: try dense(p + "attention.self.key", h, h),
                value: try dense(p + "attention.self.value", h, h), attentionOutput: try dense(p + "attention.output.dense", h, h),
                intermediate: try dense(p + "intermediate.dense", f, h), output: try dense(p + "output.dense", h, f),
                attentionNorm: try norm(p + "attention.output.LayerNorm"), outputNorm: try norm(p + "output.LayerNorm"))
        }
        dimension = h
        heads = config.num_attention_heads
        intermediateSize = f
        maxTokens = config.max_position_embeddings
        epsilon = Float(config.layer_norm_eps)
        self.precision = precision
        // Named by what it is, not where it lies: the same weights in another folder are the same encoder.
        identity = "bert-\(config.num_hidden_layers)x\(h)-\(file.fingerprint(vocabulary: vocab)) \(precision.rawValue)"
        mailsift_openblas_threads(1)
    }

    /// The unit-length mean of the last layer's token vectors for `tokens` (at most ``maxTokens``; more are cut).
    public func embed(_ tokens: [Int32]) -> [Float] { embed(batch: [tokens])[0] }

    /// Several sequences at once: their tokens are stacked into one matrix, so each dense layer is one larger
    /// `sgemm`, and attention runs within each sequence (no padding, no mask; the result is each sequence's own).
    public func embed(batch: [[Int32]]) -> [[Float]] {
        let sequences = batch.map { Array($0.prefix(maxTokens)) }
        let h = dimension
        var starts: [Int] = []
        var total = 0
        for s in sequences {
            starts.append(total)
            total += s.count
        }
        guard total > 0 else { return sequences.map { _ in [Float](repeating: 0, count: h) } }
        var x = [Float](repeating: 0, count: total * h)
        let vocabularySize = wordEmbeddings.count / h
        for (k, ids) in sequences.enumerated() {
            for (t, id) in ids.enumerated() {
                let word = Int(id) >= 0 && Int(id) < vocabularySize ? Int(id) : Int(tokenizer.unknown)
                let row = (starts[k] + t) * h
                for j in 0..<h { x[row + j] = wordEmbeddings[word * h + j] + positionEmbeddings[t * h + j] + typeEmbedding[j] }
            }
        }
        layerNorm(&x, rows: total, embeddingNorm)
        var q = [Float](repeating: 0, count: total * h), k = q, v = q, context = q, projected = q
        let longest = sequences.map(\.count).max() ?? 0
        var scores = [Float](repeating: 0, count: longest * longest)
        var hidden = [Float](repeating: 0, count: total * intermediateSize)
        let d = h / heads
        let scale = 1 / Float(d).squareRoot()
        for layer in layers {
            apply(layer.query, x, rows: total, into: &q)
            apply(layer.key, x, rows: total, into: &k)
            apply(layer.value, x, rows: total, into: &v)
            for (index, ids) in sequences.enumerated() where !ids.isEmpty {
                let n = ids.count
                for head in 0..<heads {
                    let offset = starts[index] * h + head * d
                    q.withUnsafeBufferPointer { qp in
                        k.withUnsafeBufferPointer { kp in
                            cblas_sgemm(
                                CblasRowMajor, CblasNoTrans, CblasTrans, Int32(n), Int32(n), Int32(d), scale, qp.baseAddress! + offset, Int32(h),
                                kp.baseAddress! + offset, Int32(h), 0, &scores, Int32(n))
                        }
                    }
                    softmaxRows(&scores, rows: n)
                    v.withUnsafeBufferPointer { vp in
                        context.withUnsafeMutableBufferPointer { cp in
                            cblas_sgemm(
                                CblasRowMajor, CblasNoTrans, CblasNoTrans, Int32(n), Int32(d), Int32(n), 1, scores, Int32(n), vp.baseAddress! + offset,
                                Int32(h), 0, cp.baseAddress! + offset, Int32(h))
                        }
                    }
                }
            }
            apply(layer.attentionOutput, context, rows: total, into: &projected)
            addLayerNorm(&x, projected, rows: total, layer.attentionNorm)
            apply(layer.intermediate, x, rows: total, into: &hidden)
            hidden.withUnsafeMutableBufferPointer { p in
                for i in p.indices { p[i] = 0.5 * p[i] * (1 + BertEncoder.erf(p[i] * 0.70710678118654752)) }
            }
            apply(layer.output, hidden, rows: total, into: &projected)
            addLayerNorm(&x, projected, rows: total, layer.outputNorm)
        }
        return sequences.enumerated().map { index, ids in
            var pooled = [Float](repeating: 0, count: h)
            guard !ids.isEmpty else { return pooled }
            for t in 0..<ids.count {
                let row = (starts[index] + t) * h
                for j in 0..<h { pooled[j] += x[row + j] }
            }
            var norm: Float = 0
            for j in 0..<h {
                pooled[j] /= Float(ids.count)
                norm += pooled[j] * pooled[j]
            }
            let inverse = 1 / max(norm.squareRoot(), 1e-12)
            for j in 0..<h { pooled[j] *= inverse }
            return pooled
        }
    }

    /// erf for the exact GELU, as a rational function of x (odd over even polynomials, clamped to [-4, 4], where
    /// single precision's erf is ±1; the coefficients of Eigen's `generic_fast_erf_float`): within 4e-7 of `erff`
    /// over the whole line, a few units in the last place near ±1. No branch and no call, where `erff` was 14% of the
    /// encoder's time in a profile.
    @inline(__always)
    static func erf(_ v: Float) -> Float {
        let x = min(max(v, -4), 4)
        let x2 = x * x
        var p: Float = -2.72614225801306e-10
        p = p * x2 + 2.77068142495902e-08
        p = p * x2 - 2.10102402082508e-06
        p = p * x2 - 5.69250639462346e-05
        p = p * x2 - 7.34990630326855e-04
        p = p * x2 - 2.95459980854025e-03
        p = p * x2 - 1.60960333262415e-02
        var q: Float = -1.45660718464996e-05
        q = q * x2 - 2.13374055278905e-04
        q = q * x2 - 1.68282697438203e-03
        q = q * x2 - 7.37332916720468e-03
        q = q * x2 - 1.42647390514189e-02
        return x * p / q
    }

    func apply(_ layer: Dense, _ input: [Float], rows: Int, into output: inout [Float]) {
        if let quantized = layer.quantized {
            quantized.multiply(input, rows: rows, into: &output)
        } else {
            cblas_sgemm(
                CblasRowMajor, CblasNoTrans, CblasTrans, Int32(rows), Int32(layer.outputs), Int32(layer.inputs), 1, input, Int32(layer.inputs),
                layer.weight, Int32(layer.inputs), 0, &output, Int32(layer.outputs))
        }
        let width = layer.outputs
        output.withUnsafeMutableBufferPointer { out in
            layer.bias.withUnsafeBufferPointer { bias in
                for r in 0..<rows {
                    let row = out.baseAddress! + r * width
                    for j in 0..<width { row[j] += bias[j] }
                }
            }
        }
    }

    /// x = LayerNorm(x + residual), row by row (BERT's post-norm residual connection).
    func addLayerNorm(_ x: inout [Float], _ residual: [Float], rows: Int, _ norm: Norm) {
        x.withUnsafeMutableBufferPointer { xp in
            residual.withUnsafeBufferPointer { rp in
                for i in 0..<(rows * dimension) { xp[i] += rp[i] }
            }
        }
        layerNorm(&x, rows: rows, norm)
    }

    func layerNorm(_ x: inout [Float], rows: Int, _ norm: Norm) {
        let h = dimension
        let epsilon = epsilon
        x.withUnsafeMutableBufferPointer { xp in
            norm.gain.withUnsafeBufferPointer { gain in
                norm.bias.withUnsafeBufferPointer { bias in
                    for r in 0..<rows {
                        let row = xp.baseAddress! + r * h
                        var mean: Float = 0
                        for j in 0..<h { mean += row[j] }
                        mean /= Float(h)
                        var variance: Float = 0
                        for j in 0..<h {
                            let c = row[j] - mean
                            variance += c * c
                        }
                        variance /= Float(h)
                        let inverse = 1 / (variance + epsilon).squareRoot()
                        for j in 0..<h { row[j] = (row[j] - mean) * inverse * gain[j] + bias[j] }
                    }
                }
            }
        }
    }

    func softmaxRows(_ s: inout [Float], rows: Int) {
        s.withUnsafeMutableBufferPointer { sp in
            for r in 0..<rows {
                let row = sp.baseAddress! + r * rows
                var top = -Float.infinity
                for j in 0..<rows { top = max(top, row[j]) }
                var sum: Float = 0
                for j in 0..<rows {
                    let e = expf(row[j] - top)
                    row[j] = e
                    sum += e
                }
                let inverse = 1 / sum
                for j in 0..<rows { row[j] *= inverse }
            }
        }
    }
}
