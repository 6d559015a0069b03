import Synchronization

/// What is learned once and used again (the authentication checks' parsed records, keys and outcomes, libpsl's
/// answers, the analyses of ``AnalysisCache``), shared between threads and bounded: past ``capacity`` entries it starts again, so a stream of new names costs memory once.
/// Entries may carry an expiry; an expired entry is a miss. Inlinable, so that users in other modules (`LibPSL`,
/// asked for every domain a message names) get code specialised to their types, not generic code that looks up
/// type metadata on every call (6% of `bench classify` when it was not).
public final class BoundedCache<Key: Hashable & Sendable, Value: Sendable>: Sendable {
    @usableFromInline let entries = Mutex<[Key: (value: Value, until: ContinuousClock.Instant?)]>([:])
    public let capacity: Int

    @inlinable public init(capacity: Int) { self.capacity = capacity }

    /// The value kept for `key`, if it has not expired by `now`.
    @inlinable public func value(_ key: Key, now: ContinuousClock.Instant? = nil) -> Value? {
        entries.withLock { e in
            guard let hit = e[key] else { return nil }
            if let until = hit.until, let now, until <= now {
                e[key] = nil
                return nil
            }
            return hit.value
        }
    }

    /// Keeps `value` for `key`, until `until` when given.
    @inlinable public func keep(_ value: Value, for key: Key, until: ContinuousClock.Instant? = nil) {
        entries.withLock { e in
            if e.count >= capacity { e.removeAll(keepingCapacity: true) }
            e[key] = (value, until)
        }
    }

    /// The value kept for `key`, else `make(key)`, kept.
    @inlinable public func value(_ key: Key, making make: (Key) -> Value) -> Value {
        if let known = value(key) { return known }
        let made = make(key)
        keep(made, for: key)
        return made
    }
}
