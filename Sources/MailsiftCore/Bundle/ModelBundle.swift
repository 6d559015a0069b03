import Foundation

/// A trained model as one file: manifest, weights, and the optimiser state that incremental training
/// resumes from.
///
/// Layout (little-endian): the magic `MAILSIFT`, format version (UInt32), manifest length (UInt32), the
/// manifest as JSON, then the sections `weights`, `bias`, `z`, `n`, `biasZ`, `biasN`, each a UInt64 count
/// of Float32 values followed by the values; from version 2, a UInt32 count of named byte sections, each a
/// UInt16 name length, the name (UTF-8), a UInt64 length and the bytes (the tree stage's model is one); and
/// last an XXH64 checksum (UInt64) of every byte before it. Loading checks all of it; a bad file is refused
/// with a ``ModelBundleError``. Version 1 files (no named sections) still load.
public struct ModelBundle: Sendable {
    public static let magic = Array("MAILSIFT".utf8)
    public static let formatVersion: UInt32 = 2
    static let readableVersions: ClosedRange<UInt32> = 1...2

    /// The name of the section holding the tree stage's booster (XGBoost's UBJSON model).
    public static let treesSection = "trees"

    /// The name of the section holding the rows' inverse document frequencies (``DocumentFrequency``),
    /// present when the manifest's features use them.
    public static let idfSection = "idf"

    public var manifest: ModelManifest
    public var model: LinearModel
    /// FTRL state; nil in a bundle stripped for serving only.
    public var trainer: FTRLTrainer?
    /// Named byte sections for other stages' models, read by their adapters (``treesSection``).
    public var sections: [String: [UInt8]]

    public init(manifest: ModelManifest, model: LinearModel, trainer: FTRLTrainer?, sections: [String: [UInt8]] = [:]) {
        self.manifest = manifest
        self.model = model
        self.trainer = trainer
        self.sections = sections
    }

    /// The rows' inverse document frequencies, when the features use them (checked on load).
    public var idf: [Float]? {
        guard manifest.features.idf, let bytes = sections[ModelBundle.idfSection] else { return nil }
        return DocumentFrequency.decoded(bytes, bits: manifest.features.hashBits)
    }

    /// The view models the cascade names (``CascadeManifest/viewModels``), decoded from their sections;
    /// with `state`, their optimiser state too where the bundle has it (retraining needs it, serving not).
    /// A missing or malformed section, or a combiner without one input per view model, is an error.
    public func viewModels(state: Bool = true) throws(ModelBundleError) -> [ViewModel] {
        try ModelBundle.checkViewModels(manifest: manifest, sections: sections)
        return (manifest.cascade?.viewModels ?? []).compactMap { spec in
            ViewModel(
                spec: spec, bytes: sections[spec.section] ?? [], state: state ? sections[spec.stateSection] : nil,
                hashBits: manifest.features.hashBits, parameters: manifest.optimizer)
        }
    }

    /// The checks of ``viewModels(state:)``, on the sections' sizes alone (loading a bundle runs them).
    static func checkViewModels(manifest: ModelManifest, sections: [String: [UInt8]]) throws(ModelBundleError) {
        guard let cascade = manifest.cascade else { return }
        let specs = cascade.viewModels ?? []
        guard cascade.combiner.weights.count == 2 + specs.count else {
            throw .invalidManifest("the combiner has \(cascade.combiner.weights.count) inputs; the text model, the trees and \(specs.count) view model(s) need \(2 + specs.count)")
        }
        let bits = manifest.features.hashBits
        for spec in specs {
            guard sections[spec.section]?.count == 4 * ViewModel.weightCount(bits),
                  sections[spec.stateSection].map({ $0.count == 4 * ViewModel.stateCount(bits) }) ?? true
            else {
                throw .invalidManifest(
                    "view model \(spec.name): section \(spec.section) is missing or not 2^\(bits) weights and a bias, or \(spec.stateSection) is not a state of that size")
            }
        }
    }

    public func encoded() throws -> [UInt8] {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        let json = try encoder.encode(manifest)
        var out = ModelBundle.magic
        append(&out, ModelBundle.formatVersion)
        append(&out, UInt32(json.count))
        out += json
        let empty: [Float] = []
        for section in [model.weights, model.bias, trainer?.z ?? empty, trainer?.n ?? empty, trainer?.biasZ ?? empty, trainer?.biasN ?? empty] {
            append(&out, UInt64(section.count))
            section.withUnsafeBytes { out.append(contentsOf: $0) }
        }
        append(&out, UInt32(sections.count))
        for (name, bytes) in sections.sorted(by: { $0.key < $1.key }) {
            append(&out, UInt16(name.utf8.count))
            out += Array(name.utf8)
            append(&out, UInt64(bytes.count))
            out += bytes
        }
        let checksum = out.withUnsafeBytes { FeatureHash.xxh64($0, seed: 0) }
        append(&out, checksum)
        return out
    }

    public init(decoding bytes: [UInt8]) throws(ModelBundleError) {
        var reader = Reader(bytes: bytes)
        guard bytes.count >= ModelBundle.magic.count + 16 else { throw .truncated }
        guard Array(bytes.prefix(ModelBundle.magic.count)) == ModelBundle.magic else { throw .notAModel }
        reader.offset = ModelBundle.magic.count
        let version = try reader.read(UInt32.self)
        guard ModelBundle.readableVersions.contains(version) else { throw .unsupportedVersion(version) }
        // The checksum first: every later check may then trust the bytes.
        let body = bytes.count - 8
        let stored = bytes.withUnsafeBytes { $0.loadUnaligned(fromByteOffset: body, as: UInt64.self) }
        let actual = bytes.withUnsafeBytes { FeatureHash.xxh64(UnsafeRawBufferPointer(rebasing: $0[..<body]), seed: 0) }
        guard UInt64(littleEndian: stored) == actual else { throw .checksumMismatch }
        let jsonLength = Int(try reader.read(UInt32.self))
        let json = try reader.bytes(jsonLength)
        let manifest: ModelManifest
        do {
            manifest = try JSONDecoder().decode(ModelManifest.self, from: Data(json))
        } catch {
            throw .invalidManifest("\(error)")
        }
        var sections: [[Float]] = []
        for _ in 0..<6 { sections.append(try reader.floats(limit: body)) }
        var named: [String: [UInt8]] = [:]
        if version >= 2 {
            let count = try reader.read(UInt32.self)
            for _ in 0..<count {
                let nameLength = Int(try reader.read(UInt16.self))
                let name = String(decoding: try reader.bytes(nameLength), as: UTF8.self)
                let length = try reader.read(UInt64.self)
                guard length <= UInt64(max(body - reader.offset, 0)) else { throw .truncated }
                named[name] = Array(try reader.bytes(Int(length)))
            }
        }
        self.sections = named
        guard reader.offset == body else { throw .invalidManifest("\(body - reader.offset) unexpected bytes after the sections") }
        let outputs = manifest.kind == .spam ? 1 : manifest.labels.count
        let bits = manifest.features.hashBits
        guard (8...28).contains(bits), outputs >= 1, sections[0].count == outputs << bits, sections[1].count == outputs else {
            throw .invalidManifest("weights do not match \(outputs) output(s) over 2^\(bits) rows")
        }
        if manifest.kind == .spam { guard manifest.labels.count == 2 else { throw .invalidManifest("a spam model needs two labels") } }
        if manifest.features.idf {
            guard named[ModelBundle.idfSection]?.count == 4 << bits else {
                throw .invalidManifest("the features use idf weights but the idf section is missing or not 2^\(bits) values")
            }
        }
        self.manifest = manifest
        try ModelBundle.checkViewModels(manifest: manifest, sections: named)
        model = LinearModel(hashBits: bits, outputs: outputs, weights: sections[0], bias: sections[1])
        if sections[2].isEmpty {
            trainer = nil
        } else {
            guard sections[2].count == sections[0].count, sections[3].count == sections[0].count,
                  sections[4].count == outputs, sections[5].count == outputs else {
                throw .invalidManifest("optimiser state does not match the weights")
            }
            trainer = FTRLTrainer(
                hashBits: bits, outputs: outputs, parameters: manifest.optimizer,
                z: sections[2], n: sections[3], biasZ: sections[4], biasN: sections[5]
            )
        }
    }

    private func append<T: FixedWidthInteger>(_ out: inout [UInt8], _ value: T) {
        withUnsafeBytes(of: value.littleEndian) { out.append(contentsOf: $0) }
    }

    private struct Reader {
        let bytes: [UInt8]
        var offset = 0

        mutating func read<T: FixedWidthInteger>(_: T.Type) throws(ModelBundleError) -> T {
            let size = MemoryLayout<T>.size
            guard offset + size <= bytes.count else { throw .truncated }
            let v = bytes.withUnsafeBytes { $0.loadUnaligned(fromByteOffset: offset, as: T.self) }
            offset += size
            return T(littleEndian: v)
        }

        mutating func bytes(_ count: Int) throws(ModelBundleError) -> ArraySlice<UInt8> {
            guard count >= 0, offset + count <= bytes.count else { throw .truncated }
            defer { offset += count }
            return bytes[offset..<(offset + count)]
        }

        mutating func floats(limit: Int) throws(ModelBundleError) -> [Float] {
            let count = try read(UInt64.self)
            guard limit >= offset, count <= UInt64(limit - offset) / 4 else { throw .truncated }
            let n = Int(count)
            let start = offset
            offset += n * 4
            return [Float](unsafeUninitializedCapacity: n) { buffer, initialized in
                bytes.withUnsafeBytes { raw in
                    for i in 0..<n {
                        buffer[i] = Float(bitPattern: UInt32(littleEndian: raw.loadUnaligned(fromByteOffset: start + i * 4, as: UInt32.self)))
                    }
                }
                initialized = n
            }
        }
    }
}

/// Why a model file was refused.
public enum ModelBundleError: Error, Sendable, Hashable, CustomStringConvertible {
    /// The file does not start with the Mailsift magic.
    case notAModel
    /// Written by a newer (or unknown) format version.
    case unsupportedVersion(UInt32)
    /// The file ends early.
    case truncated
    /// The bytes are not the ones that were written (corruption, or a file cut short).
    case checksumMismatch
    /// The manifest or the sections are inconsistent.
    case invalidManifest(String)

    public var description: String {
        switch self {
        case .notAModel: return "not a Mailsift model (bad magic)"
        case .unsupportedVersion(let v): return "unsupported model format version \(v) (this build reads \(ModelBundle.formatVersion))"
        case .truncated: return "model file is truncated"
        case .checksumMismatch: return "model file is corrupt or truncated (checksum mismatch)"
        case .invalidManifest(let why): return "model file is inconsistent: \(why)"
        }
    }
}
