import Foundation
import MailsiftAttachments
import MailsiftCore
import MailsiftTestKit
import Testing

@testable import MailsiftServer

/// Attachments inspected by libmagic and libarchive, on files Python's zipfile, tarfile and gzip wrote
/// (scripts/attachment-fixtures.py): programs in archives, nesting, encryption, bombs, macros, PDF actions, hashes;
/// hostile archives in bounded time; and the verdict's reason through the server.
@Suite struct AttachmentInspectionTests {
    static func fixture(_ name: String) throws -> [UInt8] {
        let url = try #require(Bundle.module.url(forResource: "Fixtures/attachments/\(name)", withExtension: nil))
        return [UInt8](try Data(contentsOf: url))
    }

    let inspector: LibraryAttachmentInspector

    init() throws {
        inspector = try LibraryAttachmentInspector()
    }

    @Test func aProgramInsideAnArchiveIsFound() throws {
        let r = inspector.inspect(try Self.fixture("archive-exe.zip"), filename: "Invoice.zip")
        #expect(r.contentType == "application/zip")
        #expect(r.filename == "invoice.zip" && !r.executable)
        let a = try #require(r.archive)
        #expect(a.entries == 2 && a.executables == 1 && !a.encrypted && !a.truncated)
        #expect(a.names.contains("invoice.pdf.exe"))
        #expect(r.risks.contains { $0.contains("invoice.pdf.exe") })
        #expect(r.sha256?.count == 64)
    }

    @Test func nestedArchivesAreListedWithinTheLimits() throws {
        let a = try #require(inspector.inspect(try Self.fixture("nested.zip"), filename: "docs.zip").archive)
        #expect(a.nestedArchives == 1 && a.executables == 1)
        var shallow = LibraryAttachmentInspector.Limits()
        shallow.depth = 1
        let flat = try #require(try LibraryAttachmentInspector(limits: shallow).inspect(try Self.fixture("nested.zip"), filename: "docs.zip").archive)
        #expect(flat.nestedArchives == 1 && flat.executables == 0)
    }

    @Test func encryptionAndBombsAreReportedWithoutUnpacking() throws {
        #expect(inspector.inspect(try Self.fixture("encrypted.zip"), filename: "secret.zip").archive?.encrypted == true)
        let clock = ContinuousClock()
        let start = clock.now
        let bomb = try #require(inspector.inspect(try Self.fixture("bomb.zip"), filename: "bomb.zip").archive)
        #expect(bomb.ratio > AttachmentReport.bombRatio && bomb.truncated)
        // A 100 MB entry in a gzipped tar: listing stops at the declared-size limit, before its data is unpacked.
        let tar = try #require(inspector.inspect(try Self.fixture("bomb.tar.gz"), filename: "bomb.tar.gz").archive)
        #expect(tar.truncated && tar.entries == 1 && tar.ratio > 100)
        let many = try #require(inspector.inspect(try Self.fixture("many.zip"), filename: "many.zip").archive)
        #expect(many.entries == LibraryAttachmentInspector.Limits().entries && many.truncated)
        #expect(clock.now - start < .seconds(2))
        // Half an archive: what could be read, marked truncated, or nothing; never a crash.
        let half = inspector.inspect(try Self.fixture("truncated.zip"), filename: "x.zip")
        #expect(half.archive == nil || half.archive?.truncated == true)
    }

    @Test func macrosAndPDFActionsAreFound() throws {
        let docm = inspector.inspect(try Self.fixture("macro.docm"), filename: "report.docm")
        #expect(docm.macros && docm.archive == nil)
        #expect(inspector.inspect(try Self.fixture("macro.doc"), filename: "report.doc").macros)
        let pdf = try #require(inspector.inspect(try Self.fixture("active.pdf"), filename: "statement.pdf").pdf)
        #expect(pdf.javascript && pdf.openAction && pdf.uris == 1 && pdf.isActive)
        #expect(pdf.links == ["http://evil.example/pay"])
        let plain = try #require(inspector.inspect(try Self.fixture("plain.pdf"), filename: "statement.pdf").pdf)
        #expect(!plain.isActive && plain.uris == 0)  // `/JSON` is not `/JS`
    }

    @Test func aProgramNamedAsADocumentIsAMismatchAndHashesAreListed() throws {
        let bytes = try Self.fixture("invoice.pdf.bin")
        let r = inspector.inspect(bytes, filename: "invoice.pdf")
        #expect(r.executable && r.typeMismatch)
        let listed = try LibraryAttachmentInspector(hashList: AttachmentHashList(text: "# known bad\n\(r.sha256 ?? "")  # invoice dropper\nnot-a-hash\n"))
        #expect(listed.inspect(bytes, filename: "invoice.pdf").listed)
        #expect(!inspector.inspect(bytes, filename: "invoice.pdf").listed)
    }

    /// libmagic against the hand-written sniffer on every fixture: the same kind of file, and where libmagic says more.
    @Test func libmagicAndTheSnifferAgree() throws {
        let expected: [String: (sniffer: String, magic: String)] = [
            "archive-exe.zip": ("application/zip", "application/zip"),
            "macro.docm": ("application/zip", "application/vnd.openxmlformats-officedocument.wordprocessingml.document"),
            "macro.doc": ("application/x-ole-storage", "application/x-ole-storage"),
            "active.pdf": ("application/pdf", "application/pdf"),
            "invoice.pdf.bin": ("application/x-msdownload", "application/vnd.microsoft.portable-executable"),
            "bomb.tar.gz": ("application/gzip", "application/gzip"),
        ]
        for (name, types) in expected {
            let bytes = try Self.fixture(name)
            #expect(ContentSniffer.sniff(Array(bytes.prefix(ContentSniffer.bytesNeeded))) == types.sniffer, "\(name)")
            #expect(inspector.contentType(bytes) == types.magic, "\(name)")
        }
    }

    @Test func randomBytesAreInspectedInBoundedTime() throws {
        var rng = SystemRandomNumberGenerator()
        let start = ContinuousClock.now
        for n in [0, 1, 4, 100, 4_096, 1 << 20] {
            var bytes = (0..<n).map { _ in UInt8.random(in: 0...255, using: &rng) }
            _ = inspector.inspect(bytes, filename: "x.zip")
            if n >= 4 { bytes[0...3] = [0x50, 0x4B, 0x03, 0x04] }  // a zip's signature on garbage
            _ = inspector.inspect(bytes, filename: "x.zip")
        }
        #expect(ContinuousClock.now - start < .seconds(5))
    }

    /// Through the server: a message with the zipped program gets the `attachment_risk` reason and the tree
    /// columns (in the logged row) count it.
    @Test func theVerdictNamesTheRisk() async throws {
        let zip = try Self.fixture("archive-exe.zip")
        let message = """
            From: billing@supplier.example\r
            To: someone@example.org\r
            Subject: Invoice\r
            MIME-Version: 1.0\r
            Content-Type: multipart/mixed; boundary="b"\r
            \r
            --b\r
            Content-Type: text/plain\r
            \r
            Please find the invoice attached.\r
            --b\r
            Content-Type: application/zip; name="invoice.zip"\r
            Content-Disposition: attachment; filename="invoice.zip"\r
            Content-Transfer-Encoding: base64\r
            \r
            \(Data(zip).base64EncodedString(options: .lineLength76Characters).replacingOccurrences(of: "\n", with: "\r\n"))\r
            --b--\r

            """
        let service = Fixture.server().service
        let result = try await service.classify(Array(message.utf8), envelope: Envelope(), reasons: 8)
        #expect(result.reasons.first?.feature == "attachment_risk")
        #expect(result.reasons.first?.text.contains("invoice.pdf.exe") == true)
        var off = ServerConfiguration()
        off.attachments = false
        let plain = try await ClassificationService(models: service.models, configuration: off, logger: Fixture.logger)
            .classify(Array(message.utf8), envelope: Envelope(), reasons: 8)
        #expect(!plain.reasons.contains { $0.feature == "attachment_risk" })
    }
}
