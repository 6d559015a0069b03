extension Duration {
    /// Whole microseconds (what the server's timings, logs and reload replies report).
    var microseconds: Int64 { components.seconds * 1_000_000 + components.attoseconds / 1_000_000_000_000 }
}
