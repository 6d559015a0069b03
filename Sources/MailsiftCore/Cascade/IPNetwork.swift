#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

/// An IPv4 or IPv6 address as 16 bytes (IPv4 as an IPv4-mapped IPv6 address, `::ffff:a.b.c.d`).
struct IPAddress: Sendable, Hashable {
    var bytes: [UInt8]

    init?(_ text: String) {
        let t = text.trimmingBlanks()
        var v4 = in_addr()
        if inet_pton(AF_INET, t, &v4) == 1 {
            bytes = [UInt8](repeating: 0, count: 10) + [0xFF, 0xFF] + withUnsafeBytes(of: v4) { Array($0) }
            return
        }
        var v6 = in6_addr()
        guard inet_pton(AF_INET6, t, &v6) == 1 else { return nil }
        bytes = withUnsafeBytes(of: v6) { Array($0) }
    }
}

/// A CIDR block (`192.0.2.0/24`, `2001:db8::/32`) or one address.
struct IPNetwork: Sendable, Hashable {
    var base: IPAddress
    /// Prefix length over the 16-byte form.
    var prefix: Int

    init?(_ text: String) {
        let pieces = text.split(separator: "/", maxSplits: 1)
        guard let first = pieces.first, let base = IPAddress(String(first)) else { return nil }
        let isV4 = !first.contains(":")
        var prefix = 128
        if pieces.count == 2 {
            guard let n = Int(pieces[1]), n >= 0, n <= (isV4 ? 32 : 128) else { return nil }
            prefix = isV4 ? n + 96 : n
        }
        self.base = base
        self.prefix = prefix
    }

    func contains(_ ip: IPAddress) -> Bool {
        var bits = prefix
        for i in 0..<16 where bits > 0 {
            let mask: UInt8 = bits >= 8 ? 0xFF : ~(0xFF >> UInt8(bits))
            if ip.bytes[i] & mask != base.bytes[i] & mask { return false }
            bits -= 8
        }
        return true
    }
}
