/// Extracts the host of a URL the way a browser would find it, including the tricks phishing uses:
/// user info before the host, percent-encoded hosts, backslashes, decimal and hex IP addresses.
public enum URLHost {
    public static func parse(_ url: String) -> (host: String, isIPLiteral: Bool, hasUserInfo: Bool) {
        var s = Substring(url)
        if let colon = s.firstIndex(of: ":"), s[..<colon].allSatisfy({ $0.isLetter || $0 == "+" || $0 == "-" || $0 == "." }) {
            let scheme = s[..<colon].lowercased()
            if scheme == "mailto" {
                let addr = s[s.index(after: colon)...]
                let domain = addr.split(separator: "@").last.map { $0.prefix { $0 != "?" } } ?? ""
                return (domain.lowercased(), false, false)
            }
            s = s[s.index(after: colon)...]
        }
        while let f = s.first, f == "/" || f == "\\" { s = s.dropFirst() }
        let authority = s.prefix { $0 != "/" && $0 != "\\" && $0 != "?" && $0 != "#" }
        var host = authority
        var hasUserInfo = false
        if let at = authority.lastIndex(of: "@") {
            hasUserInfo = true
            host = authority[authority.index(after: at)...]
        }
        var hostText = percentDecode(String(host))
        if hostText.hasPrefix("[") {
            let inner = hostText.dropFirst().prefix { $0 != "]" }
            return (inner.lowercased(), true, hasUserInfo)
        }
        if let colon = hostText.lastIndex(of: ":") { hostText = String(hostText[..<colon]) }
        while hostText.hasSuffix(".") { hostText.removeLast() }
        let lower = hostText.lowercased()
        return (lower, isIPHost(lower), hasUserInfo)
    }

    /// Dotted quads, a single decimal number, or hex/octal forms (`0x7f.1`), all of which browsers resolve.
    static func isIPHost(_ host: String) -> Bool {
        guard !host.isEmpty else { return false }
        let labels = host.split(separator: ".", omittingEmptySubsequences: false)
        guard labels.count <= 4 else { return false }
        return labels.allSatisfy { label in
            guard !label.isEmpty else { return false }
            if label.hasPrefix("0x") { return label.count > 2 && label.dropFirst(2).allSatisfy(\.isHexDigit) }
            return label.allSatisfy { $0.isASCII && $0.isNumber }
        }
    }

    static func percentDecode(_ s: String) -> String {
        guard s.contains("%") else { return s }
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
