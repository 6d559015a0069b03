/// A `DKIM-Signature` field parsed (RFC 6376 section 3.5), with what verification needs of it.
public struct DKIMSignature: Sendable, Hashable {
    public enum Algorithm: String, Sendable, Hashable {
        case rsaSHA256 = "rsa-sha256", rsaSHA1 = "rsa-sha1", ed25519SHA256 = "ed25519-sha256"
    }

    public enum Canonicalization: String, Sendable, Hashable {
        case simple, relaxed
    }

    public var algorithm: Algorithm
    public var signature: [UInt8]
    public var bodyHash: [UInt8]
    public var header: Canonicalization
    public var body: Canonicalization
    /// The signing domain (`d=`), lower-cased.
    public var domain: String
    public var selector: String
    /// The signed header field names, lower-cased, in order.
    public var headers: [String]
    /// The agent or user identifier (`i=`), by default `@` and the domain.
    public var identity: String
    /// Body bytes signed (`l=`); nil: all of it.
    public var length: Int?
    public var timestamp: Int64?
    public var expiration: Int64?

    /// Most header names a signature may list.
    static let maximumHeaders = 64

    /// Why a field is not a usable signature (each a `permerror`).
    public struct Invalid: Error, Sendable, Hashable, CustomStringConvertible {
        public var description: String
    }

    /// Parses a `DKIM-Signature`, or with `arc` an `ARC-Message-Signature` (RFC 8617: `i=` is the instance, and there
    /// is no `v=`).
    public init(parsing value: String, arc: Bool = false) throws(Invalid) {
        let tags = try DKIMSignature.tagList(value)
        func tag(_ name: String) -> String? { tags.first { $0.0 == name }?.1 }
        func required(_ name: String) throws(Invalid) -> String {
            guard let v = tag(name), !v.isEmpty || name == "b" else { throw Invalid(description: "no \(name)= tag") }
            return v
        }
        if !arc { guard try required("v") == "1" else { throw Invalid(description: "version is not 1") } }
        guard let algorithm = Algorithm(rawValue: try required("a").lowercased()) else { throw Invalid(description: "unknown algorithm \(tag("a") ?? "")") }
        self.algorithm = algorithm
        guard let signature = DKIMSignature.base64(try required("b")), !signature.isEmpty else { throw Invalid(description: "b= is not base64") }
        self.signature = signature
        guard let bodyHash = DKIMSignature.base64(try required("bh")), !bodyHash.isEmpty else { throw Invalid(description: "bh= is not base64") }
        self.bodyHash = bodyHash
        let c = (tag("c") ?? "simple/simple").lowercased().split(separator: "/", maxSplits: 1, omittingEmptySubsequences: false)
        guard let h = Canonicalization(rawValue: String(c[0])), let b = Canonicalization(rawValue: c.count > 1 ? String(c[1]) : "simple") else {
            throw Invalid(description: "unknown canonicalization \(tag("c") ?? "")")
        }
        header = h
        body = b
        domain = try required("d").lowercased()
        selector = try required("s").lowercased()
        guard SPFCheck.isValidDomain(domain), SPFCheck.isValidDomain(selector + "._domainkey." + domain) else { throw Invalid(description: "bad d= or s=") }
        headers = DKIMSignature.fieldNames(try required("h"))
        guard headers.contains("from") else { throw Invalid(description: "From is not signed") }
        guard headers.count <= DKIMSignature.maximumHeaders else { throw Invalid(description: "more than \(DKIMSignature.maximumHeaders) signed fields") }
        identity = arc ? "@" + domain : tag("i") ?? "@" + domain
        guard let at = identity.lastIndex(of: "@"), SPFCheck.isSameOrSubdomain(String(identity[identity.index(after: at)...]), of: domain) else {
            throw Invalid(description: "i= is not within d=")
        }
        if let l = tag("l") {
            guard l.utf8.count <= 76, l.utf8.allSatisfy(ASCII.isDigit), let n = Int(l) else { throw Invalid(description: "bad l=") }
            length = n
        }
        if let t = tag("t") { guard let n = Int64(t) else { throw Invalid(description: "bad t=") }; timestamp = n }
        if let x = tag("x") { guard let n = Int64(x) else { throw Invalid(description: "bad x=") }; expiration = n }
        if let q = tag("q"), !q.lowercased().split(separator: ":").contains(where: { $0.hasPrefix("dns/txt") }) {
            throw Invalid(description: "unknown query method \(q)")
        }
    }

    /// `tag=value` pairs separated by `;`, blanks around them dropped; a tag named twice is an error. Read on the
    /// bytes: one string a name and one a value, nothing else allocated.
    static func tagList(_ value: String) throws(Invalid) -> [(String, String)] {
        var text = value
        return try text.withUTF8 { u in Result { () throws(Invalid) in try tagList(u) } }.get()
    }

    static func tagList(_ u: UnsafeBufferPointer<UInt8>) throws(Invalid) -> [(String, String)] {
        var out: [(String, String)] = []
        var i = 0
        while i <= u.count {
            var end = i
            while end < u.count, u[end] != ASCII.semicolon { end += 1 }
            defer { i = end + 1 }
            var lo = i, hi = end
            while lo < hi, ASCII.isWhitespace(u[lo]) { lo += 1 }
            while hi > lo, ASCII.isWhitespace(u[hi - 1]) { hi -= 1 }
            if lo == hi { continue }
            var eq = lo
            while eq < hi, u[eq] != ASCII.equals { eq += 1 }
            guard eq < hi else { throw Invalid(description: "a tag without a value") }
            var nameEnd = eq
            while nameEnd > lo, ASCII.isWhitespace(u[nameEnd - 1]) { nameEnd -= 1 }
            var valueStart = eq + 1
            while valueStart < hi, ASCII.isWhitespace(u[valueStart]) { valueStart += 1 }
            let name = String(decoding: UnsafeBufferPointer(rebasing: u[lo..<nameEnd]), as: UTF8.self)
            guard !name.isEmpty, !out.contains(where: { $0.0 == name }) else { throw Invalid(description: "tag \(name) repeated or empty") }
            out.append((name, String(decoding: UnsafeBufferPointer(rebasing: u[valueStart..<hi]), as: UTF8.self)))
            if out.count > 64 { throw Invalid(description: "too many tags") }
        }
        return out
    }

    /// The names of `h=` (colon-separated, blanks around each dropped, lower-cased; empty pieces left out), read on
    /// the bytes.
    static func fieldNames(_ list: String) -> [String] {
        var text = list
        return text.withUTF8 { u in
            var out: [String] = []
            var start = 0
            for i in 0...u.count where i == u.count || u[i] == UInt8(ascii: ":") {
                defer { start = i + 1 }
                guard i > start else { continue }
                var lo = start, hi = i
                while lo < hi, ASCII.isWhitespace(u[lo]) { lo += 1 }
                while hi > lo, ASCII.isWhitespace(u[hi - 1]) { hi -= 1 }
                out.append(ASCII.lowercased(UnsafeBufferPointer(rebasing: u[lo..<hi])))
            }
            return out
        }
    }

    /// Base64 with folding whitespace anywhere (RFC 6376 section 2.4); nil when it is not base64.
    static func base64(_ s: String) -> [UInt8]? {
        let clean = s.utf8.filter { !ASCII.isWhitespace($0) }
        guard clean.allSatisfy({ ASCII.isAlpha($0) || ASCII.isDigit($0) || $0 == UInt8(ascii: "+") || $0 == UInt8(ascii: "/") || $0 == ASCII.equals }) else {
            return nil
        }
        var out: [UInt8] = []
        _ = clean.withUnsafeBufferPointer { Base64Decoder.decode($0, into: &out, limit: 1 << 16) }
        return out
    }
}
