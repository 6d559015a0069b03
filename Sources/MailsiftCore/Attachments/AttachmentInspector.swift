/// Inspects an attachment's decoded bytes (a port: `LibraryAttachmentInspector` in `MailsiftAttachments` answers
/// with libmagic and libarchive). Must be bounded in time and memory for any bytes.
public protocol AttachmentInspector: Sendable {
    func inspect(_ bytes: [UInt8], filename: String?) -> AttachmentReport
}

/// The checks on an attachment's bytes that need no library: VBA storages in OLE documents, active content in PDFs.
/// Each reads a bounded prefix.
public enum AttachmentScan {
    /// Most bytes the scans read.
    public static let maximumBytes = 8 << 20

    /// Whether an OLE compound file (`.doc`, `.xls`, `.ppt`) holds a VBA project: a directory entry named `VBA` or
    /// `_VBA_PROJECT` (names are UTF-16LE in the directory sectors).
    public static func oleHasMacros(_ b: [UInt8]) -> Bool {
        guard b.starts(with: [0xD0, 0xCF, 0x11, 0xE0, 0xA1, 0xB1, 0x1A, 0xE1]) else { return false }
        let patterns = ["_VBA_PROJECT", "VBA\u{0}"].map { name in Array(name.utf16.flatMap { [UInt8($0 & 0xFF), UInt8($0 >> 8)] }) }
        return patterns.contains { contains(b.prefix(maximumBytes), $0) }
    }

    /// JavaScript (`/JavaScript`, `/JS`), launch actions (`/Launch`), an action on opening (`/OpenAction`, `/AA`) and
    /// links (`/URI`) in a PDF's bytes. Streams compressed inside the PDF are not opened.
    public static func pdf(_ b: [UInt8]) -> AttachmentReport.PDFFindings? {
        guard b.starts(with: Array("%PDF-".utf8)) else { return nil }
        var f = AttachmentReport.PDFFindings()
        let body = b.prefix(maximumBytes)
        f.javascript = contains(body, Array("/JavaScript".utf8)) || containsName(body, Array("/JS".utf8))
        f.launch = containsName(body, Array("/Launch".utf8))
        f.openAction = containsName(body, Array("/OpenAction".utf8)) || containsName(body, Array("/AA".utf8))
        (f.uris, f.links) = uriStrings(body, limit: 10_000)
        return f
    }

    /// A PDF string at `i` (`(literal)`, with nesting and escapes, or `<hex>`), at most ``ExtractedURL/maxURLBytes``
    /// bytes decoded; nil when there is none.
    static func pdfString(_ hay: ArraySlice<UInt8>, at i: Int) -> String? {
        guard i < hay.endIndex else { return nil }
        var out: [UInt8] = []
        var j = i + 1
        if hay[i] == UInt8(ascii: "<") {
            var digits: [UInt8] = []
            while j < hay.endIndex, hay[j] != UInt8(ascii: ">"), out.count < ExtractedURL.maxURLBytes {
                if let v = ASCII.hexValue(hay[j]) {
                    digits.append(v)
                    if digits.count == 2 {
                        out.append(digits[0] << 4 | digits[1])
                        digits.removeAll()
                    }
                }
                j += 1
            }
        } else {
            var depth = 1
            while j < hay.endIndex, out.count < ExtractedURL.maxURLBytes {
                let c = hay[j]
                if c == UInt8(ascii: "\\"), j + 1 < hay.endIndex {
                    j += 1
                    let e = hay[j]
                    switch e {
                    case UInt8(ascii: "n"): out.append(0x0A)
                    case UInt8(ascii: "r"): out.append(0x0D)
                    case UInt8(ascii: "t"): out.append(0x09)
                    case 0x0A, 0x0D: break  // a line continued
                    default: out.append(e)  // \( \) \\ and the rest as written (octal escapes are rare in links)
                    }
                } else if c == UInt8(ascii: "(") {
                    depth += 1
                    out.append(c)
                } else if c == UInt8(ascii: ")") {
                    depth -= 1
                    if depth == 0 { break }
                    out.append(c)
                } else {
                    out.append(c)
                }
                j += 1
            }
        }
        let s = String(decoding: out, as: UTF8.self).trimmingBlanks()
        return s.isEmpty ? nil : s
    }

    static func contains(_ hay: ArraySlice<UInt8>, _ needle: [UInt8]) -> Bool { count(hay, needle, limit: 1) > 0 }

    /// Links: `/URI` names followed by a string (`(...)` or `<...>`), not the `/S /URI` that names the action type.
    /// Their count (up to `limit`), and the first ``AttachmentReport/PDFFindings/maximumLinks`` distinct ones decoded.
    static func uriStrings(_ hay: ArraySlice<UInt8>, limit: Int) -> (count: Int, links: [String]) {
        let needle = Array("/URI".utf8)
        var n = 0
        var links: [String] = []
        var i = hay.startIndex
        while n < limit, let at = firstIndex(hay[i...], needle) {
            var j = at + needle.count
            while j < hay.endIndex, ASCII.isWhitespace(hay[j]) { j += 1 }
            if j < hay.endIndex, hay[j] == UInt8(ascii: "(") || hay[j] == UInt8(ascii: "<") {
                n += 1
                if links.count < AttachmentReport.PDFFindings.maximumLinks, let s = pdfString(hay, at: j), !links.contains(s) { links.append(s) }
            }
            i = at + needle.count
        }
        return (n, links)
    }

    /// `needle` as a whole PDF name: not followed by another name character (`/JS` but not `/JSON`).
    static func containsName(_ hay: ArraySlice<UInt8>, _ needle: [UInt8]) -> Bool {
        var i = hay.startIndex
        while let at = firstIndex(hay[i...], needle) {
            let after = at + needle.count
            if after >= hay.endIndex || !(ASCII.isAlpha(hay[after]) || ASCII.isDigit(hay[after])) { return true }
            i = at + 1
        }
        return false
    }

    static func count(_ hay: ArraySlice<UInt8>, _ needle: [UInt8], limit: Int) -> Int {
        var n = 0
        var i = hay.startIndex
        while n < limit, let at = firstIndex(hay[i...], needle) {
            n += 1
            i = at + needle.count
        }
        return n
    }

    static func firstIndex(_ hay: ArraySlice<UInt8>, _ needle: [UInt8]) -> Int? {
        guard let first = needle.first, needle.count <= hay.count else { return nil }
        var i = hay.startIndex
        let last = hay.endIndex - needle.count
        while i <= last {
            guard let at = hay[i...last].firstIndex(of: first) else { return nil }
            if hay[at..<(at + needle.count)].elementsEqual(needle) { return at }
            i = at + 1
        }
        return nil
    }
}

/// SHA-256 hashes of attachments the site knows are bad (one hex hash a line, `#` comments), checked on every
/// attachment's hash.
public struct AttachmentHashList: Sendable, Hashable {
    public private(set) var hashes: Set<String>

    public init(hashes: some Sequence<String> = []) {
        self.hashes = Set(hashes.map { $0.lowercased() })
    }

    /// Reads the file's text: one 64-hex-digit hash a line; other lines are counted as refused.
    public init(text: String) {
        var hashes = Set<String>()
        for line in text.split(whereSeparator: \.isNewline) {
            let t = line.split(separator: "#", maxSplits: 1, omittingEmptySubsequences: false)[0].trimmingBlanks().lowercased()
            if t.utf8.count == 64, t.utf8.allSatisfy({ ASCII.isDigit($0) || ($0 >= UInt8(ascii: "a") && $0 <= UInt8(ascii: "f")) }) { hashes.insert(t) }
        }
        self.hashes = hashes
    }

    public func contains(_ sha256: String?) -> Bool { sha256.map { hashes.contains($0) } ?? false }
}
