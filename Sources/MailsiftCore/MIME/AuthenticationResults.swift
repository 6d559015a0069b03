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

    /// The result of the first check of `method`, if any.
    public func result(for method: String) -> String? { checks.first { $0.method == method }?.result }

    public init(parsing value: String) {
        let withoutComments = AuthenticationResults.stripComments(value)
        var pieces = withoutComments.split(separator: ";", omittingEmptySubsequences: true).map { $0.trimmingBlanks() }
        authservID = pieces.isEmpty ? "" : String(pieces.removeFirst().split(separator: " ").first ?? "")
        checks = []
        for piece in pieces {
            let words = piece.split(whereSeparator: { $0 == " " || $0 == "\t" || $0 == "\r" || $0 == "\n" })
            guard let first = words.first, let eq = first.firstIndex(of: "=") else { continue }
            let method = first[..<eq].lowercased()
            let result = first[first.index(after: eq)...].lowercased()
            var properties: [String: String] = [:]
            for word in words.dropFirst() {
                guard let e = word.firstIndex(of: "=") else { continue }
                properties[word[..<e].lowercased()] = String(word[word.index(after: e)...])
            }
            // DMARC policy as some servers write it: "dmarc=fail (p=reject ...)" -> kept in comments; recover it.
            if method == "dmarc", properties["p"] == nil, let p = AuthenticationResults.policy(in: value) {
                properties["p"] = p
            }
            checks.append(Check(method: method, result: result, properties: properties))
        }
    }

    static func stripComments(_ s: String) -> String {
        var out = ""
        var depth = 0
        for c in s {
            if c == "(" { depth += 1 } else if c == ")" { depth = max(0, depth - 1) } else if depth == 0 { out.append(c) }
        }
        return out
    }

    static func policy(in s: String) -> String? {
        let lower = Array(s.lowercased().utf8)
        var i = 0
        while i + 2 < lower.count {
            let boundary = i == 0 || !ASCII.isAlpha(lower[i - 1])
            if boundary, lower[i] == UInt8(ascii: "p"), lower[i + 1] == ASCII.equals {
                let word = lower[(i + 2)...].prefix(while: ASCII.isAlpha)
                return word.isEmpty ? nil : String(decoding: word, as: UTF8.self)
            }
            i += 1
        }
        return nil
    }
}
