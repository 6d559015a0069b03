import Hummingbird
import Logging
import MailsiftCore
import MailsiftEncoder
import MailsiftFiles
import MailsiftTrees
import MailsiftRedis
import Metrics
import NIOCore
import NIOPosix
import Prometheus
import ServiceLifecycle
import UnixSignals

/// `mailsift serve`, assembled: the classification service and its model switch, the HTTP API, the spamd
/// listener, the reload triggers, and the service group that runs them and shuts them down gracefully on
/// SIGTERM or SIGINT (requests in flight finish first).
public struct Server: Sendable {
    public let configuration: ServerConfiguration
    public let logger: Logger
    public let metrics: ServerMetrics
    public let service: ClassificationService
    public let reloader: ModelReloader
    public let api: HTTPAPI

    /// `learning` brings the data directory's store (``OnlineLearning/open(configuration:metrics:logger:)``);
    /// without it the sender state lives in memory and feedback is refused.
    public init(
        configuration: ServerConfiguration, model: ServingModel? = nil, learning: OnlineLearning? = nil, logger: Logger,
        metrics: ServerMetrics = ServerMetrics()
    ) {
        self.configuration = configuration
        self.logger = logger
        self.metrics = metrics
        let models = ModelSwitch(model)
        service = ClassificationService(models: models, configuration: configuration, metrics: metrics, learning: learning, logger: logger)
        reloader = ModelReloader(
            models: models, configuration: configuration, metrics: metrics, shadow: service.shadow, ab: service.ab, loader: Server.loader(configuration, logger: logger),
            logger: logger)
        api = HTTPAPI(service: service, reloader: reloader)
    }

    /// The model loader: trees by XGBoost, and the transformer stage's encoder (loaded once, when the first model
    /// with the stage loads) unless `transformer` is off.
    static func loader(_ c: ServerConfiguration, logger: Logger) -> ModelLoader {
        guard c.transformer else { return ModelLoader(trees: XGBoostTreeLoader()) }
        let provider = EncoderProvider(
            configured: c.transformerEncoder, precision: BertEncoder.Precision(rawValue: c.transformerPrecision) ?? .fp32,
            log: { logger.warning("\($0)") })
        let encoder: @Sendable (ModelBundle) -> (any SentenceEncoder)? = { provider.encoder(for: $0) }
        return ModelLoader(trees: XGBoostTreeLoader(), encoder: encoder)
    }

    /// The server of a process (`serve`, `worker`): process logging and metrics bootstrapped, and the
    /// configured stores opened (``OnlineLearning/open(configuration:metrics:logger:)``).
    public static func open(configuration c: ServerConfiguration) async throws -> Server {
        let metrics = ServerMetrics()
        let logger = bootstrapProcess(configuration: c, registry: metrics.registry)
        let learning = try await OnlineLearning.open(configuration: c, metrics: LearningMetrics(registry: metrics.registry), logger: logger)
        return Server(configuration: c, learning: learning, logger: logger, metrics: metrics)
    }

    /// The HTTP application (also what the tests drive in-process).
    public func application(onServerRunning: @escaping @Sendable (any Channel) async -> Void = { _ in }) -> some ApplicationProtocol {
        let router = api.router()
        router.add(middleware: MetricsMiddleware())
        return Application(
            router: router,
            server: GuardedHTTP1Channel.builder(
                idleTimeout: .seconds(Int64(configuration.requestTimeoutSeconds)), connection: configuration.connectionLimits,
                request: .init(maxBodyBytes: max(configuration.maxMessageBytes, configuration.maxBatchBytes)), clients: ClientConnections(),
                metrics: metrics),
            configuration: .init(address: .hostname(configuration.host, port: configuration.port), serverName: "Mailsift"),
            onServerRunning: onServerRunning,
            logger: logger
        )
    }

    /// Loads the model (readiness turns on when it is in), starts every listener, and runs until SIGTERM or
    /// SIGINT. A model that cannot be loaded at start stops the server with the reason.
    public func run() async throws {
        // The learning loop first: a group stops its services in reverse order, so it flushes after the listeners are done.
        var services: [any Service] = [service.learning, service.fuzzy, service.drift, application(), ReloadTriggers(reloader: reloader, configuration: configuration)]
        if let port = configuration.spamdPort {
            services.append(SpamdServer(service: service, host: configuration.host, port: port))
        }
        if let port = configuration.milterPort {
            services.append(MilterServer(service: service, host: configuration.host, port: port))
        }
        if service.models.model == nil {
            services.append(InitialLoad(reloader: reloader))
        }
        let group = ServiceGroup(configuration: .init(
            services: services.map { .init(service: $0, successTerminationBehavior: .ignore) }, gracefulShutdownSignals: [.sigterm, .sigint], logger: logger))
        try await group.run()
    }

    /// `mailsift worker`: loads the model, then classifies from the Redis streams (``StreamWorker``) until
    /// SIGTERM or SIGINT, with the learning loop and the reload triggers of the server but no listener.
    public func runStreamWorker(_ settings: StreamWorker.Settings) async throws {
        guard let url = configuration.redisURL else { throw StartError(reason: "the worker needs Redis: set redis_url (--redis)") }
        let client = try RedisClient(url: url, timeout: .seconds(5))
        if service.models.model == nil {
            let outcome = await reloader.reload(trigger: "start")
            guard outcome.loaded else { throw StartError(reason: outcome.error ?? "the model did not load") }
        }
        let worker = StreamWorker(service: service, client: client, settings: settings, logger: logger)
        let services: [any Service] = [service.learning, ReloadTriggers(reloader: reloader, configuration: configuration), worker]
        let group = ServiceGroup(configuration: .init(
            services: services.map { .init(service: $0, successTerminationBehavior: .gracefullyShutdownGroup) },
            gracefulShutdownSignals: [.sigterm, .sigint], logger: logger))
        try await group.run()
        client.close()
    }

    /// Loads the model once at start; fails (stopping the server) when it cannot.
    struct InitialLoad: Service {
        let reloader: ModelReloader

        func run() async throws {
            let outcome = await reloader.reload(trigger: "start")
            guard outcome.loaded else { throw StartError(reason: outcome.error ?? "the model did not load") }
            try? await gracefulShutdown()
        }
    }

    public struct StartError: Error, CustomStringConvertible {
        public var reason: String
        public var description: String { "mailsift serve: \(reason)" }
    }

    /// The process-wide parts: JSON logs at the configured level, and swift-metrics reporting into the same
    /// Prometheus registry as the server's own metrics (Hummingbird's per-route request metrics).
    /// With ``ServerConfiguration/nioExecutor``, Swift concurrency's tasks run on SwiftNIO's event loops from
    /// here on. Call once per process, before the server starts.
    public static func bootstrapProcess(configuration: ServerConfiguration, registry: PrometheusCollectorRegistry) -> Logger {
        let level = Logger.Level(rawValue: configuration.logLevel) ?? .info
        LoggingSystem.bootstrap { label in JSONLogHandler(label: label, level: level) }
        MetricsSystem.bootstrap(PrometheusMetricsFactory(registry: registry))
        var logger = Logger(label: "mailsift")
        logger.logLevel = level
        if configuration.nioExecutor {
            let installed = NIOSingletons.unsafeTryInstallSingletonPosixEventLoopGroupAsConcurrencyGlobalExecutor()
            logger.info("executor", metadata: ["tasks_on": .string(installed ? "nio event loops" : "swift concurrency pool")])
        }
        return logger
    }
}
