import Foundation

/// Inverse document frequency per row of the weight table: rows present in many training messages weigh
/// less than rare ones (tf-idf with binary term frequency). Learnt from the training messages' rows, with
/// no labels, and stored in the bundle (``ModelBundle/idfSection``) so that scoring weighs rows the same way.
public enum DocumentFrequency {
    /// `ln((1 + N) / (1 + df)) + 1` for each of the `2^bits` rows (the smoothed form scikit-learn uses): a
    /// row seen in no training message gets the largest weight, one seen in all of them 1.
    public static func inverse(of documents: [SparseFeatures], bits: Int) -> [Float] {
        var counts = [Int32](repeating: 0, count: 1 << bits)
        counts.withUnsafeMutableBufferPointer { c in
            for d in documents {
                for r in d.rows { c[Int(r)] += 1 }
            }
        }
        let n = Double(documents.count)
        return counts.map { Float(log((1 + n) / (1 + Double($0))) + 1) }
    }

    /// The table as the bundle stores it (Float32, little-endian), and back.
    public static func encoded(_ idf: [Float]) -> [UInt8] { Float32Bytes.encode(idf) }

    public static func decoded(_ bytes: [UInt8], bits: Int) -> [Float]? { Float32Bytes.decode(bytes, count: 1 << bits) }
}
