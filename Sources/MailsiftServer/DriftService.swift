import Foundation
import Logging
import MailsiftCore
import Prometheus
import ServiceLifecycle
import Synchronization

/// The server's drift monitor (``DriftMonitor``): every verdict's score, tree row and missing fields go in; every
/// `drift_seconds` the current hour is compared with the hours before, the gauges `mailsift_drift_*` are set, and an
/// alarm that appears is logged (docs/operations.md; deploy/prometheus/mailsift-alerts.yml alerts on the gauges).
public final class DriftService: Service, Sendable {
    private let monitor: Mutex<DriftMonitor>
    private let seconds: Double
    let logger: Logger
    private let scorePSI: Gauge
    private let meanShift: Gauge
    private let meanShiftErrors: Gauge
    private let volumeRatio: Gauge
    private let alarms: Gauge
    private let columnPSIMax: Gauge
    private let columnPSI: [Gauge]
    private let missing: [DriftMonitor.Field: Gauge]
    private let lastAlarms = Mutex<Set<String>>([])

    public init(configuration: ServerConfiguration, registry: PrometheusCollectorRegistry, logger: Logger) {
        var c = DriftMonitor.Configuration()
        c.baselineHours = configuration.driftBaselineHours
        monitor = Mutex(DriftMonitor(configuration: c))
        seconds = configuration.driftSeconds
        self.logger = logger
        func d(_ name: String, _ unit: String, _ help: String) -> MetricNameDescriptor {
            MetricNameDescriptor(namespace: "mailsift", metricName: "drift_" + name, unitName: unit, helpText: help)
        }
        scorePSI = registry.makeGauge(descriptor: d("score", "psi", "Population stability index of this hour's scores against the baseline hours' (NaN until both have enough messages)"))
        meanShift = registry.makeGauge(descriptor: d("mean_score", "shift", "This hour's mean score relative to the baseline's, minus one"))
        meanShiftErrors = registry.makeGauge(descriptor: d("mean_score", "standard_errors", "The mean score's change in standard errors of the difference"))
        volumeRatio = registry.makeGauge(descriptor: d("volume", "ratio", "Messages this hour over the baseline's hourly mean"))
        alarms = registry.makeGauge(descriptor: d("alarms", "count", "Drift limits passed now (docs/operations.md)"))
        columnPSIMax = registry.makeGauge(descriptor: d("column_psi", "max", "The largest population stability index of a tree column this hour"))
        columnPSI = MetadataFeature.allCases.map { registry.makeGauge(descriptor: d("column", "psi", "Population stability index of a tree column this hour against the baseline"), labels: [("column", $0.name)]) }
        var missing: [DriftMonitor.Field: Gauge] = [:]
        for f in DriftMonitor.Field.allCases {
            missing[f] = registry.makeGauge(descriptor: d("missing", "share", "Share of this hour's messages without the field"), labels: [("field", f.rawValue)])
        }
        self.missing = missing
    }

    /// Records a verdict (at `time`, Unix seconds).
    public func record(probability: Double, row: [Float]?, missing: Set<DriftMonitor.Field>, at time: Int64) {
        monitor.withLock { $0.record(probability: probability, row: row, missing: missing, at: time) }
    }

    /// The comparison at `time`, without setting the gauges or logging (the dashboard's view).
    public func report(at time: Int64) -> DriftMonitor.Report { monitor.withLock { $0.report(at: time) } }

    /// Compares now, sets the gauges, logs alarms that were not there at the last check; returns the report.
    @discardableResult
    public func check(at time: Int64 = Int64(Date().timeIntervalSince1970)) -> DriftMonitor.Report {
        let r = monitor.withLock { $0.report(at: time) }
        scorePSI.set(r.scorePSI ?? .nan)
        meanShift.set(r.meanShift ?? .nan)
        meanShiftErrors.set(r.meanShiftErrors ?? .nan)
        volumeRatio.set(r.volumeRatio ?? .nan)
        alarms.set(Double(r.alarms.count))
        columnPSIMax.set(r.columnPSI.first?.psi ?? .nan)
        let byColumn = Dictionary(r.columnPSI.map { ($0.column, $0.psi) }, uniquingKeysWith: { a, _ in a })
        for (i, column) in MetadataFeature.allCases.enumerated() { columnPSI[i].set(byColumn[column] ?? .nan) }
        for (f, g) in missing { g.set(r.missing[f]?.current ?? .nan) }
        let now = Set(r.alarms)
        let new = lastAlarms.withLock { last in
            defer { last = now }
            return now.subtracting(last)
        }
        for alarm in new.sorted() { logger.warning("drift", metadata: ["alarm": "\(alarm)", "messages_this_hour": "\(r.current)"]) }
        return r
    }

    public func run() async throws {
        while !Task.isCancelled && !Task.isShuttingDownGracefully {
            try? await cancelWhenGracefulShutdown { try await Task.sleep(for: .milliseconds(Int(self.seconds * 1_000))) }
            check()
        }
    }
}
