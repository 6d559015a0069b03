import Foundation
import HTTPTypes
import Hummingbird
import MailsiftCore
import NIOCore

/// The dashboard's routes under `/ui` (docs/operations.md): a login form that opens a session with the admin token,
/// the pages (``DashboardPages``), the reload button and logging out. Every page needs a live session; every form
/// (the login form included) carries a CSRF token checked in constant time, and a POST whose `Origin` or
/// `Sec-Fetch-Site` says it came from another site is refused. Pages are sent with a strict Content-Security-Policy
/// (scripts and styles from `/ui/static/` only), not cached and not framed.
struct DashboardAPI: Sendable {
    let service: ClassificationService
    let reloader: ModelReloader
    let ledger: DashboardLedger
    let sessions = DashboardSessions()

    var configuration: ServerConfiguration { service.configuration }

    func add(to router: Router<BasicRequestContext>) {
        router.get("ui/static/dashboard.css") { _, _ in Self.asset(DashboardPages.css, type: "text/css; charset=utf-8") }
        router.get("ui/static/dashboard.js") { _, _ in Self.asset(DashboardPages.script, type: "text/javascript; charset=utf-8") }
        router.get("ui/login") { request, _ in timed { loginForm(request, error: nil, status: .ok) } }
        router.post("ui/login") { request, _ in try await timed { try await login(request) } }
        router.post("ui/logout") { request, _ in
            try await form(request) { id in
                sessions.close(id)
                service.audit.record(actor: "admin", action: "dashboard_logout", detail: "")
                return Self.redirect("/ui/login", cookies: [DashboardSessions.setCookie(DashboardSessions.cookie, "", maxAge: 0)])
            }
        }
        router.post("ui/reload") { request, _ in
            try await form(request) { _ in
                let outcome = await reloader.reload(trigger: "dashboard")
                service.audit.record(actor: "admin", action: "reload", detail: (outcome.loaded ? "loaded \(outcome.modelVersion ?? "")" : "refused") + " (dashboard)")
                let said = outcome.loaded ? "Reloaded: serving \(outcome.modelVersion ?? "?") (was \(outcome.previousVersion ?? "none"))." : "Reload refused: \(outcome.error ?? "unknown error"); the previous model still serves."
                var query = URLComponents()
                query.queryItems = [URLQueryItem(name: "outcome", value: said)]
                return Self.redirect("/ui/models?" + (query.percentEncodedQuery ?? ""))
            }
        }
        for page in DashboardPages.Page.allCases {
            router.get(RouterPath(stringLiteral: String(page.path.dropFirst()))) { request, _ in
                render(request) { snapshot in
                    switch page {
                    case .overview: return DashboardPages.overview(snapshot)
                    case .scores: return DashboardPages.scores(snapshot)
                    case .models: return DashboardPages.models(snapshot, outcome: request.uri.queryParameters.get("outcome").map { String($0) })
                    case .feedback: return DashboardPages.feedback(snapshot)
                    case .verdicts:
                        let given = request.uri.queryParameters.get("id").map { String($0).trimmingCharacters(in: .whitespaces) } ?? ""
                        let search: String? = given.isEmpty ? nil : String(given.prefix(998))
                        var s = snapshot
                        s.recent = ledger.read { $0.recent(limit: 100, key: search) }
                        let remembered = search.flatMap { key in ledger.read { $0.verdict(key) } }
                        return DashboardPages.verdicts(s, search: search, remembered: remembered)
                    }
                }
            }
        }
    }

    // MARK: - Login

    private func loginForm(_ request: Request, error: String?, status: HTTPResponse.Status) -> Response {
        if let refusal = disabled() { return refusal }
        // The form's CSRF token is also its cookie's value: a page of another site can post the form, but not send
        // the cookie's value with it.
        let token = request.cookies[DashboardSessions.loginCookie]?.value.nilIfEmpty ?? DashboardSessions.token()
        return Self.html(
            DashboardPages.login(csrf: token, error: error), status: status,
            cookies: [DashboardSessions.setCookie(DashboardSessions.loginCookie, token, maxAge: 3_600)])
    }

    private func login(_ request: Request) async throws -> Response {
        if let refusal = disabled() { return refusal }
        if let refusal = crossSite(request) { return refusal }
        guard let fields = try await Self.formFields(request) else { return Self.html(DashboardPages.message("Refused", "The form is too large."), status: .contentTooLarge) }
        let cookie = request.cookies[DashboardSessions.loginCookie]?.value ?? ""
        guard !cookie.isEmpty, HTTPAPI.constantTimeEquals(Array((fields["csrf"] ?? "").utf8), Array(cookie.utf8)) else {
            service.metrics.rejected(.unauthorized)
            return loginForm(request, error: "The form expired or did not come from this page; log in again.", status: .forbidden)
        }
        guard !sessions.throttled() else {
            service.metrics.rejected(.unauthorized)
            return Self.html(DashboardPages.message("Too many attempts", "Too many failed logins in the last minute; wait a minute."), status: .tooManyRequests, headers: [.retryAfter: "60"])
        }
        guard let expected = configuration.adminToken, HTTPAPI.constantTimeEquals(Array((fields["token"] ?? "").utf8), Array(expected.utf8)) else {
            service.metrics.rejected(.unauthorized)
            _ = sessions.failed()
            service.audit.record(actor: "anonymous", action: "dashboard_login_failed", detail: "")
            return loginForm(request, error: "That is not the admin token.", status: .unauthorized)
        }
        let opened = sessions.open()
        service.audit.record(actor: "admin", action: "dashboard_login", detail: "")
        return Self.redirect("/ui", cookies: [
            DashboardSessions.setCookie(DashboardSessions.cookie, opened.id, maxAge: Int(DashboardSessions.lifetime.components.seconds)),
            DashboardSessions.setCookie(DashboardSessions.loginCookie, "", maxAge: 0),
        ])
    }

    // MARK: - Pages and forms

    /// A page for a live session (else the login form), made from a snapshot of the server.
    private func render(_ request: Request, _ render: (DashboardPages.Snapshot) -> String) -> Response {
        timed {
            if let refusal = disabled() { return refusal }
            guard let session = sessions.session(request.cookies[DashboardSessions.cookie]?.value) else { return Self.redirect("/ui/login") }
            return Self.html(render(snapshot(csrf: session.csrf)))
        }
    }

    /// A form's POST: a live session, a request from this site, and the session's CSRF token; then `handle` with the
    /// session's id.
    private func form(_ request: Request, _ handle: (String) async throws -> Response) async throws -> Response {
        try await timed {
            if let refusal = disabled() { return refusal }
            if let refusal = crossSite(request) { return refusal }
            let id = request.cookies[DashboardSessions.cookie]?.value ?? ""
            guard let session = sessions.session(id) else { return Self.redirect("/ui/login") }
            guard let fields = try await Self.formFields(request) else { return Self.html(DashboardPages.message("Refused", "The form is too large."), status: .contentTooLarge) }
            guard HTTPAPI.constantTimeEquals(Array((fields["csrf"] ?? "").utf8), Array(session.csrf.utf8)) else {
                service.metrics.rejected(.unauthorized)
                service.audit.record(actor: "admin", action: "dashboard_csrf_refused", detail: request.uri.path)
                return Self.html(DashboardPages.message("Refused", "The form's CSRF token is missing or wrong; reload the page and try again."), status: .forbidden)
            }
            return try await handle(id)
        }
    }

    private func snapshot(csrf: String) -> DashboardPages.Snapshot {
        let now = Int64(Date().timeIntervalSince1970)
        var s = DashboardPages.Snapshot(now: now, csrf: csrf)
        ledger.read { l in
            s.minutes = l.minutes(60, now: now)
            s.hours = l.hours(24, now: now)
            s.days = l.days(31, now: now)
            s.total = l.total
        }
        s.inFlight = service.requestsInFlight
        s.breaker = service.breaker.state.rawValue
        if let m = service.models.model {
            let manifest = m.cascade.bundle.manifest
            s.model = DashboardPages.ModelInfo(
                version: m.version, loadedAt: m.loadedAt, path: m.path, points: m.cascade.operatingPoints, mode: manifest.cascade?.mode.rawValue,
                trainingMessages: manifest.training.messages, createdAt: manifest.training.createdAt,
                outOfFold: manifest.cascade.flatMap { $0.outOfFold[$0.mode.rawValue] } ?? manifest.training.outOfFold,
                histogram: manifest.cascade?.scoreHistogram)
        }
        s.shadow = service.shadow?.summary
        s.ab = service.ab?.summary
        s.drift = configuration.drift ? service.drift.report(at: now) : nil
        return s
    }

    /// The refusal when the dashboard cannot be used: no admin token is configured.
    private func disabled() -> Response? {
        guard configuration.adminToken == nil else { return nil }
        service.metrics.rejected(.unauthorized)
        return Self.html(DashboardPages.message("Dashboard disabled", "Set admin_token (MAILSIFT_ADMIN_TOKEN) to use the dashboard."), status: .forbidden)
    }

    /// The refusal of a POST from another site: an `Origin` that is not this host, or `Sec-Fetch-Site: cross-site`.
    private func crossSite(_ request: Request) -> Response? {
        let fetchSite = request.headers[.init("Sec-Fetch-Site")!]
        var foreign = fetchSite == "cross-site" || fetchSite == "same-site"
        if let origin = request.headers[.origin] {
            let host = request.head.authority ?? ""
            let originHost = URLComponents(string: origin).map { ($0.host ?? "") + ($0.port.map { ":\($0)" } ?? "") }
            if origin == "null" || originHost == nil || originHost!.lowercased() != host.lowercased() { foreign = true }
        }
        guard foreign else { return nil }
        service.metrics.rejected(.unauthorized)
        return Self.html(DashboardPages.message("Refused", "This form was sent from another site."), status: .forbidden)
    }

    private func timed<T>(_ body: () throws -> T) rethrows -> T {
        let start = ContinuousClock.now
        defer { service.metrics.request(.admin, .now - start) }
        return try body()
    }

    private func timed<T>(_ body: () async throws -> T) async rethrows -> T {
        let start = ContinuousClock.now
        defer { service.metrics.request(.admin, .now - start) }
        return try await body()
    }

    // MARK: - Responses

    /// `application/x-www-form-urlencoded` fields of a body of at most 8 KiB (nil past it).
    static func formFields(_ request: Request) async throws -> [String: String]? {
        var request = request
        let body: ByteBuffer
        do {
            body = try await request.collectBody(upTo: 8_192)
        } catch is NIOTooManyBytesError {
            return nil
        }
        return parseForm(String(decoding: body.readableBytesView, as: UTF8.self))
    }

    static func parseForm(_ text: String) -> [String: String] {
        var fields: [String: String] = [:]
        for pair in text.split(separator: "&").prefix(32) {
            let parts = pair.split(separator: "=", maxSplits: 1, omittingEmptySubsequences: false)
            func decode(_ s: Substring) -> String { String(s).replacingOccurrences(of: "+", with: " ").removingPercentEncoding ?? "" }
            let name = decode(parts[0])
            if fields[name] == nil { fields[name] = parts.count > 1 ? decode(parts[1]) : "" }
        }
        return fields
    }

    static let securityHeaders: HTTPFields = [
        .init("Content-Security-Policy")!: "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; form-action 'self'; frame-ancestors 'none'; base-uri 'none'",
        .init("X-Frame-Options")!: "DENY",
        .init("X-Content-Type-Options")!: "nosniff",
        // Not no-referrer: with it a browser sends `Origin: null` on the forms' posts, which crossSite refuses.
        .init("Referrer-Policy")!: "same-origin",
        .cacheControl: "no-store",
    ]

    static func html(_ text: String, status: HTTPResponse.Status = .ok, headers: HTTPFields = [:], cookies: [String] = []) -> Response {
        var h = securityHeaders
        h[.contentType] = "text/html; charset=utf-8"
        for field in headers { h.append(field) }
        for c in cookies { h.append(HTTPField(name: .setCookie, value: c)) }
        return Response(status: status, headers: h, body: .init(byteBuffer: ByteBuffer(string: text)))
    }

    static func redirect(_ location: String, cookies: [String] = []) -> Response {
        var h = securityHeaders
        h[.location] = location
        for c in cookies { h.append(HTTPField(name: .setCookie, value: c)) }
        return Response(status: .seeOther, headers: h)
    }

    static func asset(_ text: String, type: String) -> Response {
        Response(status: .ok, headers: [.contentType: type, .cacheControl: "max-age=3600", .init("X-Content-Type-Options")!: "nosniff"], body: .init(byteBuffer: ByteBuffer(string: text)))
    }
}

extension String {
    fileprivate var nilIfEmpty: String? { isEmpty ? nil : self }
}
