/// An A/B test's assignment: a recipient is in the candidate's arm when a stable hash of its address falls below the
/// candidate's share, so one recipient always gets the same model (their mail is judged consistently, and their
/// feedback speaks for one arm) and the arms hold the configured shares of recipients.
public struct TrafficSplit: Sendable, Hashable {
    public enum Arm: String, Sendable, Hashable, CaseIterable {
        case control, candidate
    }

    /// The candidate's share of recipients, in [0, 1].
    public var share: Double
    /// Changes which recipients fall in which arm (a new test, the same share).
    public var salt: UInt64

    public init(share: Double, salt: UInt64 = 0) {
        self.share = min(1, max(0, share))
        self.salt = salt
    }

    /// The arm of `recipient` (lower-cased first); a message without one is in the control arm.
    public func arm(_ recipient: String?) -> Arm {
        guard let recipient, !recipient.isEmpty, share > 0 else { return .control }
        return Self.unit(recipient.lowercased(), salt: salt) < share ? .candidate : .control
    }

    /// A recipient's place in [0, 1): FNV-1a of its bytes, then SplitMix64's finaliser (``CampaignFingerprint/mix(_:)``;
    /// FNV alone leaves the high bits of similar addresses alike).
    static func unit(_ s: String, salt: UInt64) -> Double {
        var h: UInt64 = 0xCBF2_9CE4_8422_2325 ^ salt
        for b in s.utf8 {
            h ^= UInt64(b)
            h = h &* 0x0000_0100_0000_01B3
        }
        return Double(CampaignFingerprint.mix(h) >> 11) / Double(1 << 53)
    }
}
