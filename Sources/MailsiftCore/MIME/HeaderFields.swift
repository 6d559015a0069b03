/// The header fields of a message or MIME part, in order, with case-insensitive lookup.
public struct HeaderFields: Sendable, Hashable, RandomAccessCollection {
    public private(set) var fields: [HeaderField]

    public init(_ fields: [HeaderField] = []) { self.fields = fields }

    public var startIndex: Int { fields.startIndex }
    public var endIndex: Int { fields.endIndex }
    public subscript(position: Int) -> HeaderField { fields[position] }

    /// The first field named `name` (any case).
    public func first(_ name: String) -> HeaderField? {
        let key = name.fastLowercased()
        let hash = FeatureHash.xxh64(key)
        return fields.first { $0.nameKey == hash && $0.lowercasedName == key }
    }

    /// The decoded value of the first field named `name`.
    public subscript(name: String) -> String? { first(name)?.value }

    /// Every field named `name`, in order.
    public func all(_ name: String) -> [HeaderField] {
        let key = name.fastLowercased()
        let hash = FeatureHash.xxh64(key)
        return fields.filter { $0.nameKey == hash && $0.lowercasedName == key }
    }

    /// How many fields are named `name`.
    public func count(_ name: String) -> Int {
        let key = name.fastLowercased()
        return fields.reduce(0) { $0 + ($1.lowercasedName == key ? 1 : 0) }
    }

    mutating func append(_ field: HeaderField) { fields.append(field) }
    mutating func insert(_ field: HeaderField, at index: Int) { fields.insert(field, at: index) }
    mutating func removeAll(where remove: (HeaderField) -> Bool) { fields.removeAll(where: remove) }
}
