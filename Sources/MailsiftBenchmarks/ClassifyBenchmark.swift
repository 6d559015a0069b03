import Foundation
import MailsiftCore
import MailsiftTrees
import Synchronization

/// `mailsift bench classify`: the whole cascade (parse, rules, trees, text, combination) on one core;
/// messages per second over whole passes (the median pass), per-message latency percentiles, the share of
/// messages each stage decided, and the mean time of each stage.
public struct ClassifyBenchmark: Sendable {
    public var messages: [[UInt8]]
    public var cascade: Cascade
    public var minimumSeconds: Double
    /// Read reply headers as written; else as `serve` reads them at a site that knows none of the Message-IDs
    /// named (``ReplyClaim``: every claim looked at, and discounted).
    public var trustReplies: Bool
    /// Leave word salad in the text (``WordSalad``), as before it was taken out.
    public var keepWordSalad: Bool
    /// The ledger holds every message's own Message-ID: a site that saw the threads, whose replies mostly verify
    /// (else it holds none, the worst case).
    public var knowsCorpus = false
    /// Check SPF for every message as `serve` does with `spf` on (client from the first untrusted Received hop,
    /// sender from Return-Path), waiting for DNS up to `spfBudget` a message.
    public var authentication: SenderAuthentication?
    public var spfBudget: Duration = .milliseconds(200)
    /// Record every verdict in the dashboard's ledger as `serve` does with `dashboard` on (``VerdictLedger`` under a
    /// lock: the message key, three reasons described, the counts).
    public var ledger = false

    public init(messages: [[UInt8]], cascade: Cascade, minimumSeconds: Double = 3, trustReplies: Bool = false, keepWordSalad: Bool = false) {
        self.messages = messages
        self.cascade = cascade
        self.minimumSeconds = minimumSeconds
        self.trustReplies = trustReplies
        self.keepWordSalad = keepWordSalad
    }

    /// Runs the benchmark; with SPF, its loop awaits DNS as `serve` does (one hand-off for the whole run, none per
    /// message).
    public func run() throws -> String {
        ClassifyBenchmark.waiting { [self] in await self.runAsync() }
    }

    func runAsync() async -> String {
        let bundle = cascade.bundle
        var scratch = cascade.makeScratch()
        var sink = 0.0
        var stages: [Cascade.Stage: Int] = [:]
        let ledger = InMemoryMessageLedger()
        var analyzer = cascade.extractor.analyzer
        if knowsCorpus {
            ledger.recordNow(messages.compactMap { (try? analyzer.parser.parse($0))?.messageID.flatMap(ReplyClaim.key) }, at: 0)
        }
        analyzer.removesWordSalad = !keepWordSalad
        var spfResults: [SPFCheck.Result: Int] = [:]
        var dkimResults: [DKIMCheck.Result: Int] = [:]
        var dmarcResults: [String: Int] = [:]
        var authenticationTime = Duration.zero
        var authenticated = 0
        var failures: [String] = []
        let trust = authentication.map { AuthenticationTrust.none.trusting($0.authservID) } ?? .none
        let dashboard = Mutex(VerdictLedger())
        // Reasons as the server hands them on (worded already): a word of the text, a link's domain, a tree column.
        let reasons = [
            Cascade.Reason(stage: .text, feature: "your", weight: 1.25, text: "subject word \"your\" (+1.25)"),
            Cascade.Reason(stage: .text, feature: "domain=example.org", weight: 0.71, text: "URL: domain=example.org (+0.71)"),
            Cascade.Reason(stage: .trees, feature: "htmlParts", weight: 0.1, text: "text/html parts: 1 (+0.10)"),
        ]
        let version = bundle.manifest.version
        func classify(_ bytes: [UInt8]) async -> Cascade.Stage? {
            guard var message = try? analyzer.parser.parse(bytes) else { return nil }
            if let authentication {
                let started = ContinuousClock.now
                let report = await authentication.authenticate(message, envelope: Envelope(), trust: .none, deadline: .now + spfBudget)
                authenticationTime += ContinuousClock.now - started
                authenticated += 1
                for d in report?.dkim ?? [] { dkimResults[d.result, default: 0] += 1 }
                if authentication.dmarc != nil { dmarcResults[report?.dmarc?.result.rawValue ?? "no From domain", default: 0] += 1 }
                if let spf = report?.spf {
                    spfResults[spf.result, default: 0] += 1
                    if spf.result == .temperror, failures.count < 3 { failures.append("\(spf.domain): \(spf.detail)") }
                }
                authentication.stamp(&message, with: report)
            }
            var discount = false
            if !trustReplies, case let claim = ReplyClaim(message), claim.claims { discount = !ledger.knowsAnyNow(claim.referenced, at: 0) }
            var a = analyzer.analyze(discount ? ReplyClaim.discounted(message) : message, trust: trust)
            a.replyDiscounted = discount
            let v = cascade.classify(a, scratch: &scratch)
            sink += v.probability
            if self.ledger {
                let entry = VerdictLedger.Entry(
                    time: Int64(Date().timeIntervalSince1970), messageKey: MessageKey.of(message), senderDomain: "example.com", action: v.action,
                    stage: v.stage, probability: v.probability, degraded: false, latencyMicroseconds: 300, modelVersion: version,
                    reasons: reasons.map(VerdictLedger.describe))
                dashboard.withLock { $0.record(entry) }
            }
            return v.stage
        }
        let clock = ContinuousClock()
        // Warm-up, and the stage shares; with SPF, the pass with a cold DNS cache.
        var coldLatencies: [Double] = []
        let coldStart = clock.now
        for m in messages {
            let start = clock.now
            if let s = await classify(m) { stages[s, default: 0] += 1 }
            coldLatencies.append((clock.now - start).seconds * 1e6)
        }
        let coldSeconds = (clock.now - coldStart).seconds
        let coldResults = spfResults
        let coldDKIM = dkimResults
        let coldDMARC = dmarcResults
        authenticationTime = .zero
        authenticated = 0
        var latencies: [Double] = []
        let median = await PassTimer.medianPass(minimumSeconds: minimumSeconds) {
            for m in messages {
                let start = clock.now
                _ = await classify(m)
                latencies.append((clock.now - start).seconds * 1e6)
            }
        }
        latencies.sort()
        coldLatencies.sort()
        // The language's own time, once over every message's analysed text: as the analysis runs it (plain English not
        // given to the detector), then its parts: the script census, and CLD2 asked about every text.
        var languageLine = "language: not detected"
        if let detector = analyzer.languageDetector {
            let texts = messages.compactMap { try? analyzer.parser.parse($0) }.map { m in (m.subject ?? "", analyzer.analyze(m).bodyText) }
            var started = clock.now
            for (subject, body) in texts { sink += Double(MessageAnalyzer.language(subject: subject, body: body, detector).percent) }
            let total = (clock.now - started).seconds * 1e6 / Double(max(1, texts.count))
            let cut = texts.map { String(decoding: ($0.0 + "\n" + $0.1).utf8.prefix(MessageAnalyzer.maximumLanguageBytes), as: UTF8.self) }
            started = clock.now
            for t in cut { sink += Double(ScriptCensus(t).letters) }
            let census = (clock.now - started).seconds * 1e6 / Double(max(1, cut.count))
            started = clock.now
            for t in cut { sink += Double(detector.detect(t).percent) }
            let everyText = (clock.now - started).seconds * 1e6 / Double(max(1, cut.count))
            languageLine = String(
                format: "language (the first %d bytes of text): %.1f us a message; of which the script census %.1f us; CLD2 asked about every text would take %.1f us",
                MessageAnalyzer.maximumLanguageBytes, total, census, everyText)
        }
        func percentile(_ p: Double, _ l: [Double] = latencies) -> Double { l.isEmpty ? 0 : l[min(Int(p * Double(l.count)), l.count - 1)] }
        let bytes = messages.reduce(0) { $0 + $1.count }
        let n = Double(max(messages.count, 1))
        let shares = Cascade.Stage.allCases.map { String(format: "%@ %.1f%%", $0.rawValue, 100 * Double(stages[$0, default: 0]) / n) }
        return [
            String(format: "classify: %.0f msg/s, %.1f MB/s (one core, median of %d passes; mode %@)", n / median.seconds,
                   Double(bytes) / median.seconds / 1e6, median.passes, cascade.mode.rawValue),
            String(format: "latency per message: p50 %.0f us, p99 %.0f us, p99.9 %.0f us", percentile(0.5), percentile(0.99), percentile(0.999)),
            "decided by: " + shares.joined(separator: ", ") + (trustReplies ? "; replies as written" : knowsCorpus ? "; replies checked (every message of the corpus known)" : "; replies checked (none known, as serve at a new site)")
                + (keepWordSalad ? "; word salad kept" : ""),
            stageTimes(cascade),
            languageLine,
            "model \(bundle.manifest.version); \(messages.count) messages" + (sink.isNaN ? " (nan)" : ""),
        ].joined(separator: "\n") + (authentication == nil ? "" : "\n" + [
            String(format: "spf: timed passes with a warm DNS cache (above); the first pass, cold: %.0f msg/s, p50 %.0f us, p99 %.0f us",
                   n / coldSeconds, percentile(0.5, coldLatencies), percentile(0.99, coldLatencies)),
            String(format: "authentication (the checks alone, warm): %.1f us a message on average", authenticationTime.seconds * 1e6 / Double(max(1, authenticated))),
            "spf results of the cold pass: " + SPFCheck.Result.allCases.map { "\($0.rawValue) \(coldResults[$0, default: 0])" }.joined(separator: ", ")
                + (failures.isEmpty ? "" : "; temperror, e.g. " + failures.joined(separator: "; ")),
            authentication?.dkim == nil ? "" : "dkim results of the cold pass (per signature): " + DKIMCheck.Result.allCases.map { "\($0.rawValue) \(coldDKIM[$0, default: 0])" }.joined(separator: ", "),
            authentication?.dmarc == nil ? "" : "dmarc results of the cold pass: " + coldDMARC.sorted { $0.key < $1.key }.map { "\($0.key) \($0.value)" }.joined(separator: ", "),
        ].joined(separator: "\n"))
    }

    /// An unbound configuration's `server:` lines that publish SPF for every sender domain of `messages` (Return-Path's,
    /// else the HELO name; the client from the first Received hop not from loopback), as a sender's DNS would: `v=spf1 a mx
    /// include:_spf.DOMAIN ~all`, the include listing the corpus's clients of that domain. A check then makes five
    /// lookups (TXT, A, MX, the MX host's A, the include's TXT). For `scripts/bench-spf.sh`.
    public static func spfZone(_ messages: [[UInt8]]) -> [String] {
        let parser = MessageParser()
        var clients: [String: Set<String>] = [:]
        for bytes in messages {
            guard let m = try? parser.parse(bytes), let client = SenderAuthentication.client(of: m, envelope: Envelope(), trust: .none) else { continue }
            // Without a sender (no Return-Path), SPF checks the HELO name.
            let identity = client.mailFrom.isEmpty ? "postmaster@" + client.helo : client.mailFrom
            guard let at = identity.lastIndex(of: "@") else { continue }
            let domain = identity[identity.index(after: at)...].lowercased()
            // Every domain the check will ask about, as unbound's configuration can write it.
            guard SPFCheck.isValidDomain(domain), domain.utf8.count < 200, !domain.hasSuffix("."),
                  domain.utf8.allSatisfy({ $0 > 0x20 && $0 < 0x7F && !"\"';\\()".utf8.contains($0) }) else { continue }
            clients[domain, default: []].insert(client.ip)
        }
        var lines: [String] = []
        // DKIM: every signature's selector gets a 2048-bit RSA key. The signatures were made with other keys, so they
        // fail, but only after the whole check (body hash, header hash, RSA verification): what a pass costs.
        var keys = Set<String>()
        for bytes in messages {
            guard let m = try? parser.parse(bytes) else { continue }
            for field in m.headers.all("dkim-signature") {
                guard let s = try? DKIMSignature(parsing: field.value) else { continue }
                let name = s.selector + "._domainkey." + s.domain
                guard name.utf8.allSatisfy({ $0 > 0x20 && $0 < 0x7F && !"\"';\\()".utf8.contains($0) }), keys.insert(name).inserted else { continue }
                lines.append("local-data: '\(name). 300 IN TXT \(benchKeyRecord)'")
            }
        }
        // DMARC: every From domain publishes `p=none` at `_dmarc.`, so a check finds a record at its first lookup.
        var fromDomains = Set<String>()
        for bytes in messages {
            guard let m = try? parser.parse(bytes), m.from.count == 1, let domain = m.from.first?.domain.lowercased() else { continue }
            guard SPFCheck.isValidDomain(domain), domain.utf8.count < 200, !domain.hasSuffix("."),
                  domain.utf8.allSatisfy({ $0 > 0x20 && $0 < 0x7F && !"\"';\\()".utf8.contains($0) }), fromDomains.insert(domain).inserted else { continue }
            lines += ["local-zone: \"_dmarc.\(domain).\" static", "local-data: '_dmarc.\(domain). 300 IN TXT \"v=DMARC1; p=none\"'"]
        }
        for (domain, ips) in clients.sorted(by: { $0.key < $1.key }) {
            let list = ips.sorted().map { $0.contains(":") ? "ip6:\($0)" : "ip4:\($0)" }.joined(separator: " ")
            // A TXT string holds 255 bytes; SPF joins the strings of a record.
            let record = Array("v=spf1 \(list) -all".utf8)
            let strings = stride(from: 0, to: record.count, by: 255).map { "\"" + String(decoding: record[$0..<min($0 + 255, record.count)], as: UTF8.self) + "\"" }
            lines += [
                "local-zone: \"\(domain).\" static",
                "local-data: '\(domain). 300 IN TXT \"v=spf1 a mx include:_spf.\(domain) ~all\"'",
                "local-data: '\(domain). 300 IN A 192.0.2.1'",
                "local-data: '\(domain). 300 IN MX 10 mx.\(domain).'",
                "local-data: 'mx.\(domain). 300 IN A 192.0.2.2'",
                "local-data: '_spf.\(domain). 300 IN TXT \(strings.joined(separator: " "))'",
            ]
        }
        return lines
    }

    /// A DKIM key record for the bench's zone (a 2048-bit RSA public key, in 255-byte strings).
    static let benchKeyRecord: String = {
        let record = Array("v=DKIM1; k=rsa; p=MIIBIjANBgkqhkiG9w0BAQEFAAOCAQ8AMIIBCgKCAQEArt5ZSA8H2jP3eFgjctxnm9VeloO+itCwdo7dV9KCt5GI1wTtIhYPD1jEVo26RO6nh6ikdM4UfZXUZf8gp8C1lVqpCHTGwRY7rBlC4PndfY2T3Rw7YBULn0CDzt9PpSl1L6K9VU6Jh0uyvkRJ6Ib0225UlESFFzbOlkZyxwnBk6THdufl9iy13MibRjNoFC6XoZJ7g7WKFzSmBePIdW+hLOLJ+XEjAG+GGLU2LvDYTuc+NIrZhjaBjQ+S3hV+QNlVDCGsLFddx4aUJ1Acc1eKWtpVUU+S4LHj0L4xMH592rsEBrHSi/TgIqL95QhgfHwR0B53Y9rmiJMw1G1mNBJv9wIDAQAB".utf8)
        return stride(from: 0, to: record.count, by: 255).map { "\"" + String(decoding: record[$0..<min($0 + 255, record.count)], as: UTF8.self) + "\"" }.joined(separator: " ")
    }()

    /// Runs `body` to its end from synchronous code (the benchmark's loop), as `serve` awaits it.
    static func waiting<T: Sendable>(_ body: @escaping @Sendable () async -> T) -> T {
        let done = DispatchSemaphore(value: 0)
        let box = Box<T>()
        Task {
            box.value = await body()
            done.signal()
        }
        done.wait()
        return box.value!
    }

    final class Box<T>: @unchecked Sendable {
        var value: T?
    }

    /// Mean time of each stage when it runs, over one pass where every stage runs on every message.
    private func stageTimes(_ cascade: Cascade) -> String {
        let clock = ContinuousClock()
        var totals = (analyze: Duration.zero, rules: Duration.zero, columns: Duration.zero, trees: Duration.zero, text: Duration.zero)
        var viaXGBoost = Duration.zero
        var scratch = cascade.text.makeScratch()
        let columns = MetadataFeatureExtractor()
        var row: [Float] = []
        var count = 0
        var sink = 0.0
        for m in messages {
            var t = clock.now
            guard let a = try? cascade.extractor.analyze(m) else { continue }
            totals.analyze += clock.now - t
            t = clock.now
            sink += cascade.rules.evaluate(a, envelope: Envelope()).score
            totals.rules += clock.now - t
            if let trees = cascade.trees {
                t = clock.now
                columns.values(of: a, into: &row)
                totals.columns += clock.now - t
                t = clock.now
                sink += Double((try? trees.treeMargin(of: row)) ?? 0)
                totals.trees += clock.now - t
                if let model = trees as? TreeModel, model.ensemble != nil {
                    t = clock.now
                    sink += Double((try? model.booster.margin(of: Array(row.prefix(model.featureCount)))) ?? 0)
                    viaXGBoost += clock.now - t
                }
            }
            t = clock.now
            sink += cascade.text.score(a, scratch: &scratch).margin
            totals.text += clock.now - t
            count += 1
        }
        let n = Double(max(count, 1))
        func us(_ d: Duration) -> String { String(format: "%.0f us", d.seconds * 1e6 / n) }
        return "mean time per stage: parse and analyse \(us(totals.analyze)), rules \(us(totals.rules)), trees \(us(totals.columns + totals.trees)) (columns \(us(totals.columns)), model \(us(totals.trees))\(viaXGBoost > .zero ? "; through the XGBoost C API " + us(viaXGBoost) : "")), text \(us(totals.text))"
            + (sink.isNaN ? " (nan)" : "")
    }
}
