import Synchronization

/// A circuit breaker around the model stages. Closed, it lets every request through and counts consecutive
/// failures; at `failureThreshold` it opens for `openDuration`, during which requests are answered without
/// the model; then it lets a single request try (half-open): a success closes it, a failure opens it again.
public final class CircuitBreaker: Sendable {
    public enum State: String, Sendable { case closed, open, halfOpen = "half_open" }

    private struct Inner {
        var state = State.closed
        var failures = 0
        var openedAt = ContinuousClock.Instant.now
        var probeInFlight = false
    }

    public let failureThreshold: Int
    public let openDuration: Duration
    private let inner = Mutex(Inner())

    public init(failureThreshold: Int, openDuration: Duration) {
        self.failureThreshold = failureThreshold
        self.openDuration = openDuration
    }

    public var state: State { inner.withLock { $0.state } }

    /// Whether a request may run the model stages now; an open breaker whose time is up lets exactly one
    /// through (`true` once), which must then report with ``record(success:now:)``.
    public func allows(now: ContinuousClock.Instant = .now) -> Bool {
        inner.withLock { s in
            switch s.state {
            case .closed:
                return true
            case .open:
                guard now - s.openedAt >= openDuration else { return false }
                s.state = .halfOpen
                s.probeInFlight = true
                return true
            case .halfOpen:
                if s.probeInFlight { return false }
                s.probeInFlight = true
                return true
            }
        }
    }

    /// Reports how a model call went. Returns the new state when it changed.
    @discardableResult
    public func record(success: Bool, now: ContinuousClock.Instant = .now) -> State? {
        inner.withLock { s in
            let before = s.state
            if success {
                s.failures = 0
                s.state = .closed
                s.probeInFlight = false
            } else {
                s.failures += 1
                if s.state == .halfOpen || s.failures >= failureThreshold {
                    s.state = .open
                    s.openedAt = now
                    s.probeInFlight = false
                }
            }
            return s.state == before ? nil : s.state
        }
    }
}
