import Foundation
import HTTPTypes
import Hummingbird
import Logging
import MailsiftCore
import NIOCore

/// The HTTP endpoints of `mailsift serve` (docs/serving.md): classification (one message, a batch), Rspamd's
/// `/checkv2`, health and readiness, Prometheus metrics, and the authenticated admin reload.
public struct HTTPAPI: Sendable {
    public let service: ClassificationService
    public let reloader: ModelReloader

    public init(service: ClassificationService, reloader: ModelReloader) {
        self.service = service
        self.reloader = reloader
    }

    var configuration: ServerConfiguration { service.configuration }

    public func router() -> Router<BasicRequestContext> {
        let router = Router()
        router.add(middleware: RequestLogMiddleware(logger: service.logger))
        router.get("healthz") { _, _ in Self.json(["status": "ok"]) }
        router.get("readyz") { _, _ in
            guard let model = service.models.model else {
                return Self.json(["status": "loading"], status: .serviceUnavailable, headers: [.retryAfter: "1"])
            }
            return Self.json(["status": "ready", "model_version": model.version])
        }
        router.get("metrics") { _, _ in
            let start = ContinuousClock.now
            defer { service.metrics.request(.metrics, .now - start) }
            return Response(
                status: .ok, headers: [.contentType: "text/plain; version=0.0.4; charset=utf-8"],
                body: .init(byteBuffer: ByteBuffer(bytes: service.metrics.render())))
        }
        router.post("v1/classify") { request, context in
            try await classifyOne(request, context, endpoint: .classify) { request, result in
                Self.json(bytes: result.json())
            }
        }
        router.post("checkv2") { request, context in
            try await classifyOne(request, context, endpoint: .checkv2) { request, result in
                let scale = ScoreScale(service.models.model?.cascade.operatingPoints)
                return Self.json(RspamdReply(result, scale: scale, queueID: request.headers[.init("Queue-Id")!]))
            }
        }
        router.post("v1/classify/batch") { request, context in try await batch(request, context) }
        router.post("v1/feedback") { request, _ in try await feedback(request) }
        router.post("v1/sent") { request, _ in try await sent(request) }
        router.post("v1/report") { request, _ in
            try await withFeedbackBody(request, limit: configuration.maxMessageBytes, tooLarge: "message larger than max_message_bytes") {
                await report($0, headers: request.headers, query: request.uri.queryParameters)
            }
        }
        router.post("admin/reload") { request, _ in
            try await admin(request) {
                let outcome = await reloader.reload(trigger: "POST /admin/reload")
                service.audit.record(actor: "admin", action: "reload", detail: outcome.loaded ? "loaded \(outcome.modelVersion ?? "")" : "refused")
                return Self.json(outcome, status: outcome.loaded ? .ok : .unprocessableContent)
            }
        }
        router.post("admin/fuzzy") { request, _ in
            try await admin(request) {
                switch try await collect(request, upTo: configuration.maxMessageBytes, tooLarge: "message larger than max_message_bytes") {
                case .refused(let reply): return reply
                case .body(let body): return await addFuzzy(body, query: request.uri.queryParameters)
                }
            }
        }
        router.delete("admin/fuzzy/:id") { request, context in
            try await admin(request) {
                let id = context.parameters.get("id") ?? ""
                guard let removed = await service.fuzzy.remove(id: id) else { return Self.error("no fuzzy list entry \(id)", status: .notFound) }
                service.audit.record(actor: "admin", action: "fuzzy_remove", detail: id)
                var w = JSONWriter(capacity: 96)
                w.beginObject()
                w.field("entries", service.fuzzy.count)
                w.field("removed", id)
                if let saved = removed.saved { w.field("saved", saved) }
                if let shared = removed.shared { w.field("shared", shared) }
                w.endObject()
                return Self.json(bytes: w.bytes)
            }
        }
        router.get("admin/fuzzy") { request, _ in
            try await admin(request) {
                let entries = service.fuzzy.entries
                var w = JSONWriter(capacity: 64 + entries.count * 96)
                w.beginObject()
                w.field("count", entries.count)
                w.key("entries")
                w.beginArray()
                for e in entries.suffix(1_000) {
                    w.beginObject()
                    w.field("id", e.id)
                    w.field("action", e.action.rawValue)
                    w.field("note", e.note)
                    w.field("added", Int(e.added))
                    w.endObject()
                }
                w.endArray()
                w.endObject()
                return Self.json(bytes: w.bytes)
            }
        }
        router.get("admin/ab") { request, _ in
            try await admin(request) {
                guard let ab = service.ab else { return Self.error("no A/B test: set ab_model", status: .notFound) }
                return Self.json(ab.summary)
            }
        }
        router.get("admin/shadow") { request, _ in
            try await admin(request) {
                guard let shadow = service.shadow else { return Self.error("no shadow model: set shadow_model", status: .notFound) }
                return Self.json(shadow.summary)
            }
        }
        if let ledger = service.ledger { DashboardAPI(service: service, reloader: reloader, ledger: ledger).add(to: router) }
        return router
    }

    // MARK: - Classification

    /// Reads one message body, classifies it and answers with `reply`; the errors every classification
    /// endpoint shares (overload, too large, not ready, unparsable).
    private func classifyOne(
        _ request: Request, _ context: BasicRequestContext, endpoint: ServerMetrics.Endpoint,
        reply: @Sendable (Request, ClassificationService.Result) throws -> Response
    ) async throws -> Response {
        try await admitted(request, endpoint: endpoint, limit: configuration.maxMessageBytes, what: "message") { request, body in
            try await classify(request, body, endpoint: endpoint, reply: reply)
        }
    }

    /// Reads the body up to `limit` bytes (413 past it), then takes an admission slot (503 when none is
    /// free) and runs `handle` with it; the request is timed for `endpoint` from when its body is in. A slot
    /// is taken only once the whole body is in, so clients that send slowly hold no slot (the listener's
    /// ``ConnectionGuard`` closes them when they fall below the minimum rate or past the request timeout).
    private func admitted(
        _ request: Request, endpoint: ServerMetrics.Endpoint, limit: Int, what: String,
        _ handle: (Request, ByteBuffer) async throws -> Response
    ) async throws -> Response {
        let body: ByteBuffer
        switch try await collect(request, upTo: limit, tooLarge: "\(what) larger than \(limit) bytes") {
        case .body(let b): body = b
        case .refused(let reply): return reply
        }
        let arrival = ContinuousClock.now
        defer { service.metrics.request(endpoint, .now - arrival) }
        guard service.admit() else { return Self.overloaded() }
        defer { service.release() }
        return try await handle(request, body)
    }

    private func classify(
        _ request: Request, _ body: ByteBuffer, endpoint: ServerMetrics.Endpoint,
        reply: @Sendable (Request, ClassificationService.Result) throws -> Response
    ) async throws -> Response {
        let envelope = endpoint == .checkv2 ? Self.rspamdEnvelope(request.headers) : Self.envelope(request.headers)
        let reasons = request.uri.queryParameters.get("reasons", as: Int.self).map { min(max($0, 0), 64) }
        let result: ClassificationService.Result
        do {
            // The budget counts from the whole body read (a slow client sets that pace).
            result = try await service.classify(Array(body.readableBytesView), envelope: envelope, reasons: reasons)
        } catch {
            return Self.serviceError(error)
        }
        return try reply(request, result)
    }

    struct BatchItemReply {
        var id: String?
        var result: ClassificationService.Result?
        var error: String?
    }

    static func batchJSON(_ replies: [BatchItemReply]) -> [UInt8] {
        var w = JSONWriter(capacity: replies.count * 1_024 + 16)
        w.beginObject()
        w.key("results")
        w.beginArray()
        for reply in replies {
            w.beginObject()
            if let error = reply.error { w.field("error", error) }
            w.field("id", reply.id)
            if let result = reply.result {
                w.key("result")
                result.write(into: &w)
            }
            w.endObject()
        }
        w.endArray()
        w.endObject()
        return w.bytes
    }

    private func batch(_ request: Request, _ context: BasicRequestContext) async throws -> Response {
        try await admitted(request, endpoint: .batch, limit: configuration.maxBatchBytes, what: "batch") { request, body in
            try await classifyBatch(request, body)
        }
    }

    private func classifyBatch(_ request: Request, _ body: ByteBuffer) async throws -> Response {
        let items: [BatchRequest.Item]
        do {
            // A large batch is decoded on NIO's thread pool, as large messages are classified there.
            items = try await ClassificationService.run(offloaded: body.readableBytes >= ClassificationService.offloadBytes) {
                try BatchRequest.decode(body.readableBytesView)
            }
        } catch {
            service.metrics.rejected(.badRequest)
            return Self.error("expected {\"messages\": [{\"id\", \"message\" (base64), \"envelope\"}]}: \(error)", status: .badRequest)
        }
        guard items.count <= configuration.maxBatchMessages else {
            service.metrics.rejected(.tooLarge)
            return Self.error("more than \(configuration.maxBatchMessages) messages in one batch", status: .contentTooLarge)
        }
        guard service.models.model != nil else { return Self.serviceError(.notReady) }
        let reasons = request.uri.queryParameters.get("reasons", as: Int.self).map { min(max($0, 0), 64) }
        var replies: [BatchItemReply] = []
        replies.reserveCapacity(items.count)
        let limit = configuration.maxMessageBytes
        for item in items {
            let bytes: [UInt8]
            switch await ClassificationService.run(offloaded: item.message.utf8.count >= ClassificationService.offloadBytes, { item.message(limit: limit) }) {
            case .success(let b): bytes = b
            case .failure(let why):
                replies.append(BatchItemReply(id: item.id, error: why.description))
                continue
            }
            do {
                let result = try await service.classify(bytes, envelope: item.envelope?.envelope ?? Envelope(), reasons: reasons)
                replies.append(BatchItemReply(id: item.id, result: result))
            } catch {
                replies.append(BatchItemReply(id: item.id, error: error.description))
            }
        }
        return Self.json(bytes: Self.batchJSON(replies))
    }

    // MARK: - Feedback

    /// `POST /v1/feedback`: one report or an array of them, JSON, with the feedback bearer token. Stored
    /// durably before the reply; a report already stored (same message, user and time) is counted as a
    /// duplicate, so a client may retry.
    private func feedback(_ request: Request) async throws -> Response {
        try await withFeedbackBody(request, limit: 1 << 20, tooLarge: "feedback larger than 1 MiB; send fewer reports per request") {
            try await feedback(body: $0)
        }
    }

    /// Times a request of the feedback family, checks its bearer token (the feedback token, else the admin
    /// token) and reads its body up to `limit` bytes (413 past it), then runs `handle` with it.
    private func withFeedbackBody(
        _ request: Request, limit: Int, tooLarge: String, _ handle: (ByteBuffer) async throws -> Response
    ) async throws -> Response {
        let start = ContinuousClock.now
        defer { service.metrics.request(.feedback, .now - start) }
        let token = configuration.feedbackToken ?? configuration.adminToken
        if let refusal = authorize(request, token: token, name: "feedback_token or admin_token") { return refusal }
        switch try await collect(request, upTo: limit, tooLarge: tooLarge) {
        case .body(let body): return try await handle(body)
        case .refused(let reply): return reply
        }
    }

    private enum Collected {
        case body(ByteBuffer)
        case refused(Response)
    }

    /// The request's body up to `limit` bytes, or the 413 reply (counted) when it is larger.
    private func collect(_ request: Request, upTo limit: Int, tooLarge: String) async throws -> Collected {
        var request = request
        do {
            return .body(try await request.collectBody(upTo: limit))
        } catch is NIOTooManyBytesError {
            service.metrics.rejected(.tooLarge)
            return .refused(Self.error(tooLarge, status: .contentTooLarge))
        }
    }

    private func feedback(body: ByteBuffer) async throws -> Response {
        let reports: [Feedback]
        do {
            reports = try FeedbackRequest.decode(body.readableBytesView, now: Int64(Date().timeIntervalSince1970))
        } catch {
            service.metrics.rejected(.badRequest)
            return Self.error("expected {\"message_id\", \"user\", \"label\": \"spam\" or \"ham\", \"time\"} or an array of them: \(error)", status: .badRequest)
        }
        do {
            let counts = try await service.learning.record(reports)
            service.ab?.record(reports)
            service.ledger?.record(counts.new)
            service.audit.record(actor: "feedback", action: "feedback", detail: "\(counts.stored) stored, \(counts.duplicates) duplicates")
            return Self.json(["stored": counts.stored, "duplicates": counts.duplicates])
        } catch {
            switch error {
            case .noStore, .storeFailed: return Self.error(error.description, status: .serviceUnavailable)
            case .invalid: return Self.error(error.description, status: .badRequest)
            }
        }
    }

    /// A 400 reply, as an error (``analyse(_:)``'s failure).
    struct Refusal: Error {
        var response: Response
    }

    /// The analysis of a raw message posted to an endpoint (not cached: an example is not mail), or the 400 reply.
    private func analyse(_ body: ByteBuffer) -> Result<AnalyzedMessage, Refusal> {
        do {
            return .success(try service.analyzer(cached: false).analyze(Array(body.readableBytesView)))
        } catch {
            service.metrics.rejected(.badRequest)
            return .failure(Refusal(response: Self.error("the message cannot be parsed: \(error)", status: .badRequest)))
        }
    }

    /// `POST /admin/fuzzy?action=block|allow[&note=...]`: the raw message is the campaign's example; its fingerprint
    /// (not the message) goes into the fuzzy list, here, in the file and in Redis.
    private func addFuzzy(_ body: ByteBuffer, query: Hummingbird.Parameters) async -> Response {
        guard let raw = query.get("action"), let action = FuzzyList.Entry.Action(rawValue: String(raw)) else {
            service.metrics.rejected(.badRequest)
            return Self.error("give ?action=block or ?action=allow", status: .badRequest)
        }
        let analysed: AnalyzedMessage
        switch analyse(body) {
        case .success(let a): analysed = a
        case .failure(let refusal): return refusal.response
        }
        let note = query.get("note").map { String($0) } ?? ""
        let added = await service.fuzzy.add(FuzzyList.Entry(
            action: action, fingerprint: CampaignFingerprint(analysed), images: analysed.images?.compactMap(\.phash) ?? [], note: note,
            added: Int64(Date().timeIntervalSince1970)))
        if added.refusal == nil { service.audit.record(actor: "admin", action: "fuzzy_add", detail: added.entry.id) }
        if added.refusal == .unusable {
            return Self.error("the message is too short for a fingerprint (16 shingles of text, 2 links, or an image)", status: .unprocessableContent)
        }
        if added.refusal == .full {
            return Self.error("the fuzzy list is full (\(FuzzyList.capacity) entries)", status: .serviceUnavailable)
        }
        var w = JSONWriter(capacity: 160)
        w.beginObject()
        w.field("id", added.entry.id)
        w.field("action", action.rawValue)
        w.field("added", added.refusal == nil)
        w.field("text", added.entry.text != nil)
        w.field("links", added.entry.links != nil)
        w.field("images", added.entry.images?.count ?? 0)
        if let saved = added.saved { w.field("saved", saved) }
        if let shared = added.shared { w.field("shared", shared) }
        w.field("entries", service.fuzzy.count)
        w.endObject()
        return Self.json(bytes: w.bytes)
    }

    /// `POST /v1/sent`: a message a local user sent (the raw message, envelope headers as for classify),
    /// with the feedback bearer token: its recipients become the sender's contacts in the communication graph, and
    /// its Message-ID one that replies may name (``ReplyClaim``).
    private func sent(_ request: Request) async throws -> Response {
        try await withFeedbackBody(request, limit: configuration.maxMessageBytes, tooLarge: "message larger than max_message_bytes") {
            await recordSent($0, headers: request.headers)
        }
    }

    /// `POST /v1/report?label=spam|ham` with the raw message and `X-User` (the user reporting), with the feedback
    /// token: the report is stored as feedback (by the message's key; with a store) and counted toward the message's
    /// campaign, which enters the fuzzy list once `fuzzy_report_users` users have reported it alike.
    private func report(_ body: ByteBuffer, headers: HTTPFields, query: Hummingbird.Parameters) async -> Response {
        guard let raw = query.get("label"), let label = Feedback.Label(rawValue: String(raw)) else {
            service.metrics.rejected(.badRequest)
            return Self.error("give ?label=spam or ?label=ham", status: .badRequest)
        }
        guard let user = headers[.init("X-User")!], !user.isEmpty else {
            service.metrics.rejected(.badRequest)
            return Self.error("give the reporting user in X-User", status: .badRequest)
        }
        let analysed: AnalyzedMessage
        switch analyse(body) {
        case .success(let a): analysed = a
        case .failure(let refusal): return refusal.response
        }
        let now = Int64(Date().timeIntervalSince1970)
        var stored: Bool?
        if service.learning.store != nil {
            do {
                let report = Feedback(messageID: MessageKey.of(analysed.message), user: user, label: label, time: now)
                let counts = try await service.learning.record([report])
                stored = counts.stored == 1
                service.ab?.record([report])
                service.ledger?.record(counts.new)
            } catch {
                if case .invalid(let why) = error {
                    service.metrics.rejected(.badRequest)
                    return Self.error("invalid report: \(why)", status: .badRequest)
                }
                stored = false
            }
        }
        let added = await service.fuzzy.report(
            CampaignFingerprint(analysed), images: analysed.images?.compactMap(\.phash) ?? [], label: label, user: user)
        // The user's address is not written: the report's label and what it did are.
        service.audit.record(actor: "feedback", action: "report", detail: "label \(label.rawValue)" + (added.map { " added \($0.entry.id)" } ?? ""))
        var w = JSONWriter(capacity: 128)
        w.beginObject()
        if let added, added.refusal == nil { w.field("fuzzy_added", added.entry.id) }
        w.field("label", label.rawValue)
        if let stored { w.field("stored", stored) }
        w.endObject()
        return Self.json(bytes: w.bytes)
    }

    private func recordSent(_ body: ByteBuffer, headers: HTTPFields) async -> Response {
        let message: Message
        do {
            message = try MessageParser().parse(Array(body.readableBytesView))
        } catch {
            service.metrics.rejected(.badRequest)
            return Self.error("the message cannot be parsed: \(error)", status: .badRequest)
        }
        let recorded = await service.learning.recordSent(message, envelope: Self.envelope(headers), at: Int64(Date().timeIntervalSince1970))
        service.audit.record(actor: "feedback", action: "sent", detail: "\(recorded) recipients recorded")
        guard recorded > 0 else {
            service.metrics.rejected(.badRequest)
            return Self.error("no sender or no recipients: give From and To (or X-Envelope-From and X-Envelope-To)", status: .badRequest)
        }
        return Self.json(["recorded": recorded])
    }

    // MARK: - Envelope

    /// Envelope data of `/v1/classify`: `X-Client-IP`, `X-Helo`, `X-Envelope-From`, `X-Envelope-To`
    /// (repeatable, or comma-separated), `X-User`.
    static func envelope(_ h: HTTPFields) -> Envelope {
        Envelope(
            clientIP: h[.init("X-Client-IP")!], helo: h[.init("X-Helo")!], mailFrom: h[.init("X-Envelope-From")!],
            recipients: recipients(h, .init("X-Envelope-To")!), user: h[.init("X-User")!])
    }

    /// Envelope data in Rspamd's request headers: `IP`, `Helo`, `From`, `Rcpt` (repeatable), `User`.
    static func rspamdEnvelope(_ h: HTTPFields) -> Envelope {
        Envelope(clientIP: h[.init("IP")!], helo: h[.init("Helo")!], mailFrom: h[.init("From")!], recipients: recipients(h, .init("Rcpt")!), user: h[.init("User")!])
    }

    private static func recipients(_ h: HTTPFields, _ name: HTTPField.Name) -> [String] {
        h[values: name].flatMap { $0.split(separator: ",") }.map { $0.trimmingCharacters(in: .whitespaces) }.filter { !$0.isEmpty }
    }

    // MARK: - Admin

    /// Times an admin request and checks the admin token, then runs `handle`.
    private func admin(_ request: Request, _ handle: () async throws -> Response) async throws -> Response {
        let start = ContinuousClock.now
        defer { service.metrics.request(.admin, .now - start) }
        if let refusal = authorize(request, token: configuration.adminToken, name: "admin_token (MAILSIFT_ADMIN_TOKEN)") { return refusal }
        return try await handle()
    }

    /// Nil when the request carries `token` as its bearer token; otherwise the refusal (403 when no token
    /// is configured, naming the setting, 401 otherwise). The comparison takes the same time wherever the
    /// tokens differ.
    func authorize(_ request: Request, token: String?, name: String) -> Response? {
        guard let token else {
            service.metrics.rejected(.unauthorized)
            return Self.error("this endpoint is disabled: set \(name)", status: .forbidden)
        }
        let given = request.headers[.authorization].flatMap { value -> Substring? in
            value.lowercased().hasPrefix("bearer ") ? value.dropFirst(7) : nil
        }
        guard let given, Self.constantTimeEquals(Array(given.utf8), Array(token.utf8)) else {
            service.metrics.rejected(.unauthorized)
            return Self.error("a valid bearer token is required", status: .unauthorized, headers: [.wwwAuthenticate: "Bearer"])
        }
        return nil
    }

    static func constantTimeEquals(_ a: [UInt8], _ b: [UInt8]) -> Bool {
        var diff = UInt8(a.count == b.count ? 0 : 1)
        for i in 0..<max(a.count, b.count) { diff |= (i < a.count ? a[i] : 0) ^ (i < b.count ? b[i] : 0) }
        return diff == 0
    }

    // MARK: - Responses

    static func json(_ value: some Encodable, status: HTTPResponse.Status = .ok, headers: HTTPFields = [:]) -> Response {
        let encoder = JSONEncoder()
        encoder.keyEncodingStrategy = .convertToSnakeCase
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        var headers = headers
        headers[.contentType] = "application/json"
        let data = (try? encoder.encode(value)) ?? Data("{\"error\":\"cannot encode the reply\"}".utf8)
        return Response(status: status, headers: headers, body: .init(byteBuffer: ByteBuffer(bytes: data)))
    }

    static func json(bytes: [UInt8], status: HTTPResponse.Status = .ok) -> Response {
        Response(status: status, headers: [.contentType: "application/json"], body: .init(byteBuffer: ByteBuffer(bytes: bytes)))
    }

    static func error(_ message: String, status: HTTPResponse.Status, headers: HTTPFields = [:]) -> Response {
        json(["error": message], status: status, headers: headers)
    }

    static func overloaded() -> Response {
        error("too many requests in flight; retry shortly", status: .serviceUnavailable, headers: [.retryAfter: "1"])
    }

    static func serviceError(_ error: ClassificationService.ServiceError) -> Response {
        switch error {
        case .notReady:
            return Self.error(error.description, status: .serviceUnavailable, headers: [.retryAfter: "1"])
        case .unparsable:
            return Self.error(error.description, status: .unprocessableContent)
        }
    }
}

/// Rspamd's `/checkv2` reply: score and required score on Rspamd's scale (``ScoreScale``), its action
/// name, and one symbol per reason plus `MAILSIFT_VERDICT`.
struct RspamdReply: Encodable {
    struct Symbol: Encodable {
        var name: String
        var score: Double
        var metricScore: Double
        var description: String
    }

    var isSkipped = false
    var score: Double
    var requiredScore: Double
    var action: String
    var symbols: [String: Symbol]
    var messages: [String: String] = [:]
    var messageId: String?
    var queueId: String?
    var timeReal: Double
    var milter: [String: [String: String]]

    init(_ r: ClassificationService.Result, scale: ScoreScale, queueID: String?) {
        score = scale.score(probability: r.probability, action: r.action, stage: r.stage)
        requiredScore = ScoreScale.rejectScore
        action = ScoreScale.rspamdAction(r.action)
        var symbols: [String: Symbol] = [:]
        let verdict = String(format: "probability %.4f, %@ decided by %@, model %@%@", r.probability, r.label, r.stage.rawValue, r.modelVersion, r.degraded ? " (degraded: \(r.fallback ?? ""))" : "")
        symbols["MAILSIFT_VERDICT"] = Symbol(name: "MAILSIFT_VERDICT", score: score, metricScore: score, description: verdict)
        for reason in r.reasons {
            let name = ScoreScale.symbol(reason)
            guard symbols[name] == nil else { continue }
            let w = (r.spamWeight(reason) * 100).rounded() / 100
            symbols[name] = Symbol(name: name, score: w, metricScore: w, description: reason.text)
        }
        self.symbols = symbols
        messageId = r.messageId
        queueId = queueID
        timeReal = Double(r.timings.totalMicroseconds) / 1e6
        var headers = ["X-Spam-Flag": r.isSpam ? "YES" : "NO", "X-Spam-Score": String(format: "%.2f", score)]
        if let results = r.authenticationResults { headers["Authentication-Results"] = results }
        milter = ["add_headers": headers]
    }

    enum CodingKeys: String, CodingKey {
        case isSkipped = "is_skipped", score, requiredScore = "required_score", action, symbols, messages
        case messageId = "message-id", queueId = "queue_id", timeReal = "time_real", milter
    }
}
