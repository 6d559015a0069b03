// libFuzzer entry point for the attachment inspector (`scripts/fuzz.sh attachments`): libmagic, libarchive's
// listing (nested archives included) and the core's VBA and PDF scans on arbitrary bytes. The first byte picks the
// file name the bytes come with (which decides whether libarchive is asked), the rest is the attachment.

import Foundation

nonisolated(unsafe) let inspector = try! LibraryAttachmentInspector()
let names = ["a.zip", "a.tar.gz", "a.rar", "a.7z", "report.docm", "report.doc", "statement.pdf", "invoice.pdf", "a.bin", "a.cab", "a.iso", "a.gz"]

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzz(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    guard size > 0 else { return 0 }
    let bytes = Array(UnsafeBufferPointer(start: data + 1, count: size - 1))
    let report = inspector.inspect(bytes, filename: names[Int(data[0]) % names.count])
    _ = report.risks
    if let a = report.archive { precondition(a.entries <= LibraryAttachmentInspector.Limits().entries * 3) }
    return 0
}
