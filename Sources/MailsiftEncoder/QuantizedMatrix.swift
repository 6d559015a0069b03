import COpenBLAS

/// A weight matrix kept in 8-bit integers: each output row scaled by its largest magnitude over 127
/// (symmetric, per row): a quarter of FP32's memory for the layers' matrices (11 MB instead of 42).
/// A product widens the weights back to FP32 and runs `sgemm`: activations stay FP32. Quantising the
/// activations too (per token, at run time) was measured and dropped: cosine to FP32 fell to 0.986 on the test
/// texts (BERT's hidden states have outlier dimensions), and an integer kernel written in Swift ran five times
/// slower than OpenBLAS's FP32 one on this CPU (docs/transformer.md).
struct QuantizedMatrix: Sendable {
    let values: [Int8]
    let scales: [Float]
    let rows: Int
    let columns: Int

    init(_ weights: [Float], rows: Int, columns: Int) {
        var values = [Int8](repeating: 0, count: rows * columns)
        var scales = [Float](repeating: 0, count: rows)
        for r in 0..<rows {
            let base = r * columns
            var top: Float = 0
            for c in 0..<columns { top = max(top, abs(weights[base + c])) }
            let scale = top > 0 ? top / 127 : 1
            scales[r] = scale
            for c in 0..<columns { values[base + c] = Int8(max(-127, min(127, (weights[base + c] / scale).rounded()))) }
        }
        self.values = values
        self.scales = scales
        self.rows = rows
        self.columns = columns
    }

    /// The weights widened back to FP32 ([rows, columns], row-major).
    func widened() -> [Float] {
        [Float](unsafeUninitializedCapacity: rows * columns) { out, count in
            values.withUnsafeBufferPointer { v in
                for r in 0..<rows {
                    let scale = scales[r]
                    let base = r * columns
                    for c in 0..<columns { out[base + c] = Float(v[base + c]) * scale }
                }
            }
            count = rows * columns
        }
    }

    /// output[r * rows + o] = Σ input[r * columns + i] W[o][i], for `inputRows` rows.
    func multiply(_ input: [Float], rows inputRows: Int, into output: inout [Float]) {
        let weights = widened()
        cblas_sgemm(
            CblasRowMajor, CblasNoTrans, CblasTrans, Int32(inputRows), Int32(rows), Int32(columns), 1, input, Int32(columns), weights, Int32(columns), 0,
            &output, Int32(rows))
    }
}
