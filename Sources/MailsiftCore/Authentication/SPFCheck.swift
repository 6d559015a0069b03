/// SPF (RFC 7208): whether the client at an IP address may send mail for the envelope sender's (or the HELO name's)
/// domain, by the domain's published record. Every mechanism and modifier, macros, include and redirect, the limits
/// of section 4.6.4 (10 lookups that reach DNS, 2 void lookups, 10 MX and PTR names each) and the `exp` explanation.
/// DNS comes through the ``DNSResolver`` port; `deadline` bounds the whole check: a lookup not answered by then makes
/// the result `temperror`. Checked against the RFC 7208 test suite (docs/authentication.md).
public struct SPFCheck: Sendable {
    public enum Result: String, Sendable, Hashable, Codable, CaseIterable {
        case none, neutral, pass, fail, softfail, temperror, permerror
    }

    public struct Outcome: Sendable, Hashable {
        public var result: Result
        /// The domain whose record decided (the sender's, or the HELO name's).
        public var domain: String
        /// The mechanism that matched (`ip4:192.0.2.0/24`, `-all`...), or why it is an error.
        public var detail: String
        /// The explanation a `fail` carries (`exp=`), expanded.
        public var explanation: String?
        /// DNS lookups made.
        public var lookups: Int
    }

    public let resolver: any DNSResolver
    /// This host's name, for the `%{r}` macro.
    public var receiver = "unknown"
    /// Seconds since 1970, for `%{t}`.
    public var now: Int64 = 0
    public var maximumLookups = 10
    public var maximumVoidLookups = 2
    /// Most TXT bytes read of one record.
    static let maximumRecordBytes = 4096

    /// Records parsed before (or their syntax errors), by their text: most mail comes from a few senders, whose
    /// records are parsed once.
    let records = BoundedCache<String, Swift.Result<SPFRecord, Run.Failure>>(capacity: 10_000)
    /// Outcomes of checks that read no macro and whose lookups all answered, by `address domain`, for as long as the
    /// DNS answers they read may be kept (their smallest TTL, at most ``longestKept`` seconds): a sender's servers
    /// send many messages. Macros read the local part, the HELO name or the time, so such outcomes are not kept.
    let outcomes = BoundedCache<String, Outcome>(capacity: 10_000)
    static let longestKept: UInt32 = 3600

    public init(resolver: any DNSResolver) { self.resolver = resolver }

    /// `check_host()` for a message: the MAIL FROM identity when there is one (else `postmaster@` the HELO name).
    public func check(ip: String, mailFrom: String?, helo: String, deadline: ContinuousClock.Instant) async -> Outcome {
        var sender = (mailFrom ?? "").trimmingBlanks()
        if sender.hasPrefix("<") && sender.hasSuffix(">") { sender = String(sender.dropFirst().dropLast()) }
        if sender.isEmpty { sender = "postmaster@" + helo }
        var local = "postmaster", domain = sender
        if let at = sender.lastIndex(of: "@") {
            local = String(sender[..<at])
            domain = String(sender[sender.index(after: at)...])
            if local.isEmpty { local = "postmaster" }
        }
        guard let address = IPAddress(ip) else {
            return Outcome(result: .permerror, domain: domain, detail: "not an IP address", explanation: nil, lookups: 0)
        }
        guard SPFCheck.isValidDomain(domain) else {
            return Outcome(result: .none, domain: domain, detail: "not a domain name", explanation: nil, lookups: 0)
        }
        let key = address.text + " " + domain.fastLowercased()
        let now = ContinuousClock.now
        if let cached = outcomes.value(key, now: now) { return cached }
        var run = Run(check: self, ip: address, sender: local + "@" + domain, local: local, senderDomain: domain, helo: helo, deadline: deadline)
        let (result, detail) = await run.checkHost(domain: domain, depth: 0)
        let outcome = Outcome(result: result, domain: domain, detail: detail, explanation: run.explanation, lookups: run.lookups)
        if !run.readMacro, !run.lookupFailed, result != .temperror, run.ttl > 0 {
            outcomes.keep(outcome, for: key, until: now + .seconds(Int(min(run.ttl, SPFCheck.longestKept))))
        }
        return outcome
    }

    /// A name SPF can look up: labels of 1 to 63 bytes, at least two of them, 253 bytes at most.
    public static func isValidDomain(_ name: String) -> Bool {
        var u = name.utf8[...]
        if u.last == UInt8(ascii: ".") { u = u.dropLast() }
        guard u.count <= 253 else { return false }
        var labels = 0, length = 0
        for b in u {
            if b == UInt8(ascii: ".") {
                guard (1...63).contains(length) else { return false }
                labels += 1
                length = 0
            } else {
                length += 1
            }
        }
        return (1...63).contains(length) && labels >= 1
    }

    // MARK: - One evaluation

    struct Run {
        let check: SPFCheck
        let ip: IPAddress
        let sender: String
        let local: String
        let senderDomain: String
        let helo: String
        let deadline: ContinuousClock.Instant
        var lookups = 0
        var voidLookups = 0
        var explanation: String?
        /// What the outcome depended on besides the address and the domain, for the outcome cache.
        var readMacro = false
        var lookupFailed = false
        /// The smallest TTL of the answers read (negative answers count 60 seconds, as the resolver keeps them).
        var ttl = UInt32.max

        /// Every DNS query of a check goes through here, so the outcome cache knows how long its answers hold.
        mutating func ask(_ name: String, _ type: DNSRecordType) async -> DNSAnswer {
            let answer = await check.resolver.query(name, type, deadline: deadline)
            switch answer {
            case .records(_, let seconds): ttl = min(ttl, seconds)
            case .noData, .nameError: ttl = min(ttl, 60)
            case .serverFailure, .timeout: lookupFailed = true
            }
            return answer
        }

        struct Failure: Error {
            var result: Result
            var detail: String
        }

        /// A lookup that counts toward the limit of 10.
        mutating func countLookup() throws(Failure) {
            lookups += 1
            if lookups > check.maximumLookups { throw Failure(result: .permerror, detail: "more than \(check.maximumLookups) DNS lookups") }
        }

        /// Queries DNS; temporary failures end the check with `temperror`, and void answers count.
        mutating func query(_ name: String, _ type: DNSRecordType, countsVoid: Bool = true) async throws(Failure) -> [DNSRecord] {
            let answer = await ask(name, type)
            if answer.isTemporaryFailure { throw Failure(result: .temperror, detail: "DNS \(answer == .timeout ? "timeout" : "failure") for \(name) \(type.rawValue)") }
            let records = answer.records
            if records.isEmpty && countsVoid {
                voidLookups += 1
                if voidLookups > check.maximumVoidLookups { throw Failure(result: .permerror, detail: "more than \(check.maximumVoidLookups) void lookups") }
            }
            return records
        }

        mutating func checkHost(domain: String, depth: Int) async -> (Result, String) {
            do throws(Failure) {
                return try await evaluate(domain: domain, depth: depth)
            } catch {
                return (error.result, error.detail)
            }
        }

        mutating func evaluate(domain: String, depth: Int) async throws(Failure) -> (Result, String) {
            guard SPFCheck.isValidDomain(domain) else { return (.none, "not a domain name: \(domain)") }
            let answer = await ask(domain, .txt)
            if answer.isTemporaryFailure { throw Failure(result: .temperror, detail: "DNS failure for \(domain) TXT") }
            let spf = answer.records.compactMap(\.text).filter(SPFCheck.isSPFRecord)
            guard !spf.isEmpty else { return (.none, "no SPF record at \(domain)") }
            guard spf.count == 1 else { throw Failure(result: .permerror, detail: "\(spf.count) SPF records at \(domain)") }
            let text = String(decoding: spf[0].prefix(SPFCheck.maximumRecordBytes), as: UTF8.self)
            let record = try check.records.value(text) { text in
                do throws(Failure) { return .success(try SPFRecord(parsing: text)) } catch { return .failure(error) }
            }.get()
            for directive in record.directives {
                if try await matches(directive.mechanism, domain: domain, depth: depth) {
                    let result = directive.qualifier
                    if result == .fail, depth == 0, let exp = record.explanation { explanation = await explain(exp, domain: domain) }
                    return (result, directive.text)
                }
            }
            if let redirect = record.redirect {
                try countLookup()
                let target = try await expandDomain(redirect, domain: domain)
                let (result, detail) = try await evaluate(domain: target, depth: depth)
                return (result == .none ? .permerror : result, result == .none ? "redirect to \(target) without a record" : detail)
            }
            return (.neutral, "no mechanism matched")
        }

        mutating func matches(_ mechanism: SPFRecord.Mechanism, domain: String, depth: Int) async throws(Failure) -> Bool {
            switch mechanism {
            case .all:
                return true
            case .ip4(let network):
                return ip.isV4 && network.contains(ip)
            case .ip6(let network):
                return !ip.isV4 && network.contains(ip)
            case .a(let spec, let v4, let v6):
                try countLookup()
                let target = try await expandDomain(spec, domain: domain)
                return try await addresses(of: target, countsVoid: true).contains { network(around: $0, v4, v6).contains(ip) }
            case .mx(let spec, let v4, let v6):
                try countLookup()
                let target = try await expandDomain(spec, domain: domain)
                let exchanges = try await query(target, .mx)
                if exchanges.count > 10 { throw Failure(result: .permerror, detail: "more than 10 MX names for \(target)") }
                for case .mx(_, let host) in exchanges where !host.isEmpty && host != "." {
                    if try await addresses(of: host, countsVoid: true).contains(where: { network(around: $0, v4, v6).contains(ip) }) { return true }
                }
                return false
            case .ptr(let spec):
                try countLookup()
                let target = try await expandDomain(spec, domain: domain)
                return try await validatedNames(countsVoid: true).contains { SPFCheck.isSameOrSubdomain($0, of: target) }
            case .include(let spec):
                try countLookup()
                let target = try await expandDomain(spec, domain: domain)
                guard depth < 20 else { throw Failure(result: .permerror, detail: "include loop") }
                let (result, detail) = try await evaluate(domain: target, depth: depth + 1)
                switch result {
                case .pass: return true
                case .fail, .softfail, .neutral: return false
                case .temperror: throw Failure(result: .temperror, detail: detail)
                case .permerror, .none: throw Failure(result: .permerror, detail: "include:\(target): \(result.rawValue)")
                }
            case .exists(let spec):
                try countLookup()
                let target = try await expandDomain(spec, domain: domain)
                return try await !query(target, .a).isEmpty
            }
        }

        func network(around address: IPAddress, _ v4: Int, _ v6: Int) -> IPNetwork {
            IPNetwork(base: address, prefix: address.isV4 ? 96 + v4 : v6)
        }

        /// The A or AAAA records of `host`, as the client's address family asks.
        mutating func addresses(of host: String, countsVoid: Bool) async throws(Failure) -> [IPAddress] {
            guard SPFCheck.isValidDomain(host) else { return [] }
            let records = try await query(host, ip.isV4 ? .a : .aaaa, countsVoid: countsVoid)
            return records.compactMap { if case .address(let a) = $0 { IPAddress(a) } else { nil } }
        }

        /// The client's validated names (section 5.5): its PTR names whose A or AAAA records include it, at most 10.
        mutating func validatedNames(countsVoid: Bool) async throws(Failure) -> [String] {
            let answer = await ask(SPFCheck.reverseName(ip), .ptr)
            if answer.isTemporaryFailure { return [] }
            if answer.records.isEmpty && countsVoid {
                voidLookups += 1
                if voidLookups > check.maximumVoidLookups { throw Failure(result: .permerror, detail: "more than \(check.maximumVoidLookups) void lookups") }
            }
            var out: [String] = []
            for case .ptr(let name) in answer.records.prefix(10) {
                let a = await ask(name, ip.isV4 ? .a : .aaaa)
                if a.records.contains(where: { if case .address(let s) = $0 { IPAddress(s) == ip } else { false } }) { out.append(name) }
            }
            return out
        }

        // MARK: Macros (section 7)

        mutating func expandDomain(_ spec: String?, domain: String) async throws(Failure) -> String {
            guard let spec else { return domain }
            var name = try await expand(spec, domain: domain, explanation: false)
            if name.hasSuffix(".") { name.removeLast() }
            // Longer than 253 bytes: labels go from the left until it fits (section 7.3).
            while name.utf8.count > 253, let dot = name.firstIndex(of: ".") { name = String(name[name.index(after: dot)...]) }
            return name
        }

        mutating func expand(_ s: String, domain: String, explanation: Bool) async throws(Failure) -> String {
            let u = Array(s.utf8)
            var out: [UInt8] = []
            var i = 0
            while i < u.count {
                guard u[i] == UInt8(ascii: "%") else { out.append(u[i]); i += 1; continue }
                guard i + 1 < u.count else { throw Failure(result: .permerror, detail: "bad macro in \(s)") }
                switch u[i + 1] {
                case UInt8(ascii: "%"): out.append(UInt8(ascii: "%")); i += 2; continue
                case UInt8(ascii: "_"): out.append(UInt8(ascii: " ")); i += 2; continue
                case UInt8(ascii: "-"): out += Array("%20".utf8); i += 2; continue
                case UInt8(ascii: "{"): break
                default: throw Failure(result: .permerror, detail: "bad macro in \(s)")
                }
                guard let close = u[(i + 2)...].firstIndex(of: UInt8(ascii: "}")), close > i + 2 else {
                    throw Failure(result: .permerror, detail: "bad macro in \(s)")
                }
                let body = Array(u[(i + 2)..<close])
                out += Array(try await macro(body, domain: domain, explanation: explanation).utf8)
                i = close + 1
            }
            return String(decoding: out, as: UTF8.self)
        }

        mutating func macro(_ body: [UInt8], domain: String, explanation: Bool) async throws(Failure) -> String {
            readMacro = true
            let bad = Failure(result: .permerror, detail: "bad macro %{\(String(decoding: body, as: UTF8.self))}")
            let letter = body[0]
            let lower = letter | 0x20
            var value: String
            switch lower {
            case UInt8(ascii: "s"): value = sender
            case UInt8(ascii: "l"): value = local
            case UInt8(ascii: "o"): value = senderDomain
            case UInt8(ascii: "d"): value = domain
            case UInt8(ascii: "i"): value = SPFCheck.dotted(ip)
            case UInt8(ascii: "v"): value = ip.isV4 ? "in-addr" : "ip6"
            case UInt8(ascii: "h"): value = helo
            case UInt8(ascii: "p"): value = "unknown"
            case UInt8(ascii: "c") where explanation: value = ip.text
            case UInt8(ascii: "r") where explanation: value = check.receiver
            case UInt8(ascii: "t") where explanation: value = String(check.now)
            default: throw bad
            }
            if lower == UInt8(ascii: "p") {
                // Discouraged, but defined: a validated name in the domain, else any, else "unknown" (section 7.3).
                let names = (try? await validatedNames(countsVoid: false)) ?? []
                value = names.first { SPFCheck.isSameOrSubdomain($0, of: domain) } ?? names.first ?? "unknown"
            }
            var j = 1
            var digits = 0
            var sawDigits = false
            while j < body.count, ASCII.isDigit(body[j]) { digits = digits * 10 + Int(body[j] - 48); sawDigits = true; j += 1; if digits > 1000 { throw bad } }
            if sawDigits && digits == 0 { throw bad }
            var reverse = false
            if j < body.count, body[j] | 0x20 == UInt8(ascii: "r") { reverse = true; j += 1 }
            var delimiters: Set<UInt8> = []
            while j < body.count {
                guard ".-+,/_=".utf8.contains(body[j]) else { throw bad }
                delimiters.insert(body[j])
                j += 1
            }
            if delimiters.isEmpty { delimiters = [UInt8(ascii: ".")] }
            if sawDigits || reverse || delimiters != [UInt8(ascii: ".")] {
                var parts = value.utf8.split(omittingEmptySubsequences: false, whereSeparator: { delimiters.contains($0) }).map { String(decoding: $0, as: UTF8.self) }
                if reverse { parts.reverse() }
                if sawDigits && digits < parts.count { parts = Array(parts.suffix(digits)) }
                value = parts.joined(separator: ".")
            }
            if letter != lower { value = SPFCheck.urlEncoded(value) }
            return value
        }

        /// The `exp=` text, expanded; nil when it cannot be had (section 6.2: errors give no explanation).
        mutating func explain(_ spec: String, domain: String) async -> String? {
            guard let target = try? await expandDomain(spec, domain: domain), SPFCheck.isValidDomain(target) else { return nil }
            let answer = await ask(target, .txt)
            let texts = answer.records.compactMap(\.text)
            guard texts.count == 1 else { return nil }
            let text = String(decoding: texts[0].prefix(SPFCheck.maximumRecordBytes), as: UTF8.self)
            guard text.utf8.allSatisfy({ $0 >= 0x20 && $0 < 0x7F }) else { return nil }
            return try? await expand(text, domain: domain, explanation: true)
        }
    }

    // MARK: - Helpers

    /// Whether a TXT record is an SPF version 1 record: `v=spf1` alone or followed by a space.
    static func isSPFRecord(_ text: [UInt8]) -> Bool {
        let head = Array("v=spf1".utf8)
        guard text.count >= head.count, zip(text, head).allSatisfy({ $0 | 0x20 == $1 | 0x20 }) else { return false }
        return text.count == head.count || text[head.count] == ASCII.space
    }

    static func isSameOrSubdomain(_ name: String, of domain: String) -> Bool {
        let n = name.fastLowercased().trimmingSuffixDot(), d = domain.fastLowercased().trimmingSuffixDot()
        return n == d || n.hasSuffix("." + d)
    }

    /// The client address as `%{i}` gives it: dotted quad, or 32 dot-separated nibbles for IPv6.
    static func dotted(_ ip: IPAddress) -> String {
        if ip.isV4 { return ip.bytes[12...].map { String($0) }.joined(separator: ".") }
        let hex = Array("0123456789abcdef")
        return ip.bytes.flatMap { [String(hex[Int($0 >> 4)]), String(hex[Int($0 & 15)])] }.joined(separator: ".")
    }

    /// The PTR name of an address (`4.3.2.1.in-addr.arpa`, nibbles under `ip6.arpa`).
    static func reverseName(_ ip: IPAddress) -> String {
        dotted(ip).split(separator: ".").reversed().joined(separator: ".") + (ip.isV4 ? ".in-addr.arpa" : ".ip6.arpa")
    }

    static func urlEncoded(_ s: String) -> String {
        var out = ""
        for b in s.utf8 {
            if ASCII.isAlpha(b) || ASCII.isDigit(b) || "-._~".utf8.contains(b) { out.unicodeScalars.append(Unicode.Scalar(b)) }
            else { out += "%" + String(b >> 4, radix: 16, uppercase: true) + String(b & 15, radix: 16, uppercase: true) }
        }
        return out
    }
}

extension String {
    func trimmingSuffixDot() -> String { hasSuffix(".") ? String(dropLast()) : self }
}
