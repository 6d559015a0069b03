/// What an attachment is, as ``AttachmentInspector`` finds it from its bytes: the type its content shows, its hash,
/// what an archive lists (never unpacked beyond limits), macros in Office documents, active content in PDFs.
public struct AttachmentReport: Sendable, Hashable, Codable {
    /// The file name the message gives (lower-cased), if any.
    public var filename: String?
    /// The MIME type the content shows (libmagic), else nil.
    public var contentType: String?
    public var bytes: Int
    /// SHA-256 of the decoded content, in hex.
    public var sha256: String?
    /// A program: by its content (PE, ELF, Mach-O, a script with a shebang) or its name's extension.
    public var executable = false
    /// The name says one type and the content another that can run (`invoice.pdf` that is a PE file).
    public var typeMismatch = false
    /// What an archive holds, when the attachment is one.
    public var archive: ArchiveListing?
    /// VBA macros: an OOXML document with `vbaProject.bin`, or an OLE document with a `VBA` storage.
    public var macros = false
    /// A PDF's active content: JavaScript, a launch action, an action run on opening; and the links it holds.
    public var pdf: PDFFindings?
    /// The hash is on the site's list of known bad attachments (``AttachmentHashList``).
    public var listed = false

    public init(filename: String?, contentType: String?, bytes: Int) {
        self.filename = filename
        self.contentType = contentType
        self.bytes = bytes
    }

    /// What an archive lists.
    public struct ArchiveListing: Sendable, Hashable, Codable {
        /// The format libarchive names (`ZIP 2.0 (deflation)`, `RAR5`...).
        public var format: String
        public var entries = 0
        /// Entries that are programs or scripts by name (`.exe`, `.js`, `.vbs`, ...).
        public var executables = 0
        /// Entries that are archives themselves.
        public var nestedArchives = 0
        public var encrypted = false
        /// The sizes the entries declare, summed, over the archive's size.
        public var ratio = 0.0
        /// Listing stopped at a limit (entries, declared size, or a damaged archive).
        public var truncated = false
        /// The first few entry names (at most 8, for reasons; names, not content).
        public var names: [String] = []

        public init(format: String) { self.format = format }
    }

    public struct PDFFindings: Sendable, Hashable, Codable {
        public var javascript = false
        public var launch = false
        public var openAction = false
        public var uris = 0
        /// The links themselves (their strings decoded: literal escapes, hex strings), the first ``maximumLinks``, each
        /// at most ``ExtractedURL/maxURLBytes``. Kept out of the message's URLs that the models read (they were
        /// trained without them) but read by the rules' `url_domain` test and named in reasons.
        public var links: [String] = []

        public static let maximumLinks = 20

        public init() {}

        public var isActive: Bool { javascript || launch }
    }

    /// Whether anything about it is a risk worth a reason.
    public var risks: [String] {
        var out: [String] = []
        let name = filename ?? "an attachment"
        if executable { out.append("\(name) is a program") }
        if typeMismatch { out.append("\(name) is named as one type and is another (\(contentType ?? "unknown"))") }
        if let a = archive {
            if a.executables > 0 { out.append("\(name) holds \(a.executables) program(s): \(a.names.filter(AttachmentReport.isExecutableName).prefix(3).joined(separator: ", "))") }
            if a.encrypted { out.append("\(name) is an encrypted archive") }
            if a.ratio > AttachmentReport.bombRatio { out.append("\(name) unpacks to \(Int(a.ratio.rounded())) times its size") }
        }
        if macros { out.append("\(name) has VBA macros") }
        if let p = pdf, p.isActive { out.append("\(name) is a PDF with " + (p.javascript ? "JavaScript" : "a launch action")) }
        if listed { out.append("\(name) is on the site's list of known bad attachments") }
        return out
    }

    /// An unpacked-to-packed ratio from which an archive is a decompression bomb, not a document.
    public static let bombRatio = 100.0

    /// Extensions of programs and scripts a mail client may run: the ones the model's columns count, and more the
    /// inspector knows.
    public static let executableExtensions = MetadataTokens.executableExtensions.union([
        "wsh", "msp", "psm1", "dll", "reg", "iso", "img", "vhd", "vhdx", "apk", "app", "sh", "elf", "bin",
    ])
    public static let archiveExtensions = MetadataTokens.archiveExtensions.subtracting(["iso"]).union(["tar", "bz2", "xz", "lzh", "z"])

    public static func isExecutableName(_ name: String) -> Bool {
        guard let dot = name.lastIndex(of: ".") else { return false }
        return executableExtensions.contains(name[name.index(after: dot)...].lowercased())
    }

    public static func isArchiveName(_ name: String) -> Bool {
        guard let dot = name.lastIndex(of: ".") else { return false }
        return archiveExtensions.contains(name[name.index(after: dot)...].lowercased())
    }
}
