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
        var day: Int? = nil
        var month: Int? = nil
        var year: Int? = nil
        var hms: (Int, Int, Int)? = nil
        var zone: Int? = nil
        let tokens = text.split(whereSeparator: { $0 == " " || $0 == "," || $0 == "\t" || $0 == "\r" || $0 == "\n" })
        for token in tokens {
            if token.hasPrefix("(") { break }
            let lower = token.lowercased()
            if let m = MessageDate.months[String(lower.prefix(3))], lower.allSatisfy(\.isLetter), month == nil {
                month = m
            } else if token.contains(":"), hms == nil {
                let parts = token.split(separator: ":").map { Int($0) }
                guard parts.count >= 2, parts.allSatisfy({ $0 != nil }) else { continue }
                hms = (parts[0]!, parts[1]!, parts.count > 2 ? parts[2]! : 0)
            } else if (token.first == "+" || token.first == "-"), token.count == 5, let n = Int(token.dropFirst()), zone == nil {
                let minutes = (n / 100) * 60 + n % 100
                zone = token.first == "-" ? -minutes : minutes
            } else if let n = Int(token) {
                if token.count <= 2, day == nil, n >= 1, n <= 31 {
                    day = n
                } else if year == nil {
                    year = token.count <= 2 ? (n < 50 ? 2000 + n : 1900 + n) : (token.count == 3 ? 1900 + n : n)
                }
            } else if let z = MessageDate.zones[lower], zone == nil {
                zone = z
            }
        }
        guard let day, let month, let year, year >= 1900, year <= 9999 else { return nil }
        let (h, m, s) = hms ?? (0, 0, 0)
        guard h < 24, m < 60, s <= 60 else { return nil }
        let days = MessageDate.daysFromCivil(year: year, month: month, day: day)
        let offset = zone ?? 0
        timestamp = Int64(days) * 86_400 + Int64(h * 3600 + m * 60 + s) - Int64(offset * 60)
        zoneOffsetMinutes = offset
        hasZone = zone != nil
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

    private static let months: [String: Int] = [
        "jan": 1, "feb": 2, "mar": 3, "apr": 4, "may": 5, "jun": 6,
        "jul": 7, "aug": 8, "sep": 9, "oct": 10, "nov": 11, "dec": 12,
    ]

    private static let zones: [String: Int] = [
        "ut": 0, "utc": 0, "gmt": 0, "z": 0, "wet": 0, "bst": 60, "cet": 60, "met": 60, "cest": 120, "eet": 120,
        "est": -300, "edt": -240, "cst": -360, "cdt": -300, "mst": -420, "mdt": -360, "pst": -480, "pdt": -420,
        "jst": 540, "kst": 540, "hkt": 480, "ist": 330, "aest": 600,
    ]
}
