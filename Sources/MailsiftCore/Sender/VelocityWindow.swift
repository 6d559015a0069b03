/// The sliding windows sender velocity is counted over. Each is kept as ``buckets`` buckets of
/// ``bucketSeconds`` seconds, aligned to multiples of the bucket width (see ``SlidingWindowCounter`` for the
/// accuracy this gives).
public enum VelocityWindow: Int, CaseIterable, Sendable, Codable {
    case minute, hour, day

    /// The window's length.
    public var seconds: Int64 {
        switch self {
        case .minute: 60
        case .hour: 3_600
        case .day: 86_400
        }
    }

    /// How many buckets the window is kept in.
    public var buckets: Int {
        switch self {
        case .minute, .hour: 12
        case .day: 24
        }
    }

    /// One bucket's width: 5 s, 5 min and 1 h.
    public var bucketSeconds: Int64 { seconds / Int64(buckets) }

    /// The index of the bucket holding `time` (Unix seconds): `floor(time / bucketSeconds)`.
    public func bucket(at time: Int64) -> Int64 { SlidingWindowCounter.floorDiv(time, bucketSeconds) }

    public var name: String {
        switch self {
        case .minute: "minute"
        case .hour: "hour"
        case .day: "day"
        }
    }
}
