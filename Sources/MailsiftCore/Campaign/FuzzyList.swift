import Foundation

/// Campaigns an operator (or a process of theirs) has judged: mail near-identical to a `block` entry is spam, to an
/// `allow` entry is wanted, whatever the model says (a rule's own action still stands). Entries are fingerprints
/// (``CampaignFingerprint``), found by ``CampaignIndex``; when a message matches both kinds, `allow` wins (a
/// wrongly blocked campaign is the costlier mistake). Bounded: past ``capacity`` entries, new ones are refused.
/// An entry removed (``remove(id:)``) matches nothing from then on; its slot is not reused (removals are rare).
public struct FuzzyList: Sendable {
    public struct Entry: Sendable, Hashable, Codable {
        public enum Action: String, Sendable, Hashable, Codable, CaseIterable {
            case block, allow
        }

        public var action: Action
        public var text: [UInt32]?
        public var links: [UInt32]?
        /// Perceptual hashes of its images (``PerceptualHash``): an image spam campaign whose text varies or is absent.
        public var images: [UInt64]?
        /// Who added it and why, in the operator's words (never message content).
        public var note: String
        /// Seconds since 1970.
        public var added: Int64

        public init(action: Action, fingerprint: CampaignFingerprint, images: [UInt64] = [], note: String, added: Int64) {
            self.action = action
            text = fingerprint.text
            links = fingerprint.links
            self.images = images.isEmpty ? nil : Array(images.prefix(8))
            self.note = String(note.prefix(200))
            self.added = added
        }

        public var fingerprint: CampaignFingerprint { CampaignFingerprint(text: text, links: links) }

        /// A name for the entry: its action and a hash of its signatures, in hex.
        public var id: String {
            var h: UInt64 = action == .block ? 0xB10C : 0xA110
            for v in (text ?? []) + [0xFFFF_FFFF] + (links ?? []) { h = CampaignFingerprint.mix(h ^ UInt64(v)) }
            for v in images ?? [] { h = CampaignFingerprint.mix(h ^ v) }
            return action.rawValue + "-" + String(h, radix: 16)
        }

        /// Whether the entry can match anything (the fingerprint had a text or link signature of the right size).
        public var isUsable: Bool {
            (text?.count ?? 0) == CampaignFingerprint.size || (links?.count ?? 0) == CampaignFingerprint.size || !(images ?? []).isEmpty
        }
    }

    /// A removal, as the file and the shared list record it (after the entry it removes).
    public struct Removal: Sendable, Hashable, Codable {
        public var removed: String
        /// Seconds since 1970.
        public var at: Int64

        public init(removed: String, at: Int64) {
            self.removed = removed
            self.at = at
        }
    }

    /// A line of the file or the shared list: an entry, or the removal of one.
    public enum Record: Sendable, Hashable {
        case entry(Entry)
        case removal(Removal)

        /// Reads a JSON line; nil when it is neither.
        public init?(json: some Sequence<UInt8>) {
            let data = Data(json)
            if let e = try? JSONDecoder().decode(Entry.self, from: data) {
                self = .entry(e)
            } else if let r = try? JSONDecoder().decode(Removal.self, from: data) {
                self = .removal(r)
            } else {
                return nil
            }
        }

        public var json: String {
            let data = switch self {
            case .entry(let e): try? JSONEncoder().encode(e)
            case .removal(let r): try? JSONEncoder().encode(r)
            }
            return data.map { String(decoding: $0, as: UTF8.self) } ?? ""
        }
    }

    /// A match: the entry, and its similarity to the message.
    public struct Match: Sendable, Hashable {
        public var entry: Entry
        public var similarity: Double
    }

    public static let capacity = 100_000

    private var entries: [Entry] = []
    private var ids: Set<String> = []
    private var index: CampaignIndex
    /// The entries with images, scanned by Hamming distance (images are few among entries).
    private var withImages: [Int] = []
    /// Slots of removed entries.
    private var removed = Set<Int>()

    public init(threshold: Double = CampaignFingerprint.threshold) {
        index = CampaignIndex(capacity: FuzzyList.capacity + 1, threshold: threshold)
    }

    public var count: Int { entries.count - removed.count }
    public var all: [Entry] { entries.indices.filter { !removed.contains($0) }.map { entries[$0] } }

    public enum Refusal: Error, Sendable, Hashable {
        case duplicate, unusable, full
    }

    /// Adds `entry`; refuses one already there, one without a signature, or one past ``capacity``.
    public mutating func insert(_ entry: Entry) throws(Refusal) {
        guard entry.isUsable else { throw .unusable }
        guard !ids.contains(entry.id) else { throw .duplicate }
        guard entries.count < FuzzyList.capacity else { throw .full }
        ids.insert(entry.id)
        index.insert(entry.fingerprint, id: entries.count)
        if !(entry.images ?? []).isEmpty { withImages.append(entries.count) }
        entries.append(entry)
    }

    /// Removes the entry named `id` (``Entry/id``); false when there is none.
    @discardableResult
    public mutating func remove(id: String) -> Bool {
        guard ids.remove(id) != nil, let slot = entries.indices.last(where: { entries[$0].id == id && !removed.contains($0) }) else { return false }
        removed.insert(slot)
        return true
    }

    /// Applies a record of the file or the shared list; false when it changed nothing (a duplicate, an unknown id).
    @discardableResult
    public mutating func apply(_ record: Record) -> Bool {
        switch record {
        case .entry(let e): return (try? insert(e)) != nil
        case .removal(let r): return remove(id: r.removed)
        }
    }

    /// The entry `fingerprint` (or one of `images`, perceptual hashes) matches: an `allow` entry if any matches, else
    /// the closest `block` entry. An image match counts as similarity 1 - distance / 64.
    public func match(_ fingerprint: CampaignFingerprint, images: [UInt64] = []) -> Match? {
        var found = index.matches(fingerprint).filter { !removed.contains($0.id) }.map { Match(entry: entries[$0.id], similarity: $0.similarity) }
        if !images.isEmpty {
            for i in withImages where !removed.contains(i) {
                let best = images.flatMap { a in (entries[i].images ?? []).map { PerceptualHash.distance(a, $0) } }.min() ?? 64
                if best <= PerceptualHash.matchDistance { found.append(Match(entry: entries[i], similarity: 1 - Double(best) / 64)) }
            }
        }
        return found.filter { $0.entry.action == .allow }.max { $0.similarity < $1.similarity }
            ?? found.max { $0.similarity < $1.similarity }
    }
}
