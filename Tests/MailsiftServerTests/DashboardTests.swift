import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import MailsiftCore
import MailsiftFiles
import MailsiftTestKit
import NIOCore
import Testing

@testable import MailsiftServer

/// The dashboard at `/ui`: refused without a session, a form without its CSRF token or from another site is refused,
/// and in a real browser (headless Chromium over the DevTools protocol) every page loads after logging in, shows what
/// was served and no content, with no console error.
@Suite(.serialized) struct DashboardTests {
    static let token = "admin-token-0123456789"

    static func server(directory: String? = nil, _ configure: (inout ServerConfiguration) -> Void = { _ in }) async throws -> Server {
        var c = ServerConfiguration()
        c.port = 0
        c.watchSeconds = 0
        c.latencyBudgetMilliseconds = 10_000
        c.adminToken = token
        c.dataDirectory = directory
        c.feedbackToken = LearningTests.token
        configure(&c)
        let metrics = ServerMetrics()
        let learning = try await OnlineLearning.open(configuration: c, metrics: LearningMetrics(registry: metrics.registry), logger: Fixture.logger)
        return Server(configuration: c, model: Fixture.model, learning: learning, logger: Fixture.logger, metrics: metrics)
    }

    /// The value of cookie `name` in a reply's `Set-Cookie` fields, with the whole field.
    static func cookie(_ r: TestResponse, _ name: String) -> (value: String, field: String)? {
        for field in r.headers[values: .setCookie] where field.hasPrefix(name + "=") {
            let value = field.dropFirst(name.count + 1).prefix { $0 != ";" }
            return (String(value), field)
        }
        return nil
    }

    /// The value of the first hidden `csrf` field of a page.
    static func csrf(_ html: String) -> String? {
        guard let r = html.range(of: "name=\"csrf\" value=\"") else { return nil }
        return String(html[r.upperBound...].prefix { $0 != "\"" })
    }

    static func form(_ fields: [String: String]) -> ByteBuffer {
        var c = URLComponents()
        c.queryItems = fields.map { URLQueryItem(name: $0.key, value: $0.value) }
        return ByteBuffer(string: c.percentEncodedQuery ?? "")
    }

    static let formType: HTTPFields = [.contentType: "application/x-www-form-urlencoded"]

    static func with(_ h: HTTPFields, _ more: HTTPFields) -> HTTPFields {
        var all = h
        for f in more { all.append(f) }
        return all
    }

    static func reloads(_ server: Server) -> String {
        String(decoding: server.service.metrics.render(), as: UTF8.self).split(separator: "\n")
            .first { $0.hasPrefix("mailsift_model_reloads_total{result=\"loaded\"}") }.map(String.init) ?? "none"
    }

    @Test func pagesAndFormsRefuseWithoutASessionOrWithAForgedToken() async throws {
        let server = try await Self.server()
        try await server.application().test(.router) { client in
            for path in ["/ui", "/ui/verdicts", "/ui/scores", "/ui/models", "/ui/feedback"] {
                try await client.execute(uri: path, method: .get) { r in
                    #expect(r.status == .seeOther)
                    #expect(r.headers[.location] == "/ui/login")
                }
            }
            try await client.execute(uri: "/ui/reload", method: .post, headers: Self.formType, body: Self.form(["csrf": "x"])) {
                #expect($0.status == .seeOther && $0.headers[.location] == "/ui/login")
            }
            // The login form: its CSRF token is its cookie's value, and the cookie is Secure, HttpOnly and SameSite=Strict.
            var loginToken = ""
            try await client.execute(uri: "/ui/login", method: .get) { r in
                #expect(r.status == .ok)
                let c = try #require(Self.cookie(r, "mailsift_login"))
                #expect(c.field.contains("Secure") && c.field.contains("HttpOnly") && c.field.contains("SameSite=Strict") && c.field.contains("Path=/ui"))
                #expect(Self.csrf(String(buffer: r.body)) == c.value)
                #expect(r.headers[.init("Content-Security-Policy")!]?.contains("script-src 'self'") == true)
                #expect(r.headers[.init("X-Frame-Options")!] == "DENY")
                loginToken = c.value
            }
            let loginCookie: HTTPFields = [.cookie: "mailsift_login=\(loginToken)"]
            // A forged login form (another token than the cookie's), a post from another site, a wrong admin token.
            try await client.execute(uri: "/ui/login", method: .post, headers: Self.with(Self.formType, loginCookie), body: Self.form(["csrf": "forged", "token": Self.token])) { r in
                #expect(r.status == .forbidden)
                #expect(Self.cookie(r, "mailsift_session") == nil)
            }
            try await client.execute(uri: "/ui/login", method: .post, headers: Self.with(Self.formType, [.cookie: "mailsift_login=\(loginToken)", .origin: "https://evil.example"]), body: Self.form(["csrf": loginToken, "token": Self.token])) { r in
                #expect(r.status == .forbidden)
                #expect(Self.cookie(r, "mailsift_session") == nil)
            }
            try await client.execute(uri: "/ui/login", method: .post, headers: Self.with(Self.formType, loginCookie), body: Self.form(["csrf": loginToken, "token": "wrong-token-0123456789"])) { r in
                #expect(r.status == .unauthorized)
                #expect(Self.cookie(r, "mailsift_session") == nil)
            }
            // Logging in opens a session in a Secure, HttpOnly, SameSite=Strict cookie.
            var session = ""
            try await client.execute(uri: "/ui/login", method: .post, headers: Self.with(Self.formType, loginCookie), body: Self.form(["csrf": loginToken, "token": Self.token])) { r in
                #expect(r.status == .seeOther && r.headers[.location] == "/ui")
                let c = try #require(Self.cookie(r, "mailsift_session"))
                #expect(c.field.contains("Secure") && c.field.contains("HttpOnly") && c.field.contains("SameSite=Strict"))
                #expect(c.value.count == 64)
                session = c.value
            }
            let sessionCookie: HTTPFields = [.cookie: "mailsift_session=\(session)"]
            try await client.execute(uri: "/ui/login", method: .get) { #expect($0.status == .ok) }
            try await client.execute(uri: "/ui", method: .get, headers: [.cookie: "mailsift_session=\(String(repeating: "0", count: 64))"]) { #expect($0.status == .seeOther) }
            var csrf = ""
            try await client.execute(uri: "/ui/models", method: .get, headers: sessionCookie) { r in
                #expect(r.status == .ok)
                #expect(r.headers[.cacheControl] == "no-store")
                csrf = try #require(Self.csrf(String(buffer: r.body)))
            }
            #expect(csrf.count == 64 && csrf != session)
            // The reload button's form: refused without the session's CSRF token, with a forged one, or from another site.
            let before = Self.reloads(server)
            for (fields, extra) in [([:], [:]), (["csrf": "forged"], [:]), (["csrf": String(repeating: "0", count: 64)], [:]), (["csrf": csrf], [HTTPField.Name.origin: "https://evil.example"]), (["csrf": csrf], [HTTPField.Name.init("Sec-Fetch-Site")!: "cross-site"])] as [([String: String], [HTTPField.Name: String])] {
                var h = Self.with(Self.formType, sessionCookie)
                for (k, v) in extra { h[k] = v }
                try await client.execute(uri: "/ui/reload", method: .post, headers: h, body: Self.form(fields)) { #expect($0.status == .forbidden) }
            }
            #expect(Self.reloads(server) == before)
            try await client.execute(uri: "/ui/reload", method: .post, headers: Self.with(Self.formType, sessionCookie), body: Self.form(["csrf": csrf])) { r in
                #expect(r.status == .seeOther)
                #expect(r.headers[.location]?.hasPrefix("/ui/models?outcome=Reloaded") == true)
            }
            #expect(Self.reloads(server) != before)
            // Logging out ends the session.
            try await client.execute(uri: "/ui/logout", method: .post, headers: Self.with(Self.formType, sessionCookie), body: Self.form(["csrf": csrf])) { r in
                #expect(r.status == .seeOther && r.headers[.location] == "/ui/login")
            }
            try await client.execute(uri: "/ui", method: .get, headers: sessionCookie) { #expect($0.status == .seeOther) }
            // Ten failed logins in a minute: the next is refused before its token is looked at.
            for _ in 0..<9 {
                try await client.execute(uri: "/ui/login", method: .post, headers: Self.with(Self.formType, loginCookie), body: Self.form(["csrf": loginToken, "token": "guess"])) { #expect($0.status == .unauthorized) }
            }
            try await client.execute(uri: "/ui/login", method: .post, headers: Self.with(Self.formType, loginCookie), body: Self.form(["csrf": loginToken, "token": Self.token])) { #expect($0.status == .tooManyRequests) }
        }
    }

    @Test func withoutAnAdminTokenOrWithTheDashboardOffThereIsNone() async throws {
        let untokened = try await Self.server { $0.adminToken = nil }
        try await untokened.application().test(.router) { client in
            try await client.execute(uri: "/ui/login", method: .get) { #expect($0.status == .forbidden) }
        }
        let off = try await Self.server { $0.dashboard = false }
        #expect(off.service.ledger == nil)
        try await off.application().test(.router) { client in
            try await client.execute(uri: "/ui/login", method: .get) { #expect($0.status == .notFound) }
            try await client.execute(uri: "/ui", method: .get) { #expect($0.status == .notFound) }
        }
    }

    /// Logs in through the form in headless Chromium, opens every page, searches a Message-ID, presses the reload
    /// button and logs out; screenshots of each page are kept under `.build/screenshots/dashboard-*.png`.
    @Test(.enabled(if: Chromium.executable != nil, "needs chromium")) func everyPageLoadsInABrowserAfterLoggingIn() async throws {
        let directory = LearningTests.dataDirectory()
        defer { try? FileManager.default.removeItem(atPath: directory) }
        // The shipped model as the shadow and as the A/B test's candidate too, so that the models page shows both.
        let candidate = (NSTemporaryDirectory() as NSString).appendingPathComponent("mailsift-dashboard-\(UUID().uuidString).msmodel")
        defer { try? FileManager.default.removeItem(atPath: candidate) }
        try Data(ShippedModel.bundle.encoded()).write(to: URL(fileURLWithPath: candidate))
        let server = try await Self.server(directory: directory) { c in
            c.shadowModel = candidate
            c.abModel = candidate
            c.abShare = 0.5
        }
        #expect(await server.reloader.reload(trigger: "test").loaded)
        try await server.application().test(.live) { client in
            // Mail to show: the example ham, GTUBE (decided by the rules), a phishing example, and a message whose
            // Message-ID and From carry markup (shown as text: escaped, and a script would also be refused by the CSP,
            // which Chromium would report as a console error).
            let phishing = try String(contentsOfFile: TestPaths.repositoryRoot.appendingPathComponent("examples/phishing.eml").path, encoding: .utf8)
            let hostile = "From: x <a@b\"><img src=x onerror=alert(1)>.example>\r\nTo: bob@example.com\r\nSubject: hi\r\n"
                + "Message-ID: <\"><script>console.error('xss')</script>@evil.example>\r\n\r\nhello there\r\n"
            for body in [Fixture.ham, Fixture.gtube, phishing, hostile] {
                try await client.execute(uri: "/v1/classify", method: .post, body: ByteBuffer(string: body)) { #expect($0.status == .ok) }
            }
            // A user calls the ham spam (spam in the inbox, as far as the dashboard can tell); the client's retry is
            // a duplicate and counts once.
            let report = #"[{"message_id": "<m-1@example.org>", "user": "bob@example.com", "label": "spam", "time": "# + "\(Int64(Date().timeIntervalSince1970))}]"
            for _ in 0..<2 {
                try await client.execute(uri: "/v1/feedback", method: .post, headers: [.authorization: "Bearer \(LearningTests.token)", .contentType: "application/json"], body: ByteBuffer(string: report)) {
                    #expect($0.status == .ok)
                }
            }
            let base = "http://127.0.0.1:\(client.port!)"
            let browser = try ChromiumSession()
            defer { browser.close() }
            try browser.navigate(base + "/ui")
            #expect(browser.url == base + "/ui/login")
            try browser.screenshot("dashboard-login")
            try browser.fill("input[name=token]", "wrong")
            try browser.click("button[type=submit]")
            #expect(browser.text.contains("That is not the admin token"))
            browser.clearProblems()  // the 401 is logged as a failed load, as it should be
            try browser.fill("input[name=token]", Self.token)
            try browser.click("button[type=submit]")
            #expect(browser.url == base + "/ui")
            let overview = browser.text
            #expect(overview.contains("Verdicts, last hour") && overview.contains("Latency p99"))
            #expect(overview.contains(Fixture.model.version))
            #expect(browser.html.contains("<svg"))
            try browser.screenshot("dashboard-overview")

            try browser.navigate(base + "/ui/verdicts")
            let verdicts = browser.html
            #expect(verdicts.contains("&lt;m-1@example.org&gt;"))
            #expect(verdicts.contains("ex*****.org"))  // example.org, masked
            #expect(!verdicts.contains("minutes of Tuesday") && !verdicts.contains("release to Friday"))  // no content
            #expect(!verdicts.contains("alice"))
            #expect(verdicts.contains("test string for spam filters"))  // GTUBE's rule, which weighs nothing, is its reason
            #expect(verdicts.contains("HTML: html_only"))  // the phishing's strongest reason, from the text stage
            // The markup is text in its cell (the browser re-serialises the escaped text), and no element of it exists.
            #expect(try browser.evaluate("Array.from(document.querySelectorAll('td.id')).some(c => c.textContent === '<\"><script>console.error(\\'xss\\')</script>@evil.example>')") as? Bool == true)
            #expect(!verdicts.contains("text contains") && !verdicts.contains("body word \""))  // no word of any message
            #expect(try browser.evaluate("document.querySelectorAll('main script, main img').length") as? Int == 0)
            try browser.screenshot("dashboard-verdicts")
            try browser.fill("input[name=id]", "<m-1@example.org>")
            try browser.click("form.search button")
            #expect(browser.url.contains("id=%3Cm-1%40example.org%3E"))
            #expect(try browser.evaluate("document.querySelectorAll('table.verdicts tbody tr').length") as? Int == 1)

            try browser.navigate(base + "/ui/scores")
            #expect(browser.text.contains("Score distribution"))
            #expect(browser.text.contains("No drift alarm") || browser.text.contains("Drift"))
            try browser.screenshot("dashboard-scores")

            try browser.navigate(base + "/ui/feedback")
            let row = try browser.evaluate("Array.from(document.querySelectorAll('#feedback tbody tr')[0].cells).map(c => c.textContent).join('|')") as? String
            // day | verdicts 3 | delivered | held | spam reports 1 | ham reports 0 | spam in inbox 1 | ...
            let cells = (row ?? "").split(separator: "|").map(String.init)
            #expect(cells.count == 12 && cells[1] == "4" && cells[4] == "1" && cells[6] == "1")
            try browser.screenshot("dashboard-feedback")

            try browser.navigate(base + "/ui/models")
            try browser.click("#reload")
            #expect(browser.url.hasPrefix(base + "/ui/models?outcome="))
            #expect(browser.text.contains("Reloaded: serving \(Fixture.model.version)"))
            #expect(try browser.evaluate("document.querySelector('#shadow').innerText.includes('messages both scored')") as? Bool == true)
            #expect(try browser.evaluate("document.querySelector('#ab').innerText.includes('candidate')") as? Bool == true)
            try browser.screenshot("dashboard-models")

            try browser.click("header form button")
            #expect(browser.url == base + "/ui/login")
            try browser.navigate(base + "/ui/models")
            #expect(browser.url == base + "/ui/login")
            #expect(browser.problems.map(\.description) == [])
        }
    }
}
