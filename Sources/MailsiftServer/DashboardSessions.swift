import Foundation
import Synchronization

/// The dashboard's logins: a session per successful login with the admin token, named by a random 256-bit id kept in
/// a `Secure`, `HttpOnly`, `SameSite=Strict` cookie, each with its own random CSRF token that every form sends back.
/// Sessions expire after ``lifetime`` and are capped (the oldest go first); failed logins are throttled to
/// ``failuresPerMinute`` a minute for everyone, so the token cannot be guessed at speed.
final class DashboardSessions: Sendable {
    struct Session: Sendable {
        var csrf: String
        var expires: ContinuousClock.Instant
    }

    static let cookie = "mailsift_session"
    /// The login form's own CSRF cookie (its value is the form's hidden field: a double submit).
    static let loginCookie = "mailsift_login"
    static let lifetime: Duration = .seconds(8 * 3_600)
    static let capacity = 256
    static let failuresPerMinute = 10

    private let sessions = Mutex<[String: Session]>([:])
    private let failures = Mutex<[ContinuousClock.Instant]>([])

    /// A new session: its id and CSRF token.
    func open(now: ContinuousClock.Instant = .now) -> (id: String, csrf: String) {
        let id = Self.token(), csrf = Self.token()
        sessions.withLock { s in
            s = s.filter { $0.value.expires > now }
            if s.count >= Self.capacity, let oldest = s.min(by: { $0.value.expires < $1.value.expires })?.key { s[oldest] = nil }
            s[id] = Session(csrf: csrf, expires: now + Self.lifetime)
        }
        return (id, csrf)
    }

    /// The live session named `id`.
    func session(_ id: String?, now: ContinuousClock.Instant = .now) -> Session? {
        guard let id, !id.isEmpty else { return nil }
        return sessions.withLock { s in
            guard let found = s[id] else { return nil }
            guard found.expires > now else {
                s[id] = nil
                return nil
            }
            return found
        }
    }

    func close(_ id: String) { sessions.withLock { $0[id] = nil } }

    var count: Int { sessions.withLock { $0.count } }

    /// Notes a failed login; false when the last minute already had ``failuresPerMinute`` (the caller answers 429).
    func failed(now: ContinuousClock.Instant = .now) -> Bool {
        failures.withLock { f in
            f.removeAll { now - $0 > .seconds(60) }
            f.append(now)
            return f.count <= Self.failuresPerMinute
        }
    }

    /// True while the last minute's failed logins are at the limit: a login is then refused before its token is checked.
    func throttled(now: ContinuousClock.Instant = .now) -> Bool {
        failures.withLock { f in f.filter { now - $0 <= .seconds(60) }.count >= Self.failuresPerMinute }
    }

    /// 32 random bytes from the system's generator, hex.
    static func token() -> String {
        var g = SystemRandomNumberGenerator()
        var s = ""
        s.reserveCapacity(64)
        for _ in 0..<4 {
            let v = g.next() as UInt64
            let hex = String(v, radix: 16)
            s += String(repeating: "0", count: 16 - hex.count) + hex
        }
        return s
    }

    /// A `Set-Cookie` value: `Secure`, `HttpOnly`, `SameSite=Strict`, for the dashboard's paths only.
    static func setCookie(_ name: String, _ value: String, maxAge: Int) -> String {
        "\(name)=\(value); Path=/ui; Max-Age=\(maxAge); Secure; HttpOnly; SameSite=Strict"
    }
}
