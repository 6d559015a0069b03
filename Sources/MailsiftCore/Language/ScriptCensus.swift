/// Which writing systems a text's letters are in (ISO 15924 codes), counted by Unicode block: what the
/// language detector does not say (a Russian text and a Latin one with Cyrillic look-alikes are both "ru" or
/// both "en" to it, but not to the census). Pure; one pass over the UTF-8 bytes, at most ``maximumScalars`` scalars.
public struct ScriptCensus: Sendable, Hashable {
    /// Letters per script, in ``scripts`` order.
    public private(set) var counts: [Int]
    public private(set) var letters = 0

    /// The scripts counted; everything else with letters is `Zzzz`.
    public static let scripts = [
        "Latn", "Cyrl", "Grek", "Armn", "Hebr", "Arab", "Deva", "Beng", "Taml", "Thai", "Geor", "Hang", "Hira", "Kana", "Hani", "Zzzz",
    ]
    public static let maximumScalars = 16_384

    public init(_ text: String) {
        var counts = [Int](repeating: 0, count: Self.scripts.count)
        var letters = 0
        var text = text
        text.withUTF8 { b in
            counts.withUnsafeMutableBufferPointer { c in
                var i = 0, scalars = 0
                while i < b.count && scalars < Self.maximumScalars {
                    let lead = b[i]
                    scalars += 1
                    if lead < 0x80 {
                        // ASCII: a letter is Latin.
                        if (lead | 0x20) &- 0x61 < 26 {
                            c[0] += 1
                            letters += 1
                        }
                        i += 1
                        continue
                    }
                    // Valid UTF-8 (a Swift string): the lead byte gives the length.
                    let n = lead >= 0xF0 ? 4 : lead >= 0xE0 ? 3 : 2
                    var v = UInt32(lead) & (n == 2 ? 0x1F : n == 3 ? 0x0F : 0x07)
                    for k in 1..<n where i + k < b.count { v = v << 6 | UInt32(b[i + k] & 0x3F) }
                    i += n
                    if let s = Unicode.Scalar(v), let index = Self.index(of: s) {
                        c[index] += 1
                        letters += 1
                    }
                }
            }
        }
        self.counts = counts
        self.letters = letters
    }

    /// The script of most letters, `Zyyy` (common) when there is no letter. Han with kana is Japanese (`Jpan`).
    public var dominant: String {
        guard letters > 0, let top = counts.indices.max(by: { counts[$0] < counts[$1] }) else { return "Zyyy" }
        let kana = counts[12] + counts[13]
        if Self.scripts[top] == "Hani" || Self.scripts[top] == "Hira" || Self.scripts[top] == "Kana" {
            if kana * 20 >= letters { return "Jpan" }
        }
        if Self.scripts[top] == "Hang" { return "Kore" }
        return Self.scripts[top]
    }

    /// The share of the letters that are Latin.
    public var latinShare: Double { letters == 0 ? 0 : Double(counts[0]) / Double(letters) }

    /// Scripts holding at least a tenth of the letters each (kana and Han together count once: Japanese).
    public var significant: Int {
        guard letters > 0 else { return 0 }
        var shares = counts
        shares[14] += shares[12] + shares[13]
        shares[12] = 0
        shares[13] = 0
        return shares.filter { $0 * 10 >= letters }.count
    }

    /// The script index of a letter, nil for what is not a letter (digits, punctuation, marks, symbols).
    static func index(of s: Unicode.Scalar) -> Int? {
        let v = s.value
        if v < 0x80 {
            return (v | 0x20) >= 0x61 && (v | 0x20) <= 0x7A ? 0 : nil
        }
        guard s.properties.isAlphabetic else { return nil }
        switch v {
        case 0x00C0...0x024F, 0x1E00...0x1EFF, 0x2C60...0x2C7F, 0xA720...0xA7FF, 0xFF21...0xFF3A, 0xFF41...0xFF5A: return 0
        case 0x0400...0x052F, 0x1C80...0x1C8F, 0x2DE0...0x2DFF, 0xA640...0xA69F: return 1
        case 0x0370...0x03FF, 0x1F00...0x1FFF: return 2
        case 0x0530...0x058F: return 3
        case 0x0590...0x05FF: return 4
        case 0x0600...0x06FF, 0x0750...0x077F, 0x08A0...0x08FF, 0xFB50...0xFDFF, 0xFE70...0xFEFF: return 5
        case 0x0900...0x097F: return 6
        case 0x0980...0x09FF: return 7
        case 0x0B80...0x0BFF: return 8
        case 0x0E00...0x0E7F: return 9
        case 0x10A0...0x10FF: return 10
        case 0x1100...0x11FF, 0x3130...0x318F, 0xAC00...0xD7AF: return 11
        case 0x3040...0x309F: return 12
        case 0x30A0...0x30FF, 0x31F0...0x31FF, 0xFF66...0xFF9F: return 13
        case 0x3400...0x4DBF, 0x4E00...0x9FFF, 0xF900...0xFAFF, 0x20000...0x3134F: return 14
        default: return 15
        }
    }
}
