/// Stage 0: named rules compiled once from a rules file (``RuleSpec``s), checked before any model runs.
/// A rule either adds a score (log-odds, added to the model's margin) or decides directly (`action`). The
/// first rule in file order that decides, decides: put allow-list rules before block-list ones to let
/// them win. Immutable and `Sendable`.
public struct RuleSet: Sendable {
    public let rules: [Rule]

    public static let empty = RuleSet(rules: [])

    /// Whether a rule tests the language or script, which only an analysis with a language detector gives.
    public var readsLanguage: Bool {
        rules.contains { rule in
            switch rule.condition {
            case .language, .languageNot, .script: true
            default: false
            }
        }
    }

    init(rules: [Rule]) { self.rules = rules }

    /// Compiles the rules; the first bad one is refused with its line and the reason.
    public init(compiling specs: [RuleSpec]) throws(RuleError) {
        var names = Set<String>()
        var compiled: [Rule] = []
        for spec in specs {
            guard !spec.name.isEmpty else { throw RuleError(line: spec.line, reason: "a rule needs a name") }
            guard names.insert(spec.name).inserted else { throw RuleError(line: spec.line, reason: "rule \(spec.name) is defined twice") }
            compiled.append(try Rule(spec))
        }
        rules = compiled
    }

    /// The string of the GTUBE test (SpamAssassin's Generic Test for Unsolicited Bulk Email).
    public static let gtube = "XJS*C4JDBQADN1.NSBN3*2IDNEN*GTUBE-STANDARD-ANTI-UBE-TEST-EMAIL*C.34X"

    public struct Hit: Sendable, Hashable, Codable {
        public var name: String
        public var score: Double
        public var action: Action?
        public var description: String
    }

    public struct Outcome: Sendable, Hashable {
        public var hits: [Hit] = []
        /// The first deciding rule's action, if any rule decided.
        public var action: Action?
        /// The sum of the scoring rules' scores (log-odds).
        public var score: Double = 0

        public init() {}
    }

    public func evaluate(_ a: AnalyzedMessage, envelope: Envelope) -> Outcome {
        var outcome = Outcome()
        guard !rules.isEmpty else { return outcome }
        let facts = Facts(a, envelope)
        for rule in rules where rule.condition.matches(facts) {
            switch rule.effect {
            case .score(let s):
                outcome.score += s
                outcome.hits.append(Hit(name: rule.name, score: s, action: nil, description: rule.describe()))
            case .action(let action):
                outcome.hits.append(Hit(name: rule.name, score: 0, action: action, description: rule.describe()))
                if outcome.action == nil { outcome.action = action }
            }
        }
        return outcome
    }

    /// What rules look at, worked out once per message and only when a rule asks.
    final class Facts {
        let a: AnalyzedMessage
        let envelope: Envelope

        init(_ a: AnalyzedMessage, _ envelope: Envelope) {
            self.a = a
            self.envelope = envelope
        }

        /// The connecting client: from the envelope, else the IP our side recorded in the top Received hop.
        lazy var clientIP: IPAddress? = {
            let ip = envelope.clientIP ?? a.message.headers.first("received").flatMap { ReceivedHop(parsing: $0.value, parsesDate: false).fromIP }
            return ip.flatMap(IPAddress.init)
        }()
        lazy var fromDomain: String = a.message.from.first?.domain ?? ""
        lazy var replyToDomain: String? = a.message.replyTo.first?.domain
        lazy var urlHosts: [String] = (a.urls.prefix(200) + a.attachmentURLs).map { $0.host.lowercased() }
        lazy var authentication: [AuthenticationResults.Check] = a.message.authenticationResults.flatMap(\.checks)
    }

    public struct Rule: Sendable {
        public let name: String
        public let line: Int
        let condition: Condition
        public let effect: Effect
        let summary: String?

        public enum Effect: Sendable, Hashable {
            case score(Double)
            case action(Action)
        }

        init(_ spec: RuleSpec) throws(RuleError) {
            name = spec.name
            line = spec.line
            summary = spec.description
            condition = try Condition(spec)
            switch (spec.action, spec.score) {
            case (nil, nil): throw RuleError(line: spec.line, reason: "rule \(spec.name) needs an action or a score")
            case (.some, .some): throw RuleError(line: spec.line, reason: "rule \(spec.name) has both an action and a score")
            case (let a?, nil):
                guard let action = Action(rawValue: a) else {
                    throw RuleError(line: spec.line, reason: "unknown action \"\(a)\" (inbox, tag, quarantine or reject)")
                }
                effect = .action(action)
            case (nil, let s?):
                guard s.isFinite else { throw RuleError(line: spec.line, reason: "score must be a finite number") }
                effect = .score(s)
            }
        }

        func describe() -> String {
            let what = summary ?? condition.summary
            switch effect {
            case .score(let s): return "rule \(name): \(what) (\(s >= 0 ? "+" : "")\(s))"
            case .action(let a): return "rule \(name): \(what) (\(a.rawValue))"
            }
        }
    }

    /// One kind of test per rule.
    enum Condition: Sendable {
        case clientIP([IPNetwork])
        case senderDomain([String])
        case replyToDomain([String])
        case urlDomain([String])
        case header(name: String, pattern: Pattern)
        case body(Pattern)
        case authentication(method: String, result: String)
        case dmarcRejectFail
        case gtube
        /// The text's language was detected with confidence and is listed (``LanguageGuess/known``).
        case language([String])
        /// The text's language was detected with confidence and is not listed (SpamAssassin's `ok_languages`).
        case languageNot([String])
        /// Most of the text's letters are in a listed script (ISO 15924: `Cyrl`, `Hani`, `Jpan`...).
        case script([String])

        init(_ spec: RuleSpec) throws(RuleError) {
            let v = spec.values
            func domains() throws(RuleError) -> [String] {
                guard !v.isEmpty else { throw RuleError(line: spec.line, reason: "\(spec.test) needs at least one domain") }
                return v.map { $0.lowercased().trimmingBlanks() }
            }
            func pattern(_ text: String?) throws(RuleError) -> Pattern {
                guard let text, !text.isEmpty else { throw RuleError(line: spec.line, reason: "\(spec.test) needs a pattern") }
                do { return try Pattern(text) } catch { throw RuleError(line: spec.line, reason: "bad pattern \"\(text)\": \(error)") }
            }
            switch spec.test {
            case "client_ip":
                var networks: [IPNetwork] = []
                for text in v {
                    guard let n = IPNetwork(text) else { throw RuleError(line: spec.line, reason: "\"\(text)\" is not an IP address or CIDR block") }
                    networks.append(n)
                }
                guard !networks.isEmpty else { throw RuleError(line: spec.line, reason: "client_ip needs at least one address") }
                self = .clientIP(networks)
            case "sender_domain": self = .senderDomain(try domains())
            case "reply_to_domain": self = .replyToDomain(try domains())
            case "url_domain": self = .urlDomain(try domains())
            case "header":
                guard let name = v.first, !name.isEmpty else { throw RuleError(line: spec.line, reason: "header needs a field name") }
                self = .header(name: name.lowercased(), pattern: try pattern(spec.pattern))
            case "body": self = .body(try pattern(spec.pattern ?? v.first))
            case "authentication":
                // `spf=fail`, `dkim=fail`, `dmarc=fail`...
                let pieces = (v.first ?? "").lowercased().split(separator: "=")
                guard pieces.count == 2 else { throw RuleError(line: spec.line, reason: "authentication takes method=result, such as spf=fail") }
                self = .authentication(method: String(pieces[0]), result: String(pieces[1]))
            case "dmarc_reject_fail": self = .dmarcRejectFail
            case "gtube": self = .gtube
            case "language", "language_not":
                let codes = v.map { $0.trimmingBlanks() }.filter { !$0.isEmpty }
                guard !codes.isEmpty else { throw RuleError(line: spec.line, reason: "\(spec.test) needs at least one language code (en, de, zh-Hant...)") }
                self = spec.test == "language" ? .language(codes) : .languageNot(codes)
            case "script":
                let scripts = v.map { $0.trimmingBlanks() }.filter { !$0.isEmpty }
                guard !scripts.isEmpty else { throw RuleError(line: spec.line, reason: "script needs at least one ISO 15924 code (Latn, Cyrl, Hani...)") }
                self = .script(scripts)
            default:
                throw RuleError(
                    line: spec.line,
                    reason: "unknown test \"\(spec.test)\" (client_ip, sender_domain, reply_to_domain, url_domain, header, body, authentication, dmarc_reject_fail, gtube, language, language_not, script)"
                )
            }
        }

        var summary: String {
            switch self {
            case .clientIP: return "client IP listed"
            case .senderDomain: return "sender domain listed"
            case .replyToDomain: return "Reply-To domain listed"
            case .urlDomain: return "URL domain listed"
            case .header(let name, let p): return "\(name) matches \(p.source)"
            case .body(let p): return "body matches \(p.source)"
            case .authentication(let method, let result): return "\(method)=\(result) in Authentication-Results"
            case .dmarcRejectFail: return "DMARC fail with policy reject"
            case .gtube: return "GTUBE test string"
            case .language(let codes): return "written in " + codes.joined(separator: ", ")
            case .languageNot(let codes): return "written in none of " + codes.joined(separator: ", ")
            case .script(let scripts): return "in the script " + scripts.joined(separator: ", ")
            }
        }

        func matches(_ f: Facts) -> Bool {
            switch self {
            case .clientIP(let networks):
                guard let ip = f.clientIP else { return false }
                return networks.contains { $0.contains(ip) }
            case .senderDomain(let list): return Condition.listed(f.fromDomain, list)
            case .replyToDomain(let list): return f.replyToDomain.map { Condition.listed($0, list) } ?? false
            case .urlDomain(let list): return f.urlHosts.contains { Condition.listed($0, list) }
            case .header(let name, let p): return f.a.message.headers.all(name).contains { p.matches($0.value) }
            case .body(let p): return p.matches(f.a.bodyText)
            case .authentication(let method, let result):
                return f.authentication.contains { $0.method == method && $0.result == result }
            case .dmarcRejectFail:
                // The policy is usually in a comment (`dmarc=fail (p=REJECT sp=NONE) header.from=...`), which the parsed
                // check keeps as its `p` property (``AuthenticationResults``), else as RFC 8601's property.
                return f.authentication.contains { c in
                    c.method == "dmarc" && c.result == "fail"
                        && (Condition.isReject(c.properties["p"]) || Condition.isReject(c.properties["policy.published-domain-policy"]))
                }
            case .gtube:
                // In the decoded body text, or in the raw bytes (a part the text views skip).
                var body = f.a.bodyText
                return body.withUTF8 { UTF8Bytes.contains(UnsafeRawBufferPointer($0), RuleSet.gtube) }
                    || f.a.message.bytes.withUnsafeBytes { UTF8Bytes.contains($0, RuleSet.gtube) }
            case .language(let codes): return f.a.language?.known.map { codes.contains($0) } ?? false
            case .languageNot(let codes): return f.a.language?.known.map { !codes.contains($0) } ?? false
            case .script(let scripts): return f.a.language.map { scripts.contains($0.script) } ?? false
            }
        }

        static func isReject(_ policy: String?) -> Bool { policy.map { $0.utf8.count == 6 && $0.fastLowercased() == "reject" } ?? false }

        /// A domain is listed when it is a listed domain or a subdomain of one.
        static func listed(_ domain: String, _ list: [String]) -> Bool {
            guard !domain.isEmpty else { return false }
            return list.contains { domain == $0 || domain.hasSuffix("." + $0) }
        }
    }
}

/// A rule as read from a rules file, before compilation: its name, the line it starts on, which test
/// (`client_ip`, `sender_domain`, `header`...), the test's values, and its effect.
public struct RuleSpec: Sendable, Hashable {
    public var name: String
    public var line: Int
    public var test: String
    public var values: [String]
    public var pattern: String?
    public var action: String?
    public var score: Double?
    public var description: String?

    public init(
        name: String, line: Int, test: String, values: [String] = [], pattern: String? = nil, action: String? = nil, score: Double? = nil,
        description: String? = nil
    ) {
        self.name = name
        self.line = line
        self.test = test
        self.values = values
        self.pattern = pattern
        self.action = action
        self.score = score
        self.description = description
    }
}

/// Why a rules file was refused.
public struct RuleError: Error, Sendable, Hashable, CustomStringConvertible {
    public var line: Int
    public var reason: String

    public init(line: Int, reason: String) {
        self.line = line
        self.reason = reason
    }

    public var description: String { "line \(line): \(reason)" }
}
