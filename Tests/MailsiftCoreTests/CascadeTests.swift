import Foundation
import Testing
@testable import MailsiftFiles
import MailsiftTestKit
@testable import MailsiftCore
@testable import MailsiftTrees

@Suite("Cascade: rules, trees, combination")
struct CascadeTests {
    static func message(from: String, subject: String, body: String, extra: String = "") -> [UInt8] {
        Array("""
        From: \(from)\r
        To: someone@example.net\r
        Subject: \(subject)\r
        Date: Mon, 3 Mar 2025 10:00:00 +0000\r
        Message-ID: <1@example.net>\r
        \(extra)MIME-Version: 1.0\r
        Content-Type: text/plain; charset=utf-8\r
        \r
        \(body)\r

        """.utf8)
    }

    static func analyze(_ bytes: [UInt8]) throws -> AnalyzedMessage { try MessageAnalyzer().analyze(bytes) }

    @Test func gtubeIsDecidedByTheRulesStage() throws {
        let cascade = try ShippedModel.cascade(ShippedModel.bundle, rules: ShippedModel.rules)
        var scratch = cascade.makeScratch()
        let a = try Self.analyze(Self.message(from: "Alice <alice@example.org>", subject: "Lunch", body: "Hello.\n\(RuleSet.gtube)\nBye."))
        let v = cascade.classify(a, scratch: &scratch)
        #expect(v.stage == .rules)
        #expect(v.action == .reject)
        #expect(v.label == "spam")
        #expect(cascade.reasons(a, verdict: v).first?.feature == "GTUBE")
    }

    /// A stream the site's users read (its feedback reputation trusted) caps a model verdict at `tag` and says
    /// so first; too little evidence, a spam-reported stream, no context, or a rule's own action: no cap.
    @Test func aStreamTheUsersReadCapsTheModelsAction() throws {
        let cascade = try ShippedModel.cascade(ShippedModel.bundle, rules: ShippedModel.rules)
        var scratch = cascade.makeScratch()
        let phishing = try Data(contentsOf: TestSupport.repositoryRoot.appendingPathComponent("examples/phishing.eml"))
        let a = try Self.analyze([UInt8](phishing))
        func state(spamRate: Double, evidence: Double) -> SenderState {
            SenderState(reputations: [.stream: .init(spamRate: spamRate, evidence: evidence)])
        }
        let plain = cascade.classify(a, scratch: &scratch)
        #expect(plain.action >= .quarantine && !plain.streamCapped)
        let read = cascade.classify(a, sender: state(spamRate: 0.1, evidence: 6), scratch: &scratch)
        #expect(read.action == .tag && read.streamCapped && read.probability == plain.probability)
        #expect(cascade.reasons(a, verdict: read, scratch: &scratch).first?.feature == "stream_read")
        #expect(!cascade.classify(a, sender: state(spamRate: 0.1, evidence: 2), scratch: &scratch).streamCapped)
        #expect(!cascade.classify(a, sender: state(spamRate: 0.6, evidence: 20), scratch: &scratch).streamCapped)
        #expect(cascade.fallbackVerdict(a, sender: state(spamRate: 0.1, evidence: 6), scratch: &scratch).action <= .tag)
        var off = cascade
        off.streamContext = nil
        #expect(off.classify(a, sender: state(spamRate: 0.1, evidence: 6), scratch: &scratch).action == plain.action)
        let gtube = try Self.analyze(Self.message(from: "Alice <alice@example.org>", subject: "Lunch", body: "Hello.\n\(RuleSet.gtube)\nBye."))
        #expect(cascade.classify(gtube, sender: state(spamRate: 0, evidence: 50), scratch: &scratch).action == .reject)
    }

    /// After a combination, the text reasons weigh each row by the text model and the view models together:
    /// summed over the message's rows, those weights give the text models' share of the combined log-odds.
    @Test func combinedTextReasonsWeighTheViewModelsToo() throws {
        let cascade = try ShippedModel.cascade(ShippedModel.bundle, mode: .stacked)
        let weights = try #require(cascade.bundle.manifest.cascade?.combiner.weights)
        #expect(cascade.viewModels.count == 2 && weights.count == 4)
        let text = try #require(cascade.stages.compactMap { $0 as? TextStage }.first)
        let phishing = try Data(contentsOf: TestSupport.repositoryRoot.appendingPathComponent("examples/phishing.eml"))
        let a = try Self.analyze([UInt8](phishing))
        var scratch = cascade.makeScratch()
        let v = cascade.classify(a, scratch: &scratch)
        #expect(v.stage == .combined && v.viewMargins.count == 2)
        let x = scratch.text.features
        let rows = text.combinedRowWeights(x, scale: weights[0])
        let sum = zip(rows, x.values).reduce(0) { $0 + $1.0 * Double($1.1) }
        var expected = weights[0] * (try #require(v.textMargin) - Double(cascade.bundle.model.bias[0]))
        for (i, view) in cascade.viewModels.enumerated() { expected += weights[2 + i] * (v.viewMargins[i] - Double(view.model.bias[0])) }
        #expect(abs(sum - expected) < 1e-3 * max(1, abs(expected)), "\(sum) against \(expected)")
        // The reasons carry those weights: the strongest text reason is the largest row weight times its value.
        let best = zip(rows, x.values).map { $0 * Double($1) }.max() ?? 0
        let first = try #require(cascade.reasons(a, verdict: v, scratch: &scratch).first { $0.stage == .text })
        #expect(abs(first.weight - best) < 1e-9)
    }

    @Test func allowListedSenderIsNotMarkedSpamByLaterStages() throws {
        let bundle = ShippedModel.bundle
        let phishing = try Data(contentsOf: TestSupport.repositoryRoot.appendingPathComponent("examples/phishing.eml"))
        let a = try Self.analyze([UInt8](phishing))
        // Without the allow rule the models call it spam...
        let plain = Cascade(bundle: bundle, trees: nil)
        var scratch = plain.makeScratch()
        #expect(plain.classify(a, scratch: &scratch).label == "spam")
        // ...with it, the rules stage decides and nothing later overrides.
        let rules = try RulesFile.parse("""
        rules:
          - name: ALLOW_PAYPAL_LOOKALIKE
            sender_domain: [paypal-account-update.example]
            action: inbox
          - name: SCORE_EVERYTHING
            body: "(?i)paypal"
            score: 5
        """)
        // (the text model alone, and the whole cascade with its trees)
        for cascade in [Cascade(bundle: bundle, rules: rules, trees: nil), try ShippedModel.cascade(bundle, rules: rules)] {
            scratch = cascade.makeScratch()
            let v = cascade.classify(a, scratch: &scratch)
            #expect(v.stage == .rules)
            #expect(v.label == "ham")
            #expect(v.action == .inbox)
            #expect(v.treeMargin == nil && v.textMargin == nil)
            #expect(v.rules.hits.map(\.name) == ["ALLOW_PAYPAL_LOOKALIKE", "SCORE_EVERYTHING"])
        }
    }

    /// The stages form one ordered list behind one protocol: rules, trees, text, combination for the
    /// shipped cascade; rules and text for a text-only model; no combination without trees.
    /// With ``CascadeManifest/rejectAgreement``, `reject` needs the text model and the trees to each say spam
    /// at that level; otherwise the message is quarantined and the verdict says why. The trees no longer
    /// reject alone: a message they would exit with at the reject level is confirmed by the combination, and
    /// scoring from logged features follows the same path.
    @Test func rejectNeedsTheStagesAgreement() throws {
        let phishing = try Data(contentsOf: TestSupport.repositoryRoot.appendingPathComponent("examples/phishing.eml"))
        let a = try Self.analyze([UInt8](phishing))
        func cascade(_ level: Double?) throws -> Cascade {
            var bundle = ShippedModel.bundle
            bundle.manifest.cascade?.rejectAgreement = level
            return try ShippedModel.cascade(bundle)
        }
        let plain = try cascade(nil)
        var scratch = plain.makeScratch()
        let unguarded = plain.classify(a, scratch: &scratch)
        try #require(unguarded.action == .reject && !unguarded.rejectWithheld)
        // Both stages are sure of this phishing message: the reject stands at a moderate level.
        let agreeing = try cascade(0.5)
        let v = agreeing.classify(a, scratch: &scratch)
        #expect(v.action == .reject && !v.rejectWithheld && v.stage == .combined)
        #expect(v.textMargin != nil && v.treeMargin != nil)
        // No stage alone is that sure: quarantined, and the first reason says why.
        let strict = try cascade(1 - 1e-12)
        let w = strict.classify(a, scratch: &scratch)
        #expect(w.action == .quarantine && w.rejectWithheld && w.probability == v.probability)
        #expect(strict.reasons(a, verdict: w).first?.feature == "reject_withheld")
        // The fallback (one stage) never rejects under the guard.
        #expect(strict.fallbackVerdict(a, scratch: &scratch).action <= .quarantine)

        guard let corpus = TestSupport.corpusRoot else { return }
        let dir = corpus.appendingPathComponent("spamassassin/messages")
        var treeRejects = 0, confirmed = 0
        for file in try FileManager.default.contentsOfDirectory(atPath: dir.path).sorted().filter({ $0.hasPrefix("spam") }).prefix(200) {
            guard let m = try? Self.analyze([UInt8](try Data(contentsOf: dir.appendingPathComponent(file)))) else { continue }
            let before = plain.classify(m, scratch: &scratch)
            guard before.stage == .trees && before.action == .reject else { continue }
            treeRejects += 1
            let after = agreeing.classify(m, scratch: &scratch)
            #expect(after.stage == .combined && after.textMargin != nil, "\(file)")
            if after.action == .reject { confirmed += 1 }
            let entry = agreeing.logEntry(m, verdict: after, messageID: file, time: 0, keys: SenderKeys(m), sender: nil, computeText: true, scratch: &scratch)
            let replayed = agreeing.probability(of: entry)
            #expect(replayed.stage == .combined && abs(replayed.probability - after.probability) <= 1e-9, "\(file)")
        }
        #expect(treeRejects > 20 && confirmed > treeRejects / 2, "\(confirmed) of \(treeRejects) tree rejects confirmed")
    }

    @Test func stagesRunInOrder() throws {
        let bundle = ShippedModel.bundle
        #expect(try ShippedModel.cascade(bundle).stages.map(\.kind) == [.rules, .trees, .text, .combined])
        #expect(Cascade(bundle: bundle, trees: nil).stages.map(\.kind) == [.rules, .text])
        var textOnly = bundle
        textOnly.manifest.cascade = nil
        #expect(Cascade(bundle: textOnly, trees: try ShippedModel.cascade(bundle).trees).stages.map(\.kind) == [.rules, .text])
        // A message decided by the trees never reaches the text model; one the trees pass on has both margins.
        guard let corpus = TestSupport.corpusRoot else { return }
        let cascade = try ShippedModel.cascade(bundle)
        var scratch = cascade.makeScratch()
        let dir = corpus.appendingPathComponent("spamassassin/messages")
        var stages: [Cascade.Stage: Int] = [:]
        for file in try FileManager.default.contentsOfDirectory(atPath: dir.path).sorted().prefix(300) {
            let bytes = [UInt8](try Data(contentsOf: dir.appendingPathComponent(file)))
            guard let a = try? Self.analyze(bytes) else { continue }
            let v = cascade.classify(a, scratch: &scratch)
            stages[v.stage, default: 0] += 1
            switch v.stage {
            case .trees: #expect(v.textMargin == nil && v.treeMargin != nil, "\(file)")
            case .combined: #expect(v.textMargin != nil && v.treeMargin != nil, "\(file)")
            case .transformer: #expect(v.transformerMargin != nil, "\(file)")
            case .rules, .text: Issue.record("\(file): decided by \(v.stage) with no rule hit and the trees loaded")
            }
        }
        #expect(stages[.trees, default: 0] > 100 && stages[.combined, default: 0] > 10, "\(stages)")
    }

    @Test func badRulesFilesAreRefusedWithTheLine() {
        func line(_ yaml: String) -> Int? {
            do {
                _ = try RulesFile.parse(yaml)
                return nil
            } catch {
                return error.line
            }
        }
        #expect(line("rules:\n  - name: A\n    gtube: true\n    action: reject\n") == nil)
        #expect(line("rules:\n  - name: A\n    gtube: true\n    action: explode\n") == 2)
        #expect(line("rules:\n  - name: A\n    gtube: true\n    action: reject\n  - name: B\n    client_ip: [300.1.2.3/8]\n    score: 1\n") == 5)
        #expect(line("rules:\n  - name: A\n    colour: blue\n    score: 1\n") == 3)
        #expect(line("rules:\n  - name: A\n    header: Subject\n    pattern: \"(unclosed\"\n    score: 1\n") == 2)
        #expect(line("rules:\n  - name: A\n    gtube: true\n") == 2)
        #expect(line("rules: [\n") != nil)
        #expect(line("other: 1\n") == 1)
    }

    @Test func networksMatchByPrefix() throws {
        let net = try #require(IPNetwork("192.0.2.0/24"))
        #expect(net.contains(try #require(IPAddress("192.0.2.77"))))
        #expect(!net.contains(try #require(IPAddress("192.0.3.1"))))
        let v6 = try #require(IPNetwork("2001:db8::/32"))
        #expect(v6.contains(try #require(IPAddress("2001:db8:1::5"))))
        #expect(!v6.contains(try #require(IPAddress("2001:db9::1"))))
        #expect(IPNetwork("10.0.0.0/33") == nil)
        #expect(IPNetwork("banana") == nil)
    }

    @Test func clientIPRulesReadTheEnvelope() throws {
        let rules = try RulesFile.parse("rules:\n  - name: BLOCK\n    client_ip: [198.51.100.0/24]\n    action: reject\n")
        let a = try Self.analyze(Self.message(from: "a@example.org", subject: "hi", body: "hello"))
        #expect(rules.evaluate(a, envelope: Envelope(clientIP: "198.51.100.9")).action == .reject)
        #expect(rules.evaluate(a, envelope: Envelope(clientIP: "203.0.113.9")).action == nil)
    }

    /// The shipped rules reject a DMARC failure under `p=reject`, read from the comment where servers write it, when
    /// the result is one the site trusts; the same field written by anyone else is taken out and decides nothing.
    @Test func dmarcRejectFailureIsReadFromTheComment() throws {
        let rules = ShippedModel.rules
        let trust = try AuthenticationTrust(authservIDs: ["mx.example.net"])
        let field = "Authentication-Results: mx.example.net; dmarc=fail (p=REJECT sp=REJECT dis=NONE) header.from=bank.example\r\n"
        let bytes = Self.message(from: "a@bank.example", subject: "hi", body: "hello", extra: field)
        #expect(rules.evaluate(try MessageAnalyzer().analyze(bytes, trust: trust), envelope: Envelope()).action == .reject)
        #expect(rules.evaluate(try Self.analyze(bytes), envelope: Envelope()).action == nil)
        let passing = try MessageAnalyzer().analyze(Self.message(
            from: "a@bank.example", subject: "hi", body: "hello",
            extra: "Authentication-Results: mx.example.net; dmarc=pass (p=REJECT) header.from=bank.example\r\n"
        ), trust: trust)
        #expect(passing.message.headers.first("authentication-results") != nil)
        #expect(rules.evaluate(passing, envelope: Envelope()).action == nil)
    }

    @Test func metadataColumnsAreNamedAndFilled() throws {
        #expect(MetadataFeature.allCases.count >= 50)
        #expect(Set(MetadataFeature.names).count == MetadataFeature.names.count)
        let a = try Self.analyze(Self.message(from: "Bob <bob123@mail.example.com>", subject: "FREE MONEY NOW!!!", body: "Visit http://192.0.2.1/x"))
        let v = MetadataFeatureExtractor().values(of: a)
        #expect(v.count == MetadataFeature.allCases.count)
        #expect(v[MetadataFeature.subjectAllCaps.rawValue] == 1)
        #expect(v[MetadataFeature.subjectExclamations.rawValue] == 3)
        #expect(v[MetadataFeature.fromLocalDigits.rawValue] == 3)
        #expect(v[MetadataFeature.urlIPHosts.rawValue] == 1)
        #expect(v[MetadataFeature.localHour.rawValue] == 10)
        #expect(v[MetadataFeature.weekday.rawValue] == 1)  // a Monday
        #expect(v[MetadataFeature.senderReputation.rawValue].isNaN)
        #expect(v[MetadataFeature.inReplyTo.rawValue] == 0 && v[MetadataFeature.listHeaders.rawValue] == 0)
        // A reply on a mailing list.
        let extra = "Return-Path: <l-bounces@example.net>\r\nIn-Reply-To: <0@example.net>\r\nReferences: <a@x> <b@x> <0@example.net>\r\nList-Id: <l.example.net>\r\n"
            + "List-Unsubscribe: <mailto:u@example.net>\r\nPrecedence: Bulk\r\nOrganization: Example\r\n"
        let reply = try Self.analyze(Self.message(from: "ann@example.net", subject: "Re: notes", body: "Thanks.", extra: extra))
        let r = MetadataFeatureExtractor().values(of: reply)
        #expect(r[MetadataFeature.inReplyTo.rawValue] == 1)
        #expect(r[MetadataFeature.referencesCount.rawValue] == 3)
        #expect(r[MetadataFeature.listHeaders.rawValue] == 2)
        #expect(r[MetadataFeature.listUnsubscribe.rawValue] == 1)
        #expect(r[MetadataFeature.precedenceBulk.rawValue] == 1)
        #expect(r[MetadataFeature.organizationPresent.rawValue] == 1)
    }

    /// XGBoost learns a rule on two columns, and the saved model reloads to the same margins; the
    /// contributions sum to the margin.
    @Test func boosterTrainsSavesAndExplains() throws {
        var rng = SplitMix64(seed: 7)
        var rows: [Float] = []
        var labels: [Float] = []
        for _ in 0..<600 {
            let x = Float(rng.next() % 1000) / 1000
            let y = Float(rng.next() % 1000) / 1000
            rows += [x, y, Float(rng.next() % 1000) / 1000]
            labels.append(x + y > 1 ? 1 : 0)
        }
        var parameters = TreeParameters()
        parameters.maxRounds = 60
        parameters.threads = 1
        let trained = try Booster.train(
            rows: rows, labels: labels, featureCount: 3, validation: (Array(rows.prefix(900)), Array(labels.prefix(300))), parameters: parameters
        )
        let booster = trained.booster
        let reloaded = try Booster(loading: try booster.serialized(), featureCount: 3)
        var correct = 0
        for i in 0..<600 {
            let row = Array(rows[(i * 3)..<(i * 3 + 3)])
            let m = try booster.margin(of: row)
            #expect(try reloaded.margin(of: row) == m)
            if (m > 0) == (labels[i] == 1) { correct += 1 }
            if i < 20 {
                let c = try booster.contributions(of: row)
                #expect(abs(c.reduce(0, +) - m) < 1e-3)
            }
        }
        #expect(correct >= 570)
        #expect(throws: BoosterError.self) { try Booster(loading: [1, 2, 3], featureCount: 3) }
        #expect(throws: BoosterError.self) { try Booster(loading: try booster.serialized(), featureCount: 4) }
    }

    /// 2,000 examples with inputs uniform in [-10, 10) and labels drawn from a logistic model with these
    /// weights and bias.
    static func logisticSample(weights: [Double], bias: Double, seed: UInt64) -> (inputs: [[Double]], labels: [Bool]) {
        var rng = SplitMix64(seed: seed)
        var inputs: [[Double]] = []
        var labels: [Bool] = []
        for _ in 0..<2_000 {
            let x = weights.map { _ in Double(rng.next() % 2000) / 100 - 10 }
            inputs.append(x)
            labels.append(Double(rng.next() % 10_000) / 10_000 < LinearModel.sigmoid(zip(weights, x).map(*).reduce(bias, +)))
        }
        return (inputs, labels)
    }

    @Test func stackedCombinerLearnsWeights() {
        let (inputs, labels) = Self.logisticSample(weights: [2, 0.5], bias: -1, seed: 3)
        let c = StackedCombiner.fit(inputs: inputs, labels: labels, l2: 1e-6)
        #expect(abs(c.weights[0] - 2) < 0.4)
        #expect(abs(c.weights[1] - 0.5) < 0.15)
        #expect(abs(c.bias + 1) < 0.4)
    }

    /// A refit pulled toward a prior: a strong pull keeps the prior, a weak one finds the data's weights, and
    /// one in between lands between them; example weights count like repeated examples.
    @Test func stackedCombinerRefitsTowardAPrior() {
        let (inputs, labels) = Self.logisticSample(weights: [2], bias: -1, seed: 5)
        let prior = StackedCombiner(weights: [0.5], bias: 3)
        let held = StackedCombiner.fit(inputs: inputs, labels: labels, l2: 1e9, prior: prior)
        #expect(abs(held.weights[0] - 0.5) < 1e-3 && abs(held.bias - 3) < 1e-3)
        let free = StackedCombiner.fit(inputs: inputs, labels: labels, l2: 1e-6, prior: prior)
        #expect(abs(free.weights[0] - 2) < 0.4, "\(free)")
        #expect(abs(free.bias + 1) < 0.4, "\(free)")
        let between = StackedCombiner.fit(inputs: inputs, labels: labels, l2: 50, prior: prior)
        #expect(between.bias > free.bias + 0.1 && between.bias < prior.bias - 0.1)
        let twice = StackedCombiner.fit(inputs: inputs + inputs, labels: labels + labels, l2: 50, prior: prior)
        let weighted = StackedCombiner.fit(inputs: inputs, labels: labels, exampleWeights: inputs.map { _ in 2 }, l2: 50, prior: prior)
        #expect(abs(twice.weights[0] - weighted.weights[0]) < 1e-6 && abs(twice.bias - weighted.bias) < 1e-6)
    }

    @Test func bundleSectionsRoundTrip() throws {
        let bundle = ShippedModel.bundle
        // The view models' sections travel too (the manifest names them; loading checks them).
        var sections: [String: [UInt8]] = ["trees": [1, 2, 3, 4], "x": []]
        for spec in bundle.manifest.cascade?.viewModels ?? [] { sections[spec.section] = bundle.sections[spec.section] }
        var copy = ModelBundle(manifest: bundle.manifest, model: bundle.model, trainer: nil, sections: sections)
        copy.manifest.version = "copy"
        let bytes = try copy.encoded()
        let decoded = try ModelBundle(decoding: bytes)
        #expect(decoded.sections == sections)
        var cut = bytes
        cut.removeLast(20)
        #expect(throws: ModelBundleError.self) { try ModelBundle(decoding: cut) }
    }
}
