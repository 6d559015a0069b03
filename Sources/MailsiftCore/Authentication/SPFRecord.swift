/// An SPF record parsed (RFC 7208 section 4.6 and 12): its directives in order and the `redirect` and `exp`
/// modifiers. Any syntax error anywhere makes the record a `permerror`, before any mechanism is evaluated.
struct SPFRecord {
    enum Mechanism {
        case all
        case include(String)
        case a(String?, v4: Int, v6: Int)
        case mx(String?, v4: Int, v6: Int)
        case ptr(String?)
        case ip4(IPNetwork)
        case ip6(IPNetwork)
        case exists(String)
    }

    struct Directive {
        var qualifier: SPFCheck.Result
        var mechanism: Mechanism
        /// The term as written, for the verdict's detail.
        var text: String
    }

    var directives: [Directive] = []
    var redirect: String?
    var explanation: String?

    /// Most terms read of one record.
    static let maximumTerms = 256

    init(parsing record: String) throws(SPFCheck.Run.Failure) {
        func bad(_ why: String) -> SPFCheck.Run.Failure { .init(result: .permerror, detail: why) }
        let terms = record.split(separator: " ", omittingEmptySubsequences: true).dropFirst()
        guard terms.count <= SPFRecord.maximumTerms else { throw bad("more than \(SPFRecord.maximumTerms) terms") }
        for raw in terms {
            let term = String(raw)
            guard term.utf8.allSatisfy({ $0 > 0x20 && $0 < 0x7F }) else { throw bad("a term with bytes SPF does not allow: \(term)") }
            // A modifier: name "=" macro-string, where the name comes before any ':' or '/'.
            if let eq = term.firstIndex(of: "="), !term[..<eq].contains(":"), !term[..<eq].contains("/") {
                let name = term[..<eq].lowercased()
                let value = String(term[term.index(after: eq)...])
                guard let first = name.utf8.first, ASCII.isAlpha(first),
                      name.utf8.allSatisfy({ ASCII.isAlpha($0) || ASCII.isDigit($0) || "-_.".utf8.contains($0) }) else { throw bad("bad modifier \(term)") }
                guard SPFRecord.isMacroString(value, explanation: false) else { throw bad("bad macro in \(term)") }
                switch name {
                case "redirect":
                    guard redirect == nil else { throw bad("two redirect modifiers") }
                    guard SPFRecord.isDomainSpec(value) else { throw bad("bad domain in \(term)") }
                    redirect = value
                case "exp":
                    guard explanation == nil else { throw bad("two exp modifiers") }
                    guard SPFRecord.isDomainSpec(value) else { throw bad("bad domain in \(term)") }
                    explanation = value
                default: break  // unknown modifiers are ignored (section 6)
                }
                continue
            }
            var body = Substring(term)
            var qualifier = SPFCheck.Result.pass
            switch body.first {
            case "+": qualifier = .pass; body = body.dropFirst()
            case "-": qualifier = .fail; body = body.dropFirst()
            case "~": qualifier = .softfail; body = body.dropFirst()
            case "?": qualifier = .neutral; body = body.dropFirst()
            default: break
            }
            let nameEnd = body.firstIndex { $0 == ":" || $0 == "/" } ?? body.endIndex
            let name = body[..<nameEnd].lowercased()
            let rest = body[nameEnd...]
            var argument: String? = nil
            var cidr = Substring("")
            if rest.hasPrefix(":") {
                let arg = rest.dropFirst()
                // The domain-spec ends where a dual CIDR starts (for a and mx: the last '/' that begins one).
                if name == "a" || name == "mx", let slash = SPFRecord.cidrStart(arg) {
                    argument = String(arg[..<slash])
                    cidr = arg[slash...]
                } else {
                    argument = String(arg)
                }
            } else {
                cidr = rest
            }
            let mechanism: Mechanism
            switch name {
            case "all":
                guard argument == nil, cidr.isEmpty else { throw bad("all takes nothing: \(term)") }
                mechanism = .all
            case "include", "exists":
                guard let argument, cidr.isEmpty, SPFRecord.isDomainSpec(argument) else { throw bad("bad domain in \(term)") }
                mechanism = name == "include" ? .include(argument) : .exists(argument)
            case "a", "mx":
                if let argument { guard SPFRecord.isDomainSpec(argument) else { throw bad("bad domain in \(term)") } }
                guard let (v4, v6) = SPFRecord.dualCIDR(cidr) else { throw bad("bad prefix length in \(term)") }
                mechanism = name == "a" ? .a(argument, v4: v4, v6: v6) : .mx(argument, v4: v4, v6: v6)
            case "ptr":
                if let argument { guard SPFRecord.isDomainSpec(argument) else { throw bad("bad domain in \(term)") } }
                guard cidr.isEmpty else { throw bad("ptr takes no prefix length: \(term)") }
                mechanism = .ptr(argument)
            case "ip4":
                guard let argument else { throw bad("ip4 needs an address: \(term)") }
                let pieces = argument.split(separator: "/", maxSplits: 1, omittingEmptySubsequences: false)
                guard SPFRecord.isDottedQuad(pieces[0]), let address = IPAddress(String(pieces[0])),
                      let length = pieces.count == 2 ? SPFRecord.length(pieces[1], max: 32) : 32 else { throw bad("bad ip4 network in \(term)") }
                mechanism = .ip4(IPNetwork(base: address, prefix: 96 + length))
            case "ip6":
                guard let argument else { throw bad("ip6 needs an address: \(term)") }
                let pieces = argument.split(separator: "/", maxSplits: 1, omittingEmptySubsequences: false)
                guard pieces[0].contains(":"), let address = IPAddress(String(pieces[0])),
                      let length = pieces.count == 2 ? SPFRecord.length(pieces[1], max: 128) : 128 else { throw bad("bad ip6 network in \(term)") }
                mechanism = .ip6(IPNetwork(base: address, prefix: length))
            default:
                throw bad("unknown mechanism \(term)")
            }
            directives.append(Directive(qualifier: qualifier, mechanism: mechanism, text: term))
        }
    }

    /// Where a dual CIDR (`/24`, `//64`, `/24//64`) starts at the end of an a or mx argument: the first `/` whose
    /// rest is one.
    static func cidrStart(_ s: Substring) -> Substring.Index? {
        s.indices.first { s[$0] == "/" && dualCIDR(s[$0...]) != nil }
    }

    /// `""`, `/n`, `//m` or `/n//m`: the IPv4 and IPv6 prefix lengths (32 and 128 when not given).
    static func dualCIDR(_ s: Substring) -> (Int, Int)? {
        if s.isEmpty { return (32, 128) }
        guard s.hasPrefix("/") else { return nil }
        let rest = s.dropFirst()
        if rest.hasPrefix("/") { return length(rest.dropFirst(), max: 128).map { (32, $0) } }
        guard let cut = rest.firstIndex(of: "/") else { return length(rest, max: 32).map { ($0, 128) } }
        let after = rest[cut...]
        guard after.hasPrefix("//"), let v4 = length(rest[..<cut], max: 32), let v6 = length(after.dropFirst(2), max: 128) else { return nil }
        return (v4, v6)
    }

    /// A prefix length without leading zeros, at most `max`.
    static func length(_ s: Substring, max: Int) -> Int? {
        guard !s.isEmpty, s.utf8.count <= 3, s.utf8.allSatisfy(ASCII.isDigit), s == "0" || !s.hasPrefix("0"), let n = Int(s), n <= max else { return nil }
        return n
    }

    static func isDottedQuad(_ s: Substring) -> Bool {
        let parts = s.split(separator: ".", omittingEmptySubsequences: false)
        return parts.count == 4 && parts.allSatisfy { p in
            !p.isEmpty && p.utf8.count <= 3 && p.utf8.allSatisfy(ASCII.isDigit) && (p == "0" || !p.hasPrefix("0")) && Int(p)! <= 255
        }
    }

    /// A domain-spec (section 7.1): a valid macro-string whose end is a macro or a top label (letters, digits and
    /// inner hyphens, not all digits).
    static func isDomainSpec(_ s: String) -> Bool {
        guard !s.isEmpty, isMacroString(s, explanation: false) else { return false }
        if s.hasSuffix("}") { return true }
        var name = Substring(s)
        if name.hasSuffix(".") { name = name.dropLast() }
        guard let dot = name.lastIndex(of: ".") else { return false }
        let top = name[name.index(after: dot)...]
        return !top.isEmpty && top.utf8.allSatisfy({ ASCII.isAlpha($0) || ASCII.isDigit($0) || $0 == ASCII.hyphen })
            && top.utf8.contains(where: ASCII.isAlpha) && !top.hasPrefix("-") && !top.hasSuffix("-")
    }

    /// Whether every `%` in `s` starts a valid macro (section 7.1).
    static func isMacroString(_ s: String, explanation: Bool) -> Bool {
        let u = Array(s.utf8)
        var i = 0
        while i < u.count {
            guard u[i] == UInt8(ascii: "%") else { i += 1; continue }
            guard i + 1 < u.count else { return false }
            if "%_-".utf8.contains(u[i + 1]) { i += 2; continue }
            guard u[i + 1] == UInt8(ascii: "{"), i + 2 < u.count, let close = u[(i + 2)...].firstIndex(of: UInt8(ascii: "}")) else { return false }
            let letter = u[i + 2] | 0x20
            guard "slodiphv".utf8.contains(letter) || (explanation && "crt".utf8.contains(letter)) else { return false }
            var j = i + 3
            while j < close, ASCII.isDigit(u[j]) { j += 1 }
            if j < close, u[j] | 0x20 == UInt8(ascii: "r") { j += 1 }
            while j < close, ".-+,/_=".utf8.contains(u[j]) { j += 1 }
            guard j == close else { return false }
            i = close + 1
        }
        return true
    }
}
