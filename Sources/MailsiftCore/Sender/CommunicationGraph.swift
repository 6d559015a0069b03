import Foundation

/// Who writes to whom: a directed graph of addresses (lower case), learned from local users' sent mail
/// (outbound edges; their senders are the graph's *local users*) and from the mail they receive (inbound
/// edges, sender to every recipient). Two things come out of it:
///
/// - **Contacts.** A local user's contacts are the addresses they have written to: mail from a contact is
///   rarely spam.
/// - **Trust** (``trust(damping:iterations:tolerance:)``): personalised PageRank seeded at the local users.
///   Trust flows along edges, from a user to whom they write, and on from those to whom *they* write (a
///   colleague's correspondent Cc'd on a thread). A sender nobody trusted writes to gets none, however much
///   mail it sends: its own edges give trust away, they do not bring it in.
///
/// A value type, not thread-safe (the server keeps it under a lock). Bounded: past ``capacity`` edges the
/// least recently seen inbound edges are dropped (outbound ones are kept: they are few and they are the seeds).
public struct CommunicationGraph: Sendable {
    public struct Edge: Hashable, Sendable, Codable {
        public var source: String
        public var target: String

        public init(_ source: String, _ target: String) {
            self.source = source
            self.target = target
        }
    }

    /// One edge's weight: messages seen on it (outbound ones count ``outboundWeight`` each), when last seen,
    /// and whether a local user sent on it.
    public struct Weight: Hashable, Sendable, Codable {
        public var messages: Double
        public var updated: Int64
        public var outbound: Bool

        public init(messages: Double, updated: Int64, outbound: Bool) {
            self.messages = messages
            self.updated = updated
            self.outbound = outbound
        }
    }

    public private(set) var edges: [Edge: Weight] = [:]
    /// Edges changed since ``takeChanged()`` last ran (what a store must save).
    private var changed = Set<Edge>()
    public let capacity: Int
    /// A message a local user sent counts this many received ones: writing to someone says more than being
    /// written to.
    public static let outboundWeight = 4.0
    /// Recipients recorded per message.
    public static let maxRecipients = 16

    public init(capacity: Int = 2_000_000, edges: [Edge: Weight] = [:]) {
        self.capacity = max(capacity, 16)
        self.edges = edges
    }

    /// Records a message from `sender` to `recipients` at `time`; `outbound` when a local user sent it.
    public mutating func record(from sender: String, to recipients: [String], at time: Int64, outbound: Bool) {
        let source = sender.lowercased()
        guard !source.isEmpty else { return }
        for r in Set(recipients.lazy.map { $0.lowercased() }.filter { !$0.isEmpty && $0 != source }).sorted().prefix(Self.maxRecipients) {
            let e = Edge(source, r)
            var w = edges[e] ?? Weight(messages: 0, updated: time, outbound: false)
            w.messages += outbound ? Self.outboundWeight : 1
            w.updated = max(w.updated, time)
            w.outbound = w.outbound || outbound
            edges[e] = w
            changed.insert(e)
        }
        if edges.count > capacity { evict() }
    }

    /// Records a message a local user sent: the sender is the envelope's, else From; the recipients the
    /// envelope's, else To, Cc and Bcc. Returns how many recipients were recorded (0: no sender or none).
    @discardableResult
    /// With `pseudonymizer`, the addresses are recorded as pseudonyms (as the sender keys are).
    public mutating func recordSent(_ message: Message, envelope: Envelope, at time: Int64, pseudonymizer: (any Pseudonymizer)? = nil) -> Int {
        let sender = envelope.mailFrom.map { $0.trimmingCharacters(in: SenderKeys.angleBrackets) } ?? message.from.first?.address
        var recipients = envelope.recipients.map { $0.trimmingCharacters(in: SenderKeys.angleBrackets) }
        if recipients.isEmpty {
            // Twice the cap: the sender's own address and repeats are dropped below.
            recipients = message.addresses(in: ["to", "cc", "bcc"], limit: 2 * Self.maxRecipients).map(\.address)
        }
        guard let sender, !sender.isEmpty else { return 0 }
        let distinct = Set(recipients.lazy.map { $0.lowercased() }.filter { !$0.isEmpty && $0 != sender.lowercased() })
        guard !distinct.isEmpty else { return 0 }
        if let p = pseudonymizer {
            record(from: p.pseudonym(sender), to: recipients.map(p.pseudonym), at: time, outbound: true)
        } else {
            record(from: sender, to: recipients, at: time, outbound: true)
        }
        return min(distinct.count, Self.maxRecipients)
    }

    /// Merges a stored edge (at start: what the store kept).
    public mutating func restore(_ edge: Edge, _ weight: Weight) { edges[edge] = weight }

    /// The changed edges with their weights, and forgets that they changed.
    public mutating func takeChanged() -> [Edge: Weight] {
        defer { changed.removeAll(keepingCapacity: true) }
        var out: [Edge: Weight] = [:]
        for e in changed { if let w = edges[e] { out[e] = w } }
        return out
    }

    /// Marks edges changed again (a save that failed).
    public mutating func markChanged(_ edges: some Sequence<Edge>) { changed.formUnion(edges) }

    /// Drops the least recently seen inbound edges down to 90% of the capacity.
    private mutating func evict() {
        let inbound = edges.filter { !$0.value.outbound }.sorted { $0.value.updated < $1.value.updated }
        for (e, _) in inbound.prefix(edges.count - capacity * 9 / 10) {
            edges[e] = nil
            changed.remove(e)
        }
    }

    /// Personalised PageRank from the local users (the sources of outbound edges): each round a share
    /// `1 - damping` of the trust returns to the local users, evenly, and the rest flows along the edges in
    /// proportion to their weights (a node without edges hands its share back to the local users). Stops
    /// after `iterations` rounds or when the total change falls under `tolerance`.
    public func trust(damping: Double = 0.85, iterations: Int = 50, tolerance: Double = 1e-9) -> TrustScores {
        var index: [String: Int] = [:]
        var names: [String] = []
        func id(_ name: String) -> Int {
            if let i = index[name] { return i }
            index[name] = names.count
            names.append(name)
            return names.count - 1
        }
        var sources: [Int] = [], targets: [Int] = [], weights: [Double] = []
        var seeds = Set<Int>()
        var contacts: [String: Set<String>] = [:]
        for (e, w) in edges {
            let s = id(e.source), t = id(e.target)
            sources.append(s)
            targets.append(t)
            weights.append(w.messages)
            if w.outbound {
                seeds.insert(s)
                contacts[e.source, default: []].insert(e.target)
            }
        }
        guard !seeds.isEmpty else { return TrustScores(addresses: [:], domains: [:], contacts: contacts, localUsers: 0) }
        let n = names.count
        var outWeight = [Double](repeating: 0, count: n)
        for k in sources.indices { outWeight[sources[k]] += weights[k] }
        let teleport = 1 / Double(seeds.count)
        var rank = [Double](repeating: 0, count: n)
        for s in seeds { rank[s] = teleport }
        var next = [Double](repeating: 0, count: n)
        for _ in 0..<iterations {
            for i in 0..<n { next[i] = 0 }
            var dangling = 0.0
            for i in 0..<n where outWeight[i] == 0 { dangling += rank[i] }
            for k in sources.indices {
                let s = sources[k]
                next[targets[k]] += damping * rank[s] * weights[k] / outWeight[s]
            }
            let back = (1 - damping) + damping * dangling
            for s in seeds { next[s] += back * teleport }
            var change = 0.0
            for i in 0..<n { change += abs(next[i] - rank[i]) }
            swap(&rank, &next)
            if change < tolerance { break }
        }
        // Scaled so that a local user's own share is about 1: comparable across graphs of any size.
        let scale = Double(seeds.count)
        var addresses: [String: Double] = [:]
        var domains: [String: Double] = [:]
        for i in 0..<n where rank[i] > 0 {
            let score = rank[i] * scale
            addresses[names[i]] = score
            if let at = names[i].lastIndex(of: "@") {
                domains[DomainName.registrable(String(names[i][names[i].index(after: at)...])), default: 0] += score
            }
        }
        return TrustScores(addresses: addresses, domains: domains, contacts: contacts, localUsers: seeds.count)
    }
}

/// What ``CommunicationGraph/trust(damping:iterations:tolerance:)`` computed: trust per address and per
/// registrable domain (the sum of its addresses'), and each local user's contacts. Immutable; the server
/// swaps in a new one each time it recomputes.
public struct TrustScores: Sendable {
    public let addresses: [String: Double]
    public let domains: [String: Double]
    public let contacts: [String: Set<String>]
    /// How many local users seeded it; 0: no sent mail is known, and nothing can be said.
    public let localUsers: Int

    public static let empty = TrustScores(addresses: [:], domains: [:], contacts: [:], localUsers: 0)

    /// Fills the trust and contact fields of `state` for a message with these keys (nil fields when no local
    /// user is known, so the tree stage sees them missing rather than zero).
    public func fill(_ state: inout SenderState, keys: SenderKeys) {
        guard localUsers > 0 else { return }
        state.senderTrust = keys.fromAddress.map { addresses[$0] ?? 0 }
        state.domainTrust = keys.fromDomain.map { domains[$0] ?? 0 }
        if let from = keys.fromAddress {
            state.isContact = keys.recipients.contains { contacts[$0]?.contains(from) == true }
        }
    }
}
