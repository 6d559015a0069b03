import Foundation
import MailsiftCore

/// A `.safetensors` file (Hugging Face's weight format): an 8-byte little-endian header length, a JSON header
/// naming each tensor's dtype, shape and byte range, then the raw little-endian data. Only what the encoder
/// reads is supported: `F32` tensors. Every length and offset is checked against the file before use.
struct SafeTensors {
    struct Entry: Decodable {
        var dtype: String
        var shape: [Int]
        var data_offsets: [Int]
    }

    enum LoadError: Error, CustomStringConvertible {
        case malformed(String)
        case missing(String)
        case wrongShape(String, expected: [Int], found: [Int])

        var description: String {
            switch self {
            case .malformed(let why): "malformed safetensors file: \(why)"
            case .missing(let name): "safetensors file has no tensor \(name)"
            case .wrongShape(let name, let expected, let found): "tensor \(name) has shape \(found), expected \(expected)"
            }
        }
    }

    let bytes: Data
    let entries: [String: Entry]
    let dataStart: Int

    init(contentsOf url: URL) throws {
        let data = try Data(contentsOf: url, options: .mappedIfSafe)
        guard data.count >= 8 else { throw LoadError.malformed("shorter than its header length") }
        var length: UInt64 = 0
        for i in 0..<8 { length |= UInt64(data[data.startIndex + i]) << (8 * UInt64(i)) }
        guard length <= UInt64(data.count - 8), length < 100 << 20 else { throw LoadError.malformed("header length \(length)") }
        let header = data.subdata(in: (data.startIndex + 8)..<(data.startIndex + 8 + Int(length)))
        // The header maps names to entries, plus an optional "__metadata__" of strings.
        guard let object = try JSONSerialization.jsonObject(with: header) as? [String: Any] else {
            throw LoadError.malformed("header is not a JSON object")
        }
        var entries: [String: Entry] = [:]
        for (name, value) in object where name != "__metadata__" {
            let json = try JSONSerialization.data(withJSONObject: value)
            entries[name] = try JSONDecoder().decode(Entry.self, from: json)
        }
        bytes = data
        self.entries = entries
        dataStart = 8 + Int(length)
    }

    /// Eight hex digits identifying these weights with `vocabulary`: a hash of the header (every tensor's name,
    /// shape and byte range), of 4,096 bytes sampled through the data, and of the vocabulary.
    func fingerprint(vocabulary: String) -> String {
        var hash = FeatureHash.xxh64(vocabulary, seed: 0x5AFE)
        bytes.withUnsafeBytes { raw in
            let header = UnsafeRawBufferPointer(rebasing: raw[0..<min(dataStart, raw.count)])
            hash ^= FeatureHash.xxh64(header, seed: hash)
            var sample = [UInt8]()
            sample.reserveCapacity(4096)
            let step = max(1, (raw.count - dataStart) / 4096)
            var i = dataStart
            while i < raw.count, sample.count < 4096 {
                sample.append(raw[i])
                i += step
            }
            hash ^= sample.withUnsafeBytes { FeatureHash.xxh64($0, seed: hash) }
        }
        return String(String(hash, radix: 16).suffix(8))
    }

    /// The `F32` tensor `name`, which must have `shape`.
    func floats(_ name: String, shape: [Int]) throws -> [Float] {
        guard let entry = entries[name] else { throw LoadError.missing(name) }
        guard entry.dtype == "F32" else { throw LoadError.malformed("\(name) is \(entry.dtype), not F32") }
        guard entry.shape == shape else { throw LoadError.wrongShape(name, expected: shape, found: entry.shape) }
        let count = shape.reduce(1, *)
        guard entry.data_offsets.count == 2, entry.data_offsets[0] >= 0, entry.data_offsets[1] - entry.data_offsets[0] == count * 4,
              dataStart + entry.data_offsets[1] <= bytes.count
        else { throw LoadError.malformed("\(name)'s byte range") }
        let start = bytes.startIndex + dataStart + entry.data_offsets[0]
        var out = [Float](repeating: 0, count: count)
        out.withUnsafeMutableBytes { target in
            bytes.copyBytes(to: target.bindMemory(to: UInt8.self), from: start..<(start + count * 4))
        }
        // The format is little-endian, as is every machine Mailsift builds for.
        return out
    }
}
