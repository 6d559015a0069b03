// libFuzzer entry point for language detection (`scripts/fuzz.sh language`): CLD2 through its C shim on the raw
// bytes (CLD2 checks the UTF-8 itself), then through CLD2LanguageDetector and the script census on the bytes read as
// UTF-8 (invalid sequences become U+FFFD), as the analysis gives it text.
import CCLD2

let detector = CLD2LanguageDetector()

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzz(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    var result = mailsift_cld2_result()
    let status = data.withMemoryRebound(to: CChar.self, capacity: size) { mailsift_cld2_detect($0, Int32(size), Int32(size & 1), &result) }
    precondition(status == 0 || status == -1)
    precondition((0...100).contains(result.percents.0))
    let text = String(decoding: UnsafeBufferPointer(start: data, count: size), as: UTF8.self)
    let d = detector.detect(text)
    precondition(!d.language.isEmpty && d.letters >= 0)
    let census = ScriptCensus(text)
    precondition(census.letters <= ScriptCensus.maximumScalars)
    _ = MessageAnalyzer.language(subject: "", body: text, detector)
    return 0
}
