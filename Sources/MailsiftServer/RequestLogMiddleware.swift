import HTTPTypes
import Hummingbird
import Logging
import MailsiftCore

/// Gives every request an id (the client's `X-Request-Id` when it sent a sane one, else a new one), returns
/// it in the reply, and logs one line per request: method, path, status, duration, id. Never the body,
/// the query string or any header value: message content and addresses stay out of the logs.
struct RequestLogMiddleware<Context: RequestContext>: RouterMiddleware {
    let logger: Logger

    static var requestID: HTTPField.Name { .init("X-Request-Id")! }

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        let start = ContinuousClock.now
        let id = request.headers[Self.requestID].flatMap(Self.sane) ?? Self.newID()
        var context = context
        context.logger[metadataKey: "request_id"] = .string(id)
        func log(_ status: Int) {
            let us = (ContinuousClock.now - start).microseconds
            let level: Logger.Level = status >= 500 ? .warning : .info
            logger.log(level: level, "request", metadata: [
                "request_id": .string(id), "method": .string(request.method.rawValue), "path": .string(request.uri.path),
                "status": .stringConvertible(status), "duration_us": .stringConvertible(us),
            ])
        }
        do {
            var response = try await next(request, context)
            response.headers[Self.requestID] = id
            log(response.status.code)
            return response
        } catch let error as any HTTPResponseError {
            log(error.status.code)
            throw error
        } catch {
            log(500)
            throw error
        }
    }

    /// An id a client sent, if it is short and plain (letters, digits, `-`, `_`, `.`).
    static func sane(_ s: String) -> String? {
        guard (1...64).contains(s.utf8.count),
              s.utf8.allSatisfy({ (0x30...0x39).contains($0) || (0x61...0x7A).contains($0 | 0x20) || $0 == 0x2D || $0 == 0x5F || $0 == 0x2E })
        else { return nil }
        return s
    }

    static func newID() -> String {
        let n = UInt64.random(in: 0...UInt64.max)
        let hex = String(n, radix: 16)
        return String(repeating: "0", count: 16 - hex.count) + hex
    }
}
