/// Extracts the host of a URL the way a browser would find it, including the tricks phishing uses:
/// user info before the host, percent-encoded hosts, backslashes, decimal and hex IP addresses.
public enum URLHost {
    public static func parse(_ url: String) -> (host: String, isIPLiteral: Bool, hasUserInfo: Bool) {
        var copy = url
        return copy.withUTF8 { parse(bytes: $0) }
    }

    static func parse(bytes u: UnsafeBufferPointer<UInt8>) -> (host: String, isIPLiteral: Bool, hasUserInfo: Bool) {
        let n = u.count
        var i = 0
        // Scheme.
        var j = 0
        while j < n, ASCII.isAlpha(u[j]) || ASCII.isDigit(u[j]) || u[j] == UInt8(ascii: "+") || u[j] == ASCII.hyphen || u[j] == UInt8(ascii: ".") { j += 1 }
        if j < n, u[j] == ASCII.colon, j > 0 {
            if j == 6, u.hasPrefixIgnoringCase("mailto", at: 0, end: n) {
                var at = n
                var k = j + 1
                while k < n, u[k] != ASCII.question { if u[k] == UInt8(ascii: "@") { at = k }; k += 1 }
                guard at < n else { return ("", false, false) }
                return (lowered(u, at + 1, k), false, false)
            }
            i = j + 1
        }
        while i < n, u[i] == UInt8(ascii: "/") || u[i] == ASCII.backslash { i += 1 }
        var end = i
        var at = -1
        while end < n {
            let c = u[end]
            if c == UInt8(ascii: "/") || c == ASCII.backslash || c == ASCII.question || c == UInt8(ascii: "#") { break }
            if c == UInt8(ascii: "@") { at = end }
            end += 1
        }
        let hasUserInfo = at >= 0
        let hostStart = hasUserInfo ? at + 1 : i
        var host = lowered(u, hostStart, end)
        if host.utf8.contains(UInt8(ascii: "%")) { host = percentDecode(host).lowercased() }
        if host.hasPrefix("[") {
            return (String(host.dropFirst().prefix { $0 != "]" }), true, hasUserInfo)
        }
        if let colon = host.utf8.lastIndex(of: ASCII.colon) { host = String(host[..<colon]) }
        while host.hasSuffix(".") { host.removeLast() }
        return (host, isIPHost(host), hasUserInfo)
    }

    private static func lowered(_ u: UnsafeBufferPointer<UInt8>, _ s: Int, _ e: Int) -> String {
        guard s < e else { return "" }
        let slice = UnsafeBufferPointer(rebasing: u[s..<e])
        if !slice.contains(where: { $0 >= 0x41 && $0 <= 0x5A || $0 >= 0x80 }) { return String(decoding: slice, as: UTF8.self) }
        return String(decoding: slice, as: UTF8.self).lowercased()
    }

    /// Dotted quads, a single decimal number, or hex/octal forms (`0x7f.1`), all of which browsers resolve.
    static func isIPHost(_ host: String) -> Bool {
        guard !host.isEmpty else { return false }
        var labels = 1
        var labelLength = 0
        var hex = false
        var previous: UInt8 = 0
        for b in host.utf8 {
            if b == UInt8(ascii: ".") {
                if labelLength == 0 || (hex && labelLength == 2) { return false }
                labels += 1
                labelLength = 0
                hex = false
            } else if labelLength == 1 && previous == UInt8(ascii: "0") && (b == UInt8(ascii: "x") || b == UInt8(ascii: "X")) {
                hex = true
                labelLength += 1
            } else if ASCII.isDigit(b) || (hex && ASCII.hexValue(b) != nil) {
                labelLength += 1
            } else {
                return false
            }
            previous = b
        }
        return labels <= 4 && labelLength > 0 && !(hex && labelLength == 2)
    }

    static func percentDecode(_ s: String) -> String {
        guard s.utf8.contains(UInt8(ascii: "%")) else { return s }
        var bytes: [UInt8] = []
        var u = Array(s.utf8)[...]
        while let b = u.popFirst() {
            if b == UInt8(ascii: "%"), u.count >= 2, let hi = ASCII.hexValue(u[u.startIndex]), let lo = ASCII.hexValue(u[u.startIndex + 1]) {
                bytes.append(hi << 4 | lo)
                u = u.dropFirst(2)
            } else {
                bytes.append(b)
            }
        }
        return String(decoding: bytes, as: UTF8.self)
    }
}
