import CArchive
import CMagic
import MailsiftCore
import Synchronization

#if canImport(Crypto)
import Crypto
#endif

/// ``AttachmentInspector`` on Debian's libraries: the content's type from libmagic (the `file` command's database,
/// read on at most ``magicBytes`` bytes, compressed content not opened), archives listed with libarchive from memory
/// (names, declared sizes, encryption; an entry's data is read only for a nested archive or an OOXML part, within
/// ``Limits``), SHA-256 from swift-crypto, and the core's scans for VBA and PDF actions.
public final class LibraryAttachmentInspector: AttachmentInspector, @unchecked Sendable {
    /// What one inspection may cost.
    public struct Limits: Sendable {
        /// Entries listed per archive.
        public var entries = 2_000
        /// Declared unpacked bytes walked past per archive (skipping an entry of a compressed stream unpacks it).
        public var declaredBytes = 16 << 20
        /// Nested archives opened, and how deep.
        public var nestedBytes = 4 << 20
        public var depth = 2
        public init() {}
    }

    public let limits: Limits
    public let hashList: AttachmentHashList
    /// libmagic cookies are not thread-safe: a pool, one per concurrent inspection.
    private let cookies = Mutex<[Cookie]>([])

    /// A libmagic handle, used by one inspection at a time.
    struct Cookie: @unchecked Sendable {
        let pointer: OpaquePointer
    }
    public static let magicBytes = 256 << 10

    public struct Unavailable: Error, CustomStringConvertible {
        public var description: String
    }

    public init(hashList: AttachmentHashList = AttachmentHashList(), limits: Limits = Limits()) throws {
        self.hashList = hashList
        self.limits = limits
        let first = try Self.openCookie()
        cookies.withLock { $0.append(first) }
    }

    deinit {
        cookies.withLock { for c in $0 { magic_close(c.pointer) } }
    }

    static func openCookie() throws -> Cookie {
        guard let cookie = magic_open(MAGIC_MIME_TYPE | MAGIC_NO_CHECK_COMPRESS | MAGIC_NO_CHECK_ENCODING) else {
            throw Unavailable(description: "libmagic: cannot open")
        }
        guard magic_load(cookie, nil) == 0 else {
            let why = magic_error(cookie).map { String(cString: $0) } ?? "no database"
            magic_close(cookie)
            throw Unavailable(description: "libmagic: \(why)")
        }
        return Cookie(pointer: cookie)
    }

    /// The MIME type libmagic gives the first ``magicBytes`` bytes.
    public func contentType(_ bytes: [UInt8]) -> String? {
        guard !bytes.isEmpty else { return nil }
        guard let cookie = cookies.withLock({ $0.popLast() }) ?? (try? Self.openCookie()) else { return nil }
        defer { cookies.withLock { $0.append(cookie) } }
        let n = min(bytes.count, Self.magicBytes)
        return bytes.withUnsafeBytes { magic_buffer(cookie.pointer, $0.baseAddress, n).map { String(cString: $0) } }
    }

    public func inspect(_ bytes: [UInt8], filename: String?) -> AttachmentReport {
        let name = filename?.lowercased()
        var r = AttachmentReport(filename: name, contentType: contentType(bytes), bytes: bytes.count)
        #if canImport(Crypto)
        // (The fuzz build, scripts/fuzz.sh attachments, compiles without swift-crypto.)
        r.sha256 = SHA256.hash(data: bytes).map { String($0, radix: 16).leftPadded(2) }.joined()
        #endif
        r.listed = hashList.contains(r.sha256)
        let type = r.contentType ?? ""
        let runs = Self.executableTypes.contains(type)
        r.executable = runs || name.map(AttachmentReport.isExecutableName) == true
        if runs, let name, let dot = name.lastIndex(of: "."), Self.documentExtensions.contains(String(name[name.index(after: dot)...])) {
            r.typeMismatch = true
        }
        r.macros = AttachmentScan.oleHasMacros(bytes)
        r.pdf = AttachmentScan.pdf(bytes)
        if Self.zippedDocuments.contains(where: type.hasPrefix) {
            // An Office or OpenDocument file is a zip: its parts are listed for a VBA project, not as an archive.
            let listing = list(bytes, depth: 0)
            if listing?.macroPart == true { r.macros = true }
            if type == "application/java-archive" { r.executable = true }
        } else if Self.archiveTypes.contains(type) || name.map(AttachmentReport.isArchiveName) == true {
            if let listing = list(bytes, depth: 0) {
                r.archive = listing.listing
                if listing.macroPart { r.macros = true }
            }
        }
        return r
    }

    struct Listed {
        var listing: AttachmentReport.ArchiveListing
        var macroPart = false
    }

    /// Lists the archive in `bytes`; nil when libarchive does not read it as one.
    func list(_ bytes: [UInt8], depth: Int) -> Listed? {
        guard let a = archive_read_new() else { return nil }
        defer { archive_read_free(a) }
        archive_read_support_filter_all(a)
        archive_read_support_format_all(a)
        return bytes.withUnsafeBytes { raw -> Listed? in
            guard archive_read_open_memory(a, raw.baseAddress, raw.count) == ARCHIVE_OK else { return nil }
            var entry: OpaquePointer?
            var out: Listed?
            var declared = 0
            while true {
                let status = archive_read_next_header(a, &entry)
                if status == ARCHIVE_EOF { break }
                guard status == ARCHIVE_OK || status == ARCHIVE_WARN, let entry else {
                    out?.listing.truncated = true
                    break
                }
                if out == nil { out = Listed(listing: .init(format: archive_format_name(a).map { String(cString: $0) } ?? "archive")) }
                out!.listing.entries += 1
                let path = (archive_entry_pathname_utf8(entry) ?? archive_entry_pathname(entry)).map { String(cString: $0) } ?? ""
                let name = String(path.split(separator: "/").last ?? "").lowercased()
                let size = archive_entry_size_is_set(entry) != 0 ? Int(max(0, archive_entry_size(entry))) : 0
                declared += size
                if archive_entry_is_encrypted(entry) != 0 { out!.listing.encrypted = true }
                if out!.listing.names.count < 8, !name.isEmpty { out!.listing.names.append(String(name.prefix(100))) }
                if AttachmentReport.isExecutableName(name) { out!.listing.executables += 1 }
                if name == "vbaproject.bin" { out!.macroPart = true }
                if AttachmentReport.isArchiveName(name) {
                    out!.listing.nestedArchives += 1
                    // A nested archive small enough is read (within the limit) and listed too.
                    if depth + 1 < limits.depth, size > 0, size <= limits.nestedBytes, archive_entry_is_encrypted(entry) == 0 {
                        let inner = Self.readData(a, size: size)
                        if !inner.isEmpty, let nested = list(inner, depth: depth + 1) {
                            out!.listing.executables += nested.listing.executables
                            out!.listing.nestedArchives += nested.listing.nestedArchives
                            out!.listing.encrypted = out!.listing.encrypted || nested.listing.encrypted
                            out!.macroPart = out!.macroPart || nested.macroPart
                        }
                    }
                }
                // Checked before the next header: reading it would skip (for a compressed stream, unpack) this
                // entry's data.
                if out!.listing.entries >= limits.entries || declared > limits.declaredBytes {
                    out!.listing.truncated = true
                    break
                }
            }
            if archive_read_has_encrypted_entries(a) > 0 { out?.listing.encrypted = true }
            out?.listing.ratio = Double(declared) / Double(max(1, bytes.count))
            return out
        }
    }

    /// The current entry's data, up to `size` bytes (libarchive hands it out in blocks).
    static func readData(_ a: OpaquePointer, size: Int) -> [UInt8] {
        var data = [UInt8](repeating: 0, count: size)
        var filled = 0
        while filled < size {
            let n = data.withUnsafeMutableBytes { archive_read_data(a, $0.baseAddress! + filled, size - filled) }
            guard n > 0 else { break }
            filled += n
        }
        return Array(data.prefix(filled))
    }

    static let executableTypes: Set<String> = [
        "application/x-dosexec", "application/x-msdownload", "application/x-executable", "application/x-sharedlib", "application/x-pie-executable",
        "application/x-mach-binary", "application/x-msi", "text/x-shellscript", "application/x-bat", "application/vnd.microsoft.portable-executable",
    ]
    static let archiveTypes: Set<String> = [
        "application/zip", "application/x-rar", "application/vnd.rar", "application/x-7z-compressed", "application/gzip", "application/x-gzip",
        "application/x-bzip2", "application/x-xz", "application/x-tar", "application/vnd.ms-cab-compressed", "application/x-iso9660-image",
        "application/x-lzh-compressed", "application/x-arj",
    ]
    static let zippedDocuments = ["application/vnd.openxmlformats-officedocument", "application/vnd.ms-word", "application/vnd.ms-excel",
                                  "application/vnd.ms-powerpoint", "application/vnd.oasis.opendocument", "application/java-archive"]
    static let documentExtensions: Set<String> = [
        "pdf", "doc", "docx", "xls", "xlsx", "ppt", "pptx", "rtf", "txt", "jpg", "jpeg", "png", "gif", "odt", "csv", "htm", "html", "zip",
    ]
}

extension String {
    func leftPadded(_ width: Int) -> String { count >= width ? self : String(repeating: "0", count: width - count) + self }
}
