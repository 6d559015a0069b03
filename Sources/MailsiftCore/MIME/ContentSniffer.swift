/// Identifies a body's real type from its first bytes (magic numbers), to catch attachments whose declared
/// type or file name lies (an executable named `invoice.pdf`).
public enum ContentSniffer {
    /// How many leading bytes ``sniff(_:)`` looks at.
    public static let bytesNeeded = 64

    /// The MIME type the bytes show, or nil when no signature matches.
    public static func sniff(_ b: [UInt8]) -> String? {
        func starts(_ sig: [UInt8], at offset: Int = 0) -> Bool {
            b.count >= offset + sig.count && b[offset..<(offset + sig.count)].elementsEqual(sig)
        }
        if starts([0x25, 0x50, 0x44, 0x46, 0x2D]) { return "application/pdf" }
        if starts([0x50, 0x4B, 0x03, 0x04]) || starts([0x50, 0x4B, 0x05, 0x06]) { return "application/zip" }
        if starts([0x4D, 0x5A]) { return "application/x-msdownload" }
        if starts([0x7F, 0x45, 0x4C, 0x46]) { return "application/x-elf" }
        if starts([0xD0, 0xCF, 0x11, 0xE0, 0xA1, 0xB1, 0x1A, 0xE1]) { return "application/x-ole-storage" }
        if starts([0x52, 0x61, 0x72, 0x21, 0x1A, 0x07]) { return "application/vnd.rar" }
        if starts([0x37, 0x7A, 0xBC, 0xAF, 0x27, 0x1C]) { return "application/x-7z-compressed" }
        if starts([0x1F, 0x8B]) { return "application/gzip" }
        if starts(Array("GIF87a".utf8)) || starts(Array("GIF89a".utf8)) { return "image/gif" }
        if starts([0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A]) { return "image/png" }
        if starts([0xFF, 0xD8, 0xFF]) { return "image/jpeg" }
        if starts([0x42, 0x4D]) && b.count >= 14 { return "image/bmp" }
        if starts([0x49, 0x49, 0x2A, 0x00]) || starts([0x4D, 0x4D, 0x00, 0x2A]) { return "image/tiff" }
        if starts(Array("RIFF".utf8)) && starts(Array("WEBP".utf8), at: 8) { return "image/webp" }
        if starts(Array("RIFF".utf8)) && starts(Array("WAVE".utf8), at: 8) { return "audio/wav" }
        if starts(Array("{\\rtf".utf8)) { return "application/rtf" }
        if starts(Array("ID3".utf8)) { return "audio/mpeg" }
        if starts([0x00, 0x00, 0x01, 0x00]) { return "image/x-icon" }
        if starts([0xCA, 0xFE, 0xBA, 0xBE]) { return "application/java-vm" }
        // Text-like: skip leading blanks and a BOM, look for markup.
        var i = 0
        if starts([0xEF, 0xBB, 0xBF]) { i = 3 }
        while i < b.count, ASCII.isWhitespace(b[i]) { i += 1 }
        let rest = Array(b[i...].prefix(16)).map(ASCII.lower)
        for tag in ["<!doctype html", "<html", "<head", "<body", "<script", "<iframe"] where rest.starts(with: tag.utf8) {
            return "text/html"
        }
        if rest.starts(with: "<?xml".utf8) { return "application/xml" }
        if !b.isEmpty, b.allSatisfy({ $0 == 0x09 || $0 == 0x0A || $0 == 0x0D || ($0 >= 0x20 && $0 != 0x7F) }) {
            return "text/plain"
        }
        return nil
    }

    /// Executable or archive content behind a declared type or extension that says otherwise.
    public static func isMismatch(sniffed: String?, declared: String, filename: String?) -> Bool {
        guard let sniffed else { return false }
        let dangerous: Set<String> = ["application/x-msdownload", "application/x-elf", "application/java-vm"]
        let ext = filename.flatMap { name -> String? in
            guard let dot = name.lastIndex(of: ".") else { return nil }
            return name[name.index(after: dot)...].lowercased()
        }
        if dangerous.contains(sniffed) {
            let executableExtensions: Set<String> = ["exe", "dll", "scr", "com", "pif", "cpl", "sys", "bin", "elf", "class", "jar"]
            return !(ext.map(executableExtensions.contains) ?? false)
        }
        guard let ext else { return false }
        let expected: [String: Set<String>] = [
            "application/pdf": ["pdf"],
            "image/gif": ["gif"], "image/png": ["png"], "image/jpeg": ["jpg", "jpeg", "jpe", "jfif"],
            "application/zip": ["zip", "docx", "xlsx", "pptx", "jar", "odt", "ods", "odp", "epub", "apk", "xpi", "kmz"],
            "application/x-ole-storage": ["doc", "xls", "ppt", "msi", "msg", "pps", "dot", "xlt", "pub", "vsd"],
        ]
        if let allowed = expected[sniffed] { return !allowed.contains(ext) }
        return false
    }
}
