import Foundation
import Logging
import MailsiftCore
import MailsiftFiles
import MailsiftTrees
import ServiceLifecycle
import UnixSignals

/// Loads, checks and installs a new model on request (`POST /admin/reload`, SIGHUP, or a change of the
/// model or rules file). One reload at a time; a bundle that fails to load or to pass its checks is refused,
/// logged and counted, and the model already serving goes on serving.
public actor ModelReloader {
    public let models: ModelSwitch
    public let configuration: ServerConfiguration
    /// How the model files become a cascade (the tree stage by XGBoost unless a test injects another).
    public let loader: ModelLoader
    let metrics: ServerMetrics
    let logger: Logger
    /// Reloaded beside the serving model, when configured.
    let shadow: ShadowScoring?
    /// The A/B test's candidate, reloaded beside the serving model, when configured.
    let ab: ABTest?

    public init(
        models: ModelSwitch, configuration: ServerConfiguration, metrics: ServerMetrics, shadow: ShadowScoring? = nil, ab: ABTest? = nil,
        loader: ModelLoader = ModelLoader(trees: XGBoostTreeLoader()), logger: Logger
    ) {
        self.models = models
        self.loader = loader
        self.shadow = shadow
        self.ab = ab
        self.configuration = configuration
        self.metrics = metrics
        self.logger = logger
    }

    public struct Outcome: Sendable, Encodable {
        public var loaded: Bool
        public var modelVersion: String?
        public var previousVersion: String?
        public var error: String?
        public var milliseconds: Int
    }

    /// Loads the configured model and rules again and swaps them in when they pass (and the shadow model
    /// too, when one is configured: a shadow that does not load is logged and leaves the previous one).
    public func reload(trigger: String) -> Outcome {
        if let shadow, let path = configuration.shadowModel {
            do {
                let model = try ServingModel.load(ModelLoader.Source(model: path, rules: configuration.rules, noRules: configuration.noRules), with: loader)
                shadow.install(model)
                logger.notice("shadow model loaded", metadata: ["trigger": "\(trigger)", "model": "\(model.version)"])
            } catch {
                logger.error("shadow model refused", metadata: ["trigger": "\(trigger)", "error": "\(error)"])
            }
        }
        if let ab, let path = configuration.abModel {
            do {
                let model = try ServingModel.load(ModelLoader.Source(model: path, rules: configuration.rules, noRules: configuration.noRules), with: loader)
                ab.install(model)
                logger.notice("A/B candidate loaded", metadata: ["trigger": "\(trigger)", "model": "\(model.version)", "share": "\(ab.split.share)"])
            } catch {
                logger.error("A/B candidate refused", metadata: ["trigger": "\(trigger)", "error": "\(error)"])
            }
        }
        let clock = ContinuousClock()
        let start = clock.now
        let previous = models.model?.version
        func ms() -> Int { Int((clock.now - start).microseconds / 1_000) }
        do {
            let model = try ServingModel.load(configuration.modelSource, with: loader)
            models.install(model)
            metrics.modelServing(model)
            metrics.reloaded(success: true)
            logger.notice("model loaded", metadata: ["trigger": "\(trigger)", "model": "\(model.version)", "previous": "\(previous ?? "none")"])
            return Outcome(loaded: true, modelVersion: model.version, previousVersion: previous, milliseconds: ms())
        } catch {
            metrics.reloaded(success: false)
            logger.error("model reload refused", metadata: ["trigger": "\(trigger)", "error": "\(error)", "serving": "\(previous ?? "none")"])
            return Outcome(loaded: false, modelVersion: previous, previousVersion: previous, error: "\(error)", milliseconds: ms())
        }
    }
}

/// Reloads on SIGHUP, and when the model or rules file changes (checked every
/// ``ServerConfiguration/watchSeconds``: size, modification time and inode, so an atomic rename counts).
public struct ReloadTriggers: Service {
    let reloader: ModelReloader
    let configuration: ServerConfiguration

    public init(reloader: ModelReloader, configuration: ServerConfiguration) {
        self.reloader = reloader
        self.configuration = configuration
    }

    public func run() async throws {
        let signals = await UnixSignalsSequence(trapping: .sighup)
        try await withThrowingDiscardingTaskGroup { group in
            group.addTask {
                for await _ in signals.cancelOnGracefulShutdown() {
                    _ = await reloader.reload(trigger: "SIGHUP")
                }
            }
            let paths = [configuration.model, configuration.noRules ? nil : configuration.rules].compactMap { $0 }
            if configuration.watchSeconds > 0, !paths.isEmpty {
                group.addTask {
                    var last = paths.map(FileSignature.init(path:))
                    while !Task.isCancelled && !Task.isShuttingDownGracefully {
                        try? await Task.sleep(for: .milliseconds(Int(configuration.watchSeconds * 1000)))
                        let now = paths.map(FileSignature.init(path:))
                        if now != last {
                            last = now
                            _ = await reloader.reload(trigger: "file changed")
                        }
                    }
                }
            }
        }
    }
}

/// What tells that a file changed: its inode, size and modification time (nil fields: it is missing).
struct FileSignature: Equatable {
    var inode: UInt64?
    var size: UInt64?
    var modified: Date?

    init(path: String) {
        let attributes = try? FileManager.default.attributesOfItem(atPath: path)
        inode = (attributes?[.systemFileNumber] as? NSNumber)?.uint64Value
        size = (attributes?[.size] as? NSNumber)?.uint64Value
        modified = attributes?[.modificationDate] as? Date
    }
}
