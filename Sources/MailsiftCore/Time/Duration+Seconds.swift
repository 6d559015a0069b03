extension Duration {
    /// The duration in seconds, as a Double (what evaluation runs, benchmarks and the server's timers report).
    public var seconds: Double { Double(components.seconds) + Double(components.attoseconds) / 1e18 }

    /// Whole microseconds (what the server's timings, logs and reload replies report).
    public var microseconds: Int64 { components.seconds * 1_000_000 + components.attoseconds / 1_000_000_000_000 }
}
