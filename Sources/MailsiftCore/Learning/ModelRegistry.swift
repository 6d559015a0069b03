import Synchronization

/// One model version in a registry: where it came from, what the validation gate said, and its status.
public struct ModelRecord: Codable, Sendable, Hashable {
    public enum Status: String, Codable, Sendable, CaseIterable {
        /// Registered, not (yet) serving.
        case candidate
        /// The version to serve; one at a time.
        case active
        /// Served before, replaced by a later version.
        case retired
        /// Refused by the validation gate.
        case rejected
    }

    public var version: String
    /// The version it was retrained from.
    public var parent: String?
    /// When it was registered (Unix seconds).
    public var createdAt: Int64
    public var status: Status
    /// The validation gate's report (JSON), when it went through one.
    public var report: String?

    public init(version: String, parent: String?, createdAt: Int64, status: Status, report: String?) {
        self.version = version
        self.parent = parent
        self.createdAt = createdAt
        self.status = status
        self.report = report
    }
}

/// Why a registry refused an operation.
public enum ModelRegistryError: Error, Sendable, Hashable, CustomStringConvertible {
    case unknownVersion(String)
    case duplicateVersion(String)
    case storage(String)

    public var description: String {
        switch self {
        case .unknownVersion(let v): "no model version \(v) in the registry"
        case .duplicateVersion(let v): "model version \(v) is already registered"
        case .storage(let why): "model registry: \(why)"
        }
    }
}

/// Port: versioned model bundles and which one serves.
public protocol ModelRegistry: Sendable {
    /// Adds a bundle (its encoded bytes) under `record.version`; an active record retires the one before.
    func register(_ bundle: [UInt8], record: ModelRecord) async throws
    /// Makes `version` the active one (the previous active is retired).
    func promote(_ version: String) async throws
    func records() async throws -> [ModelRecord]
    func bundle(_ version: String) async throws -> [UInt8]
}

extension ModelRegistry {
    /// The active record, if any.
    public func active() async throws -> ModelRecord? { try await records().first { $0.status == .active } }
}

/// The in-memory ``ModelRegistry``, for tests and replays.
public final class InMemoryModelRegistry: ModelRegistry {
    private let state = Mutex<(records: [ModelRecord], bundles: [String: [UInt8]])>(([], [:]))

    public init() {}

    public func register(_ bundle: [UInt8], record: ModelRecord) throws {
        try state.withLock { s throws(ModelRegistryError) in
            guard s.bundles[record.version] == nil else { throw .duplicateVersion(record.version) }
            if record.status == .active { s.records.retireActive() }
            s.records.append(record)
            s.bundles[record.version] = bundle
        }
    }

    public func promote(_ version: String) throws {
        try state.withLock { s throws(ModelRegistryError) in
            guard let i = s.records.firstIndex(where: { $0.version == version }) else { throw .unknownVersion(version) }
            s.records.retireActive()
            s.records[i].status = .active
        }
    }

    public func records() -> [ModelRecord] { state.withLock { $0.records } }

    public func bundle(_ version: String) throws -> [UInt8] {
        guard let b = state.withLock({ $0.bundles[version] }) else { throw ModelRegistryError.unknownVersion(version) }
        return b
    }
}

extension [ModelRecord] {
    /// Marks the active record (if any) retired.
    public mutating func retireActive() {
        for i in indices where self[i].status == .active { self[i].status = .retired }
    }
}
