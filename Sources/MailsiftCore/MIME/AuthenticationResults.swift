/// An Authentication-Results field (RFC 8601): the server that checked, and each method's result.
public struct AuthenticationResults: Sendable, Hashable, Codable {
    public struct Check: Sendable, Hashable, Codable {
        /// Lower-cased method: `spf`, `dkim`, `dmarc`, `arc`...
        public var method: String
        /// Lower-cased result: `pass`, `fail`, `softfail`, `neutral`, `none`, `temperror`, `permerror`...
        public var result: String
        /// Properties such as `smtp.mailfrom`, `header.d`, `header.from`, and DMARC's `p` when reported.
        public var properties: [String: String]
    }

    public var authservID: String
    public var checks: [Check]

    /// Results known without parsing (those Mailsift wrote itself).
    public init(authservID: String, checks: [Check]) {
        self.authservID = authservID
        self.checks = checks
    }

    /// The authserv-id of a field's value alone (its first word, comments skipped), without parsing the results.
    public static func authservID(of value: String) -> String {
        var depth = 0
        var word: [UInt8] = []
        for b in value.utf8 {
            if b == UInt8(ascii: "(") { depth += 1; continue }
            if b == UInt8(ascii: ")") { depth = max(0, depth - 1); continue }
            if depth > 0 { continue }
            if b == ASCII.semicolon || ASCII.isWhitespace(b) {
                if !word.isEmpty { break }
                continue
            }
            word.append(b)
            if word.count > 255 { break }
        }
        return String(decoding: word, as: UTF8.self)
    }

    /// The result of the first check of `method`, if any.
    public func result(for method: String) -> String? { checks.first { $0.method == method }?.result }

    /// Parses the field's value on its UTF-8 bytes (every delimiter is ASCII).
    public init(parsing value: String) {
        var copy = value
        var id = ""
        var found: [Check] = []
        copy.withUTF8 { raw in
            let u = AuthenticationResults.stripComments(raw)
            var first = true
            var dmarcPolicy: String?? = nil  // looked up in the raw value (comments included) once, when needed
            var start = 0
            for end in 0...u.count where end == u.count || u[end] == ASCII.semicolon {
                defer { start = end + 1 }
                guard end > start else { continue }
                let words = AuthenticationResults.words(u, start..<end)
                if first {
                    first = false
                    id = words.first.map { String(decoding: u[$0], as: UTF8.self) } ?? ""
                    continue
                }
                guard let head = words.first, let eq = u[head].firstIndex(of: ASCII.equals) else { continue }
                let method = AuthenticationResults.lower(u[head.lowerBound..<eq])
                let result = AuthenticationResults.lower(u[(eq + 1)..<head.upperBound])
                var properties: [String: String] = [:]
                for word in words.dropFirst() {
                    guard let e = u[word].firstIndex(of: ASCII.equals) else { continue }
                    properties[AuthenticationResults.lower(u[word.lowerBound..<e])] = String(decoding: u[(e + 1)..<word.upperBound], as: UTF8.self)
                }
                // DMARC policy as some servers write it: "dmarc=fail (p=reject ...)" -> kept in comments; recover it.
                if method == "dmarc", properties["p"] == nil {
                    if dmarcPolicy == nil { dmarcPolicy = .some(AuthenticationResults.policy(in: raw)) }
                    if let p = dmarcPolicy ?? nil { properties["p"] = p }
                }
                found.append(Check(method: method, result: result, properties: properties))
            }
        }
        authservID = id
        checks = found
    }

    /// The blank-separated words of `u[r]`.
    private static func words(_ u: [UInt8], _ r: Range<Int>) -> [Range<Int>] {
        var out: [Range<Int>] = []
        var i = r.lowerBound
        while i < r.upperBound {
            while i < r.upperBound, ASCII.isWhitespace(u[i]) { i += 1 }
            let s = i
            while i < r.upperBound, !ASCII.isWhitespace(u[i]) { i += 1 }
            if i > s { out.append(s..<i) }
        }
        return out
    }

    private static func lower(_ s: ArraySlice<UInt8>) -> String { s.withUnsafeBufferPointer { ASCII.lowercased($0) } }

    static func stripComments(_ u: UnsafeBufferPointer<UInt8>) -> [UInt8] {
        var out: [UInt8] = []
        out.reserveCapacity(u.count)
        var depth = 0
        for c in u {
            if c == UInt8(ascii: "(") { depth += 1 } else if c == UInt8(ascii: ")") { depth = max(0, depth - 1) } else if depth == 0 { out.append(c) }
        }
        return out
    }

    /// The word after the first `p=` that starts a word (ASCII case ignored), as DMARC reports its policy.
    static func policy(in u: UnsafeBufferPointer<UInt8>) -> String? {
        var i = 0
        while i + 2 < u.count {
            let boundary = i == 0 || !ASCII.isAlpha(u[i - 1])
            if boundary, ASCII.lower(u[i]) == UInt8(ascii: "p"), u[i + 1] == ASCII.equals {
                let word = u[(i + 2)...].prefix(while: ASCII.isAlpha)
                return word.isEmpty ? nil : String(decoding: word.map(ASCII.lower), as: UTF8.self)
            }
            i += 1
        }
        return nil
    }
}
