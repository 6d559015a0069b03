/// A character set a message may declare, resolved from its (often sloppy) label.
///
/// Labels are matched the way the WHATWG Encoding Standard does for the common cases: `iso-8859-1` and
/// `us-ascii` are read as Windows-1252 supersets when their bytes need it, `gb2312`/`gbk` as GB18030,
/// `shift_jis` as Windows-31J, `euc-kr` as CP949, because mail that declares the narrow set so often uses
/// the wide one. Anything else is handed to glibc's iconv under the label given.
public enum Charset: Sendable, Hashable {
    case utf8
    case ascii
    /// ISO-8859-1 and Windows-1252 (decoded alike, as Windows-1252).
    case windows1252
    /// A charset converted by iconv, with the iconv name to use; `asciiCompatible` is false for
    /// stateful or wide encodings (ISO-2022-*, UTF-7, UTF-16/32, HZ) whose ASCII bytes are not ASCII.
    case iconv(name: String, asciiCompatible: Bool)

    /// The canonical name reported in output.
    public var name: String {
        switch self {
        case .utf8: return "utf-8"
        case .ascii: return "us-ascii"
        case .windows1252: return "windows-1252"
        case .iconv(let name, _): return name.lowercased()
        }
    }

    var asciiCompatible: Bool {
        if case .iconv(_, let compatible) = self { return compatible }
        return true
    }

    /// Resolves a declared label; nil when the label is empty.
    /// An unknown label still resolves (to an iconv name), and fails only when decoding is attempted.
    public init?(label rawLabel: String) {
        var label = rawLabel.fastLowercased()
        label.removeAll { $0 == "\"" || $0 == "'" || $0 == " " || $0 == "\t" }
        guard !label.isEmpty else { return nil }
        if let known = Charset.aliases[label] {
            self = known
            return
        }
        if label.hasPrefix("iso8859-") || label.hasPrefix("iso_8859-") || label.hasPrefix("iso8859_") {
            label = "iso-8859-" + label.split(whereSeparator: { $0 == "-" || $0 == "_" }).last.map(String.init)!
            if label == "iso-8859-1" { self = .windows1252; return }
        }
        if label.hasPrefix("iso-8859-") {
            self = .iconv(name: label.uppercased(), asciiCompatible: true)
            return
        }
        if label.hasPrefix("windows-") || label.hasPrefix("cp") || label.hasPrefix("x-cp") {
            let digits = label.filter(\.isNumber)
            if digits == "1252" { self = .windows1252; return }
            if !digits.isEmpty { self = .iconv(name: "CP" + digits, asciiCompatible: true); return }
        }
        let stateful = label.hasPrefix("iso-2022") || label.hasPrefix("utf-7") || label.hasPrefix("utf-16")
            || label.hasPrefix("utf-32") || label.hasPrefix("hz")
        self = .iconv(name: label.uppercased(), asciiCompatible: !stateful)
    }

    private static let aliases: [String: Charset] = {
        var table: [String: Charset] = [:]
        for l in ["utf-8", "utf8", "unicode-1-1-utf-8", "x-unicode20utf8", "unicode-2-0-utf-8"] { table[l] = .utf8 }
        for l in ["us-ascii", "ascii", "ansi_x3.4-1968", "iso646-us", "us", "iso-ir-6", "cp367", "ibm367",
                  "default", "7bit", "8bit", "x-unknown", "unknown", "none"] { table[l] = .ascii }
        for l in ["iso-8859-1", "latin1", "latin-1", "l1", "iso-latin-1", "iso_8859-1:1987", "8859_1", "8859-1",
                  "cp819", "ibm819", "iso-ir-100", "csisolatin1", "windows-1252", "cp1252", "x-cp1252",
                  "windows1252", "ms-ansi", "western", "iso-8859-1-windows-3.1-latin-1", "iso-8859-1-windows-3.0-latin-1"] {
            table[l] = .windows1252
        }
        let gb = Charset.iconv(name: "GB18030", asciiCompatible: true)
        for l in ["gb2312", "gbk", "gb18030", "x-gbk", "cp936", "ms936", "windows-936", "euc-cn", "chinese",
                  "csgb2312", "gb_2312-80", "iso-ir-58", "x-euc-cn", "gb2312-80"] { table[l] = gb }
        let big5 = Charset.iconv(name: "BIG5-HKSCS", asciiCompatible: true)
        for l in ["big5", "big5-hkscs", "x-x-big5", "cn-big5", "csbig5", "x-big5", "cp950"] { table[l] = big5 }
        let sjis = Charset.iconv(name: "CP932", asciiCompatible: true)
        for l in ["shift_jis", "shift-jis", "sjis", "x-sjis", "ms_kanji", "csshiftjis", "windows-31j", "cp932",
                  "x-ms-cp932", "ms932"] { table[l] = sjis }
        for l in ["euc-jp", "x-euc-jp", "cseucpkdfmtjapanese", "eucjp"] {
            table[l] = .iconv(name: "EUC-JP-MS", asciiCompatible: true)
        }
        for l in ["iso-2022-jp", "csiso2022jp", "iso-2022-jp-1", "iso-2022-jp-2", "iso-2022-jp-3"] {
            table[l] = .iconv(name: "ISO-2022-JP-3", asciiCompatible: false)
        }
        let kr = Charset.iconv(name: "CP949", asciiCompatible: true)
        for l in ["euc-kr", "ks_c_5601-1987", "ks_c_5601-1989", "ksc5601", "ksc_5601", "korean", "cp949",
                  "windows-949", "x-windows-949", "csksc56011987", "iso-ir-149", "euckr", "uhc"] { table[l] = kr }
        table["iso-2022-kr"] = .iconv(name: "ISO-2022-KR", asciiCompatible: false)
        for l in ["koi8-r", "koi8r", "cskoi8r", "koi", "koi8"] { table[l] = .iconv(name: "KOI8-R", asciiCompatible: true) }
        for l in ["koi8-u", "koi8-ru"] { table[l] = .iconv(name: "KOI8-U", asciiCompatible: true) }
        for l in ["latin2", "l2"] { table[l] = .iconv(name: "ISO-8859-2", asciiCompatible: true) }
        for l in ["latin9", "l9", "latin-9"] { table[l] = .iconv(name: "ISO-8859-15", asciiCompatible: true) }
        for l in ["tis-620", "tis620", "windows-874", "cp874", "iso-8859-11"] {
            table[l] = .iconv(name: "CP874", asciiCompatible: true)
        }
        table["utf-7"] = .iconv(name: "UTF-7", asciiCompatible: false)
        table["unicode-1-1-utf-7"] = .iconv(name: "UTF-7", asciiCompatible: false)
        table["hz-gb-2312"] = .iconv(name: "HZ", asciiCompatible: false)
        return table
    }()
}
