/// A date from a Date or Received header (RFC 5322 section 3.3, with the obsolete forms and common
/// deviations: two-digit years, named zones, missing seconds or zone, day and month swapped).
public struct MessageDate: Sendable, Hashable, Codable {
    /// Seconds since 1970-01-01T00:00:00Z.
    public var timestamp: Int64
    /// The zone offset written in the header, in minutes east of UTC (0 when absent).
    public var zoneOffsetMinutes: Int
    /// Whether a zone was written at all.
    public var hasZone: Bool

    public init?(parsing text: String) {
        var copy = text
        guard let date = copy.withUTF8({ MessageDate(bytes: $0) }) else { return nil }
        self = date
    }

    /// Parses the UTF-8 bytes of a date; words are compared as bytes, numbers read without making strings.
    init?(bytes u: UnsafeBufferPointer<UInt8>) {
        var day: Int? = nil
        var month: Int? = nil
        var year: Int? = nil
        var hms: (Int, Int, Int)? = nil
        var zone: Int? = nil
        var i = 0
        while i < u.count {
            while i < u.count, MessageDate.isSeparator(u[i]) { i += 1 }
            guard i < u.count else { break }
            let start = i
            while i < u.count, !MessageDate.isSeparator(u[i]) { i += 1 }
            let token = UnsafeBufferPointer(rebasing: u[start..<i])
            if token[0] == UInt8(ascii: "(") { break }
            if month == nil, let m = MessageDate.month(token) {
                month = m
            } else if hms == nil, token.contains(ASCII.colon) {
                guard let time = MessageDate.time(token) else { continue }
                hms = time
            } else if zone == nil, token.count == 5, token[0] == UInt8(ascii: "+") || token[0] == ASCII.hyphen,
                      let n = ASCII.integer(UnsafeBufferPointer(rebasing: token[1...])) {
                let minutes = (n / 100) * 60 + n % 100
                zone = token[0] == ASCII.hyphen ? -minutes : minutes
            } else if let n = ASCII.integer(token) {
                if token.count <= 2, day == nil, n >= 1, n <= 31 {
                    day = n
                } else if year == nil {
                    year = token.count <= 2 ? (n < 50 ? 2000 + n : 1900 + n) : (token.count == 3 ? 1900 + n : n)
                }
            } else if zone == nil, let z = MessageDate.zone(token) {
                zone = z
            }
        }
        guard let day, let month, let year, year >= 1900, year <= 9999 else { return nil }
        let (h, m, s) = hms ?? (0, 0, 0)
        // Signed fields parse as numbers; a negative one (or a huge one, whose product would overflow) is no time.
        guard (0..<24).contains(h), (0..<60).contains(m), (0...60).contains(s) else { return nil }
        let days = MessageDate.daysFromCivil(year: year, month: month, day: day)
        let offset = zone ?? 0
        timestamp = Int64(days) * 86_400 + Int64(h * 3600 + m * 60 + s) - Int64(offset * 60)
        zoneOffsetMinutes = offset
        hasZone = zone != nil
    }

    private static func isSeparator(_ b: UInt8) -> Bool { b == ASCII.space || b == UInt8(ascii: ",") || ASCII.isWhitespace(b) }

    /// A month name: a word of letters whose first three spell a month (`Feb`, `February`, `FEB`).
    private static func month(_ t: UnsafeBufferPointer<UInt8>) -> Int? {
        guard t.count >= 3, ASCII.isAlpha(t[0]), ASCII.isAlpha(t[1]), ASCII.isAlpha(t[2]) else { return nil }
        guard let m = months[ASCII.packedKey(t.prefix(3))] else { return nil }
        // The rest must be letters too (non-ASCII letters included, as in `Märzen`).
        var i = 3
        while i < t.count {
            if t[i] < 0x80 {
                guard ASCII.isAlpha(t[i]) else { return nil }
                i += 1
            } else {
                let (scalar, length) = UTF8Bytes.decode(t, at: i)
                guard let s = Unicode.Scalar(scalar), Character(s).isLetter else { return nil }
                i += length
            }
        }
        return m
    }

    /// `hh:mm` or `hh:mm:ss` (more fields must be numbers and are ignored; empty ones are skipped).
    private static func time(_ t: UnsafeBufferPointer<UInt8>) -> (Int, Int, Int)? {
        var parts = (0, 0, 0)
        var count = 0
        var start = 0
        for i in 0...t.count where i == t.count || t[i] == ASCII.colon {
            if i > start {
                guard let n = ASCII.integer(UnsafeBufferPointer(rebasing: t[start..<i])) else { return nil }
                switch count {
                case 0: parts.0 = n
                case 1: parts.1 = n
                case 2: parts.2 = n
                default: break
                }
                count += 1
            }
            start = i + 1
        }
        return count >= 2 ? parts : nil
    }

    /// A named zone (`GMT`, `EST`, `CEST`...), in minutes east of UTC.
    private static func zone(_ t: UnsafeBufferPointer<UInt8>) -> Int? {
        guard t.count <= 4, t.allSatisfy(ASCII.isAlpha) else { return nil }
        return zones[ASCII.packedKey(t)]
    }

    /// Days since 1970-01-01 of a proleptic Gregorian date (Howard Hinnant's algorithm).
    static func daysFromCivil(year: Int, month: Int, day: Int) -> Int {
        let y = month <= 2 ? year - 1 : year
        let era = (y >= 0 ? y : y - 399) / 400
        let yoe = y - era * 400
        let mp = (month + 9) % 12
        let doy = (153 * mp + 2) / 5 + day - 1
        let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy
        return era * 146_097 + doe - 719_468
    }

    /// Month numbers by their first three letters, packed as bytes.
    private static let months: [UInt32: Int] = {
        let names = ["jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec"]
        return Dictionary(uniqueKeysWithValues: names.enumerated().map { n, name in
            (ASCII.packedKey(name.utf8), n + 1)
        })
    }()

    /// Zone offsets by name, the letters packed as bytes.
    private static let zones: [UInt32: Int] = Dictionary(uniqueKeysWithValues: [
        "ut": 0, "utc": 0, "gmt": 0, "z": 0, "wet": 0, "bst": 60, "cet": 60, "met": 60, "cest": 120, "eet": 120,
        "est": -300, "edt": -240, "cst": -360, "cdt": -300, "mst": -420, "mdt": -360, "pst": -480, "pdt": -420,
        "jst": 540, "kst": 540, "hkt": 480, "ist": 330, "aest": 600,
    ].map { name, offset in (ASCII.packedKey(name.utf8), offset) })
}
