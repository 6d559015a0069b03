import CUnbound
import Foundation
import MailsiftCore
import Synchronization

/// The DNS port (``DNSResolver``) on libunbound (NLnet Labs; Debian `libunbound-dev`). Chosen over c-ares and over a
/// resolver of our own on SwiftNIO because it is a complete, maintained resolver (Unbound's, as a library): UDP with
/// TCP fallback on truncation, EDNS0, a cache that honours TTLs, answer checking (ID and port randomisation),
/// CNAME chasing with loop limits, and DNSSEC should a trust anchor ever be configured. It resolves through the
/// configured resolvers (`forwarders`, `address@port`), else those of `/etc/resolv.conf`.
///
/// Queries are asynchronous (`ub_resolve_async`); one thread per resolver waits on libunbound's descriptor and
/// delivers the answers. A query still out at its deadline is cancelled and answered ``DNSAnswer/timeout``: a slow
/// DNS server never holds a message past its budget. Counts an attacker controls are capped: at most
/// ``maximumRecords`` records an answer and ``maximumTextBytes`` bytes a TXT record are read.
public final class UnboundResolver: DNSResolver, @unchecked Sendable {
    /// libunbound's context, shared by the resolver, its delivery thread and the queries still out: it is deleted when
    /// the last of them lets go, so a query's deadline can still cancel it after the resolver is gone.
    final class Context: @unchecked Sendable {
        // Thread-safe (libunbound's own locks); never reassigned.
        let ctx: OpaquePointer
        let stopping = Atomic<Bool>(false)

        init(_ ctx: OpaquePointer) { self.ctx = ctx }

        deinit { ub_ctx_delete(ctx) }

        /// Waits for libunbound's descriptor and hands answers to their callbacks, until the resolver goes.
        func deliver() {
            let fd = ub_fd(ctx)
            while !stopping.load(ordering: .acquiring) {
                var p = pollfd(fd: fd, events: Int16(POLLIN), revents: 0)
                if poll(&p, 1, 50) > 0 { _ = ub_process(ctx) }
            }
        }
    }

    private let context: Context
    private var ctx: OpaquePointer { context.ctx }

    public static let maximumRecords = 64
    public static let maximumTextBytes = 16 << 10

    /// Answers kept in process for their TTL (at most an hour; a name that does not exist or has no such record,
    /// a minute), so a warm lookup costs a dictionary read, not two hand-offs between threads through libunbound.
    /// Failures are not kept. Bounded: past ``cacheCapacity`` entries the expired go, then everything.
    private let cache = Mutex<[CacheKey: CacheEntry]>([:])
    public static let cacheCapacity = 100_000

    struct CacheKey: Hashable {
        var name: String
        var type: DNSRecordType
    }

    struct CacheEntry {
        var answer: DNSAnswer
        var expires: ContinuousClock.Instant
    }

    func cached(_ key: CacheKey, now: ContinuousClock.Instant) -> DNSAnswer? {
        cache.withLock { c in
            guard let e = c[key] else { return nil }
            if e.expires > now { return e.answer }
            c[key] = nil
            return nil
        }
    }

    func keep(_ answer: DNSAnswer, for key: CacheKey, now: ContinuousClock.Instant) {
        let seconds: Int
        switch answer {
        case .records(_, let ttl): seconds = min(Int(ttl), 3_600)
        case .noData, .nameError: seconds = 60
        case .serverFailure, .timeout: return
        }
        guard seconds > 0 else { return }
        cache.withLock { c in
            if c.count >= UnboundResolver.cacheCapacity {
                c = c.filter { $0.value.expires > now }
                if c.count >= UnboundResolver.cacheCapacity { c.removeAll(keepingCapacity: true) }
            }
            c[key] = CacheEntry(answer: answer, expires: now + .seconds(seconds))
        }
    }

    public struct SetupError: Error, CustomStringConvertible {
        public var description: String
    }

    /// `forwarders`: resolver addresses (`192.0.2.53`, `127.0.0.1@5353`); empty: `/etc/resolv.conf`'s.
    public init(forwarders: [String] = []) throws {
        guard let ctx = ub_ctx_create() else { throw SetupError(description: "libunbound: cannot create a context") }
        let context = Context(ctx)
        self.context = context
        func check(_ code: Int32, _ what: String) throws {
            if code != 0 {
                throw SetupError(description: "libunbound: \(what): \(String(cString: ub_strerror(code)))")
            }
        }
        // Threads, not a forked process, deliver the answers.
        try check(ub_ctx_async(ctx, 1), "async")
        if forwarders.isEmpty {
            try check(ub_ctx_resolvconf(ctx, nil), "/etc/resolv.conf")
        } else {
            for address in forwarders { try check(ub_ctx_set_fwd(ctx, address), "resolver \(address)") }
        }
        try check(ub_ctx_set_option(ctx, "edns-buffer-size:", "1232"), "edns-buffer-size")
        // A resolver on this host (a local cache, the usual set-up of a mail server) is a resolver like any other.
        try check(ub_ctx_set_option(ctx, "do-not-query-localhost:", "no"), "do-not-query-localhost")
        let thread = Thread { context.deliver() }
        thread.name = "mailsift-dns"
        thread.start()
    }

    /// The delivery thread stops within 50 ms; queries still out are answered by their deadlines.
    deinit { context.stopping.store(true, ordering: .releasing) }

    /// One query in flight: answered once, by libunbound or by its deadline.
    final class Pending: Sendable {
        struct State {
            var continuation: CheckedContinuation<DNSAnswer, Never>?
            var timer: Task<Void, Never>?
        }

        let state = Mutex(State())

        /// Resumes the waiter with `answer` unless it has been answered; whether this call answered it.
        @discardableResult func finish(_ answer: DNSAnswer) -> Bool {
            let (continuation, timer) = state.withLock { s in
                defer { s.continuation = nil; s.timer = nil }
                return (s.continuation, s.timer)
            }
            timer?.cancel()
            continuation?.resume(returning: answer)
            return continuation != nil
        }
    }

    public func query(_ name: String, _ type: DNSRecordType, deadline: ContinuousClock.Instant) async -> DNSAnswer {
        guard ContinuousClock.now < deadline else { return .timeout }
        // A name DNS cannot carry is an answer of its own: it does not exist.
        guard UnboundResolver.carriable(name) else { return .nameError }
        // Names are nearly always lower case already: lowered only when they are not (no copy otherwise).
        let key = CacheKey(name: name.utf8.contains(where: { $0 >= 0x41 && $0 <= 0x5A }) ? name.lowercased() : name, type: type)
        let now = ContinuousClock.now
        if let answer = cached(key, now: now) { return answer }
        let answer = await resolve(name, type, deadline: deadline)
        keep(answer, for: key, now: now)
        return answer
    }

    private func resolve(_ name: String, _ type: DNSRecordType, deadline: ContinuousClock.Instant) async -> DNSAnswer {
        let pending = Pending()
        return await withCheckedContinuation { continuation in
            pending.state.withLock { $0.continuation = continuation }
            let box = Unmanaged.passRetained(pending)
            var id: Int32 = 0
            let code = ub_resolve_async(ctx, name, Int32(type.code), 1, box.toOpaque(), UnboundResolver.callback, &id)
            guard code == 0 else {
                box.release()
                pending.finish(.serverFailure)
                return
            }
            let handle = Handle(context: context, box: box, id: id)
            let timer = Task {
                try? await Task.sleep(until: deadline, clock: .continuous)
                guard !Task.isCancelled, pending.finish(.timeout) else { return }
                // Cancelled in time, the callback will not run: its reference goes here.
                if ub_cancel(handle.context.ctx, handle.id) == 0 { handle.box.release() }
            }
            pending.state.withLock { s in
                if s.continuation != nil { s.timer = timer } else { timer.cancel() }
            }
        }
    }

    /// What the deadline's task needs to cancel a query: the context is thread-safe, and the box's reference is
    /// released by whoever ends the query (this task when the cancel succeeds, else the callback).
    struct Handle: @unchecked Sendable {
        let context: Context
        let box: Unmanaged<Pending>
        let id: Int32
    }

    private static let callback: ub_callback_type = { data, error, result in
        guard let data else { return }
        let pending = Unmanaged<Pending>.fromOpaque(data).takeRetainedValue()
        defer { if let result { ub_resolve_free(result) } }
        guard error == 0, let r = result?.pointee else {
            pending.finish(.serverFailure)
            return
        }
        pending.finish(UnboundResolver.answer(r, type: r.qtype))
    }

    /// Whether DNS can carry `name`: 253 bytes at most, no label over 63.
    static func carriable(_ name: String) -> Bool {
        guard name.utf8.count <= 253 else { return false }
        var length = 0
        for b in name.utf8 {
            if b == UInt8(ascii: ".") { length = 0 } else { length += 1; if length > 63 { return false } }
        }
        return true
    }

    /// The port's answer for libunbound's result.
    static func answer(_ r: ub_result, type: Int32) -> DNSAnswer {
        if r.havedata == 0 {
            if r.nxdomain != 0 { return .nameError }
            return r.rcode == 0 ? .noData : .serverFailure
        }
        var records: [DNSRecord] = []
        var i = 0
        while records.count < maximumRecords, let item = r.data?[i], let length = r.len?[i] {
            let bytes = UnsafeRawBufferPointer(start: item, count: Int(length))
            if let record = record(bytes, type: type) { records.append(record) }
            i += 1
        }
        return records.isEmpty ? .noData : .records(records, ttl: UInt32(max(0, r.ttl)))
    }

    /// One rdata item of a type the port knows; nil when it does not parse.
    static func record(_ b: UnsafeRawBufferPointer, type: Int32) -> DNSRecord? {
        switch type {
        case 1:
            guard b.count == 4 else { return nil }
            return .address(b.map { String($0) }.joined(separator: "."))
        case 28:
            guard b.count == 16 else { return nil }
            var v6 = in6_addr()
            withUnsafeMutableBytes(of: &v6) { $0.copyMemory(from: b) }
            var out = [CChar](repeating: 0, count: 64)
            guard inet_ntop(AF_INET6, &v6, &out, socklen_t(out.count)) != nil else { return nil }
            return .address(String(decoding: out.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self))
        case 16:
            var strings: [[UInt8]] = []
            var total = 0
            var k = 0
            while k < b.count {
                let n = Int(b[k])
                guard k + 1 + n <= b.count else { return nil }
                total += n
                guard total <= maximumTextBytes else { break }
                strings.append(Array(b[(k + 1)..<(k + 1 + n)]))
                k += 1 + n
            }
            return .text(strings)
        case 15:
            guard b.count >= 3, let host = name(b, from: 2) else { return nil }
            return .mx(preference: UInt16(b[0]) << 8 | UInt16(b[1]), exchange: host)
        case 12:
            return name(b, from: 0).map { .ptr($0) }
        default:
            return nil
        }
    }

    /// A domain name in wire format (uncompressed, as libunbound hands rdata), without the final dot.
    static func name(_ b: UnsafeRawBufferPointer, from start: Int) -> String? {
        var labels: [String] = []
        var k = start
        while k < b.count {
            let n = Int(b[k])
            if n == 0 { return labels.joined(separator: ".") }
            guard n <= 63, k + 1 + n <= b.count else { return nil }
            labels.append(String(decoding: b[(k + 1)..<(k + 1 + n)], as: UTF8.self))
            k += 1 + n
        }
        return nil
    }
}
