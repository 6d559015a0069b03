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

    /// The address as text, as `inet_ntop` writes it (IPv4 dotted, IPv6 in its shortest lower-case form).
    var text: String {
        if isV4 { return bytes[12...].map { String($0) }.joined(separator: ".") }
        var out = [CChar](repeating: 0, count: 64)
        var v6 = in6_addr()
        withUnsafeMutableBytes(of: &v6) { $0.copyBytes(from: bytes) }
        guard inet_ntop(AF_INET6, &v6, &out, socklen_t(out.count)) != nil else { return "" }
        return String(decoding: out.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
    }

    /// Whether this is an IPv4 address (stored IPv4-mapped).
    var isV4: Bool { bytes[0..<10].allSatisfy { $0 == 0 } && bytes[10] == 0xFF && bytes[11] == 0xFF }

    /// Whether the address can be a client on the Internet: not private (10/8, 172.16/12, 192.168/16,
    /// fc00::/7), loopback, link-local, shared (100.64/10), unspecified or multicast.
    var isPublic: Bool {
        let b = bytes
        if isV4 {
            switch (b[12], b[13]) {
            case (0, _), (10, _), (127, _), (169, 254), (192, 168): return false
            case (172, 16...31), (100, 64...127): return false
            case (224...255, _): return false
            default: return true
            }
        }
        if b.allSatisfy({ $0 == 0 }) || b[0..<15].allSatisfy({ $0 == 0 }) { return false }  // :: and ::1
        if b[0] & 0xFE == 0xFC || b[0] == 0xFF || (b[0] == 0xFE && b[1] & 0xC0 == 0x80) { return false }
        return true
    }
}

/// A CIDR block (`192.0.2.0/24`, `2001:db8::/32`) or one address.
struct IPNetwork: Sendable, Hashable {
    var base: IPAddress
    /// Prefix length over the 16-byte form.
    var prefix: Int

    init(base: IPAddress, prefix: Int) {
        self.base = base
        self.prefix = prefix
    }

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
