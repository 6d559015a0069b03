/// Numbers in reasons' words, without `String(format:)` (which goes through CoreFoundation on Linux and cost
/// more than a classification when every tree column was worded).
enum Decimals {
    /// `x` with two decimals, as `%.2f` prints it (no sign on a value that rounds to zero).
    static func two(_ x: Double) -> String {
        guard x.isFinite, abs(x) < 1e15 else { return "\(x)" }
        let hundredths = Int((abs(x) * 100).rounded())
        let fraction = hundredths % 100
        return (x < 0 && hundredths > 0 ? "-" : "") + String(hundredths / 100) + "." + (fraction < 10 ? "0" : "") + String(fraction)
    }
}
