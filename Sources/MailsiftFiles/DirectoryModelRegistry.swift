import Foundation
import MailsiftCore

/// The ``ModelRegistry`` of the embedded default: a folder (`models/` in the data directory) holding each
/// version as `VERSION.msmodel`, the records in `registry.json`, and the active version copied to
/// `active.msmodel`, replaced atomically (written beside it, then renamed), so that a server started with
/// `--model DIR/models/active.msmodel` reloads each promotion and never reads half a file.
public final class DirectoryModelRegistry: ModelRegistry, @unchecked Sendable {
    public let directory: String
    private let lock = NSLock()

    /// The folder is made at the first write, so opening a data directory leaves no trace until a model is registered.
    public init(directory: String) {
        self.directory = directory
    }

    public var activePath: String { path("active.msmodel") }

    func path(_ name: String) -> String { (directory as NSString).appendingPathComponent(name) }

    public func register(_ bundle: [UInt8], record: ModelRecord) throws {
        try locked {
            var records = try load()
            guard !records.contains(where: { $0.version == record.version }) else { throw ModelRegistryError.duplicateVersion(record.version) }
            try write(Data(bundle), to: path(record.version + ".msmodel"))
            if record.status == .active { records.retireActive() }
            records.append(record)
            if record.status == .active { try write(Data(bundle), to: activePath) }
            try save(records)
        }
    }

    public func promote(_ version: String) throws {
        try locked {
            var records = try load()
            guard let i = records.firstIndex(where: { $0.version == version }) else { throw ModelRegistryError.unknownVersion(version) }
            let bytes = try readBundle(version)
            records.retireActive()
            records[i].status = .active
            try write(Data(bytes), to: activePath)
            try save(records)
        }
    }

    public func records() throws -> [ModelRecord] { try locked { try load() } }

    public func bundle(_ version: String) throws -> [UInt8] { try locked { try readBundle(version) } }

    private func readBundle(_ version: String) throws -> [UInt8] {
        guard !version.contains("/"), let data = FileManager.default.contents(atPath: path(version + ".msmodel")) else {
            throw ModelRegistryError.unknownVersion(version)
        }
        return [UInt8](data)
    }

    private func load() throws -> [ModelRecord] {
        guard let data = FileManager.default.contents(atPath: path("registry.json")) else { return [] }
        do {
            return try JSONDecoder().decode([ModelRecord].self, from: data)
        } catch {
            throw ModelRegistryError.storage("registry.json cannot be read: \(error)")
        }
    }

    private func save(_ records: [ModelRecord]) throws {
        let e = JSONEncoder()
        e.outputFormatting = [.prettyPrinted, .sortedKeys]
        try write(try e.encode(records), to: path("registry.json"))
    }

    /// Writes beside the target, then renames over it (atomic on one file system).
    private func write(_ data: Data, to target: String) throws {
        let temporary = target + ".tmp-\(getpid())"
        do {
            try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
            try data.write(to: URL(fileURLWithPath: temporary))
            if rename(temporary, target) != 0 { throw ModelRegistryError.storage("cannot rename onto \(target): errno \(errno)") }
        } catch let error as ModelRegistryError {
            throw error
        } catch {
            throw ModelRegistryError.storage("cannot write \(target): \(error)")
        }
    }

    private func locked<T>(_ body: () throws -> T) throws -> T {
        lock.lock()
        defer { lock.unlock() }
        return try body()
    }
}
