/// Which sender-authentication results written into a message Mailsift believes: the trust boundary of the
/// authentication issue. Anyone can write `Authentication-Results: mx.example.com; spf=pass; dkim=pass` into a
/// message, and on the dev corpora such a field was strong evidence of ham (1,209 of CSDMC2010's 1,221 hams carry
/// Gmail's `spf=pass`, 42 of its 769 spams). So a field counts only when
/// - its authserv-id (for `Received-SPF`, its `receiver=`) is one the site configured (``authservIDs``: the
///   names its own MTAs and filters stamp; empty by default, so nothing is trusted), and
/// - it sits above every untrusted `Received` hop: a hop that received the message from a client outside the
///   site's relays (``relays``: loopback, and the networks configured). Fields below that hop were in the
///   message when it reached the site, whoever claims to have written them.
///
/// The others are taken out of the message before any stage reads it (``judged(_:)``), the rules, the reputation
/// prior, the tree columns and the text tokens alike, in training as in classification, and the verdict names
/// the passes they claimed. RFC 8601 section 5 asks an MTA to delete fields with its own authserv-id from
/// incoming mail; the position rule covers the MTAs that do not.
public struct AuthenticationTrust: Sendable, Hashable {
    /// Lower-cased authserv-ids whose results are believed.
    public var authservIDs: Set<String>
    /// The site's relays: a Received hop from one of them is the site passing the message on.
    var relays: [IPNetwork]

    /// Nothing trusted: every authentication field is ignored (loopback is the only relay).
    public static let none = AuthenticationTrust(authservIDs: [], relays: AuthenticationTrust.loopback.compactMap(IPNetwork.init))

    /// A network that does not parse.
    public struct BadNetwork: Error, Sendable, CustomStringConvertible {
        public var text: String
        public var description: String { "not an IP address or CIDR block: \(text)" }
    }

    public static let loopback = ["127.0.0.0/8", "::1"]

    /// `authservIDs` as the site's MTAs write them; `networks` (addresses or CIDR blocks) the site's own relays
    /// besides loopback.
    public init(authservIDs: [String] = [], networks: [String] = []) throws(BadNetwork) {
        self.authservIDs = Set(authservIDs.map { $0.trimmingBlanks().fastLowercased() }.filter { !$0.isEmpty })
        var relays: [IPNetwork] = []
        for text in AuthenticationTrust.loopback + networks {
            guard let network = IPNetwork(text) else { throw BadNetwork(text: text) }
            relays.append(network)
        }
        self.relays = relays
    }

    private init(authservIDs: Set<String>, relays: [IPNetwork]) {
        self.authservIDs = authservIDs
        self.relays = relays
    }

    /// The same trust, believing `authservID` too (Mailsift's own, once it has written its results).
    public func trusting(_ authservID: String) -> AuthenticationTrust {
        var t = self
        t.authservIDs.insert(authservID.trimmingBlanks().fastLowercased())
        return t
    }

    /// What judging a message found.
    public struct Judgement: Sendable {
        /// The message without the fields that are not trusted.
        public var message: Message
        /// `Authentication-Results` and `Received-SPF` fields taken out.
        public var ignored = 0
        /// The passes those fields claimed (`spf=pass`, `dkim=pass`...), each once, in order.
        public var claimedPasses: [String] = []
    }

    /// Most claimed passes a judgement lists.
    static let maximumClaims = 8

    /// The message with only the trusted authentication fields left in.
    public func judged(_ message: Message) -> Judgement {
        let fields = message.root.headers
        guard fields.contains(where: \.isAuthenticationField) else {
            return Judgement(message: message)
        }
        // The arrival hop is looked for only when a trusted writer's field is below the top (parsing Received fields
        // costs more than the rest): a field on top is above every hop.
        var boundary: Int?
        var judgement = Judgement(message: message)
        var ignored: [Int] = []
        for (index, field) in fields.enumerated() {
            guard field.isAuthenticationField else { continue }
            let isResults = field.isAuthenticationResults
            let writer = isResults ? AuthenticationResults.authservID(of: field.value) : AuthenticationTrust.receiver(ofReceivedSPF: field.value)
            if let writer, authservIDs.contains(writer.fastLowercased()),
               index == 0 || index < (boundary ?? { boundary = untrustedHop(in: fields); return boundary! }()) {
                continue
            }
            ignored.append(index)
        }
        // Every field trusted (Mailsift's own on top, alone): the message as it is, no copy of its fields.
        guard !ignored.isEmpty else { return judgement }
        var kept: [HeaderField] = []
        kept.reserveCapacity(fields.count - ignored.count)
        var removedBytes = 0
        var next = 0
        for (index, field) in fields.enumerated() {
            guard next < ignored.count, ignored[next] == index else {
                kept.append(field)
                continue
            }
            next += 1
            let isResults = field.isAuthenticationResults
            judgement.ignored += 1
            removedBytes += field.byteCount
            let passes = isResults
                ? AuthenticationResults(parsing: field.value).checks.filter { $0.result == "pass" }.map { $0.method + "=pass" }
                : (Message.spfResult(field.value) == "pass" ? ["spf=pass"] : [])
            for pass in passes where judgement.claimedPasses.count < AuthenticationTrust.maximumClaims && !judgement.claimedPasses.contains(pass) {
                judgement.claimedPasses.append(pass)
            }
        }
        judgement.message.root.headers = HeaderFields(kept)
        judgement.message.removedHeaderBytes += removedBytes
        return judgement
    }

    /// The index of the first Received field that records the message arriving from outside the site's relays
    /// (a `from` clause whose address is not in ``relays``, or names no address); the field count when none does.
    /// A Received field without a `from` clause records a hand-over inside one host.
    func untrustedHop(in fields: HeaderFields) -> Int {
        arrival(in: fields)?.index ?? fields.count
    }

    /// The first untrusted Received hop (``untrustedHop(in:)``), parsed, with its index; nil when there is none.
    func arrival(in fields: HeaderFields) -> (index: Int, hop: ReceivedHop)? {
        for (index, field) in fields.enumerated() where field.isReceived && AuthenticationTrust.mentionsFrom(field.value) {
            let hop = ReceivedHop(parsing: field.value, parsesDate: false)
            guard hop.from != nil || hop.fromIP != nil else { continue }
            guard let ip = hop.fromIP.flatMap(IPAddress.init), relays.contains(where: { $0.contains(ip) }) else { return (index, hop) }
        }
        return nil
    }

    /// Whether a Received field's value has the letters `from` anywhere, in any case: one without them has no `from`
    /// clause, and is not parsed (a relay's own hand-overs, `by 10.0.0.1 with SMTP id ...`, are most of a chain).
    static func mentionsFrom(_ value: String) -> Bool {
        var text = value
        return text.withUTF8 { u in
            guard u.count >= 4 else { return false }
            for i in 0...(u.count - 4) where u[i] | 0x20 == UInt8(ascii: "f") {
                if u[i + 1] | 0x20 == UInt8(ascii: "r"), u[i + 2] | 0x20 == UInt8(ascii: "o"), u[i + 3] | 0x20 == UInt8(ascii: "m") { return true }
            }
            return false
        }
    }

    /// The `receiver=` of a Received-SPF field (RFC 7208 section 9.1), which names the host that checked.
    static func receiver(ofReceivedSPF value: String) -> String? {
        var text = value
        return text.withUTF8 { all in
            let u = UnsafeBufferPointer(rebasing: all.prefix(4096))
            func ends(_ b: UInt8) -> Bool { b == ASCII.space || b == ASCII.tab || b == ASCII.semicolon || b == UInt8(ascii: ")") }
            let key = "receiver=".utf8
            var i = 0
            while i + key.count <= u.count {
                defer { i += 1 }
                guard i == 0 || ends(u[i - 1]) else { continue }
                var matches = true
                for (k, b) in zip(i..., key) where u[k] | 0x20 != b | 0x20 {
                    matches = false
                    break
                }
                guard matches else { continue }
                let start = i + key.count
                var end = start
                while end < u.count, !ends(u[end]) { end += 1 }
                return end > start ? String(decoding: UnsafeBufferPointer(rebasing: u[start..<end]), as: UTF8.self) : nil
            }
            return nil
        }
    }
}
