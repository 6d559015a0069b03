import Prometheus
import Synchronization

/// A Prometheus info metric naming one version at a time (`mailsift_model_info{version="..."} 1`): setting
/// a new version removes the previous version's series.
final class VersionInfoGauge: Sendable {
    private let registry: PrometheusCollectorRegistry
    /// The metric's name (`mailsift_NAME_info`) and help text.
    private let name: String
    private let help: String
    private let current = Mutex<Gauge?>(nil)

    init(registry: PrometheusCollectorRegistry, name: String, help: String) {
        self.registry = registry
        self.name = name
        self.help = help
    }

    func set(version: String) {
        let gauge = registry.makeGauge(descriptor: ServerMetrics.descriptor(name, "info", help), labels: [("version", version)])
        gauge.set(to: 1)
        let old = current.withLock { g in
            defer { g = gauge }
            return g
        }
        if let old, old !== gauge { registry.unregisterGauge(old) }
    }
}
