import Foundation
import MailsiftCore
import MailsiftFiles
import MailsiftTraining

/// `mailsift language`: the language and script of messages (one JSON line each, as the verdict's `language` field
/// gives them), the languages of labelled corpora, or a detector's accuracy on labelled text
/// (scripts/language-eval.sh makes such a set from Debian's translated manual pages).
public enum LanguageCommand {
    struct Line: Encodable {
        var file: String
        var language: LanguageGuess?
        var error: String?
    }

    /// One JSON line per message file (`-`: standard input).
    public static func run(files: [String], detector: any LanguageDetector, write: (String) -> Void) throws {
        var analyzer = MessageAnalyzer()
        analyzer.languageDetector = detector
        let encoder = MessageReport.encoder()
        var unreadable: [String] = []
        for file in files {
            guard let bytes = ParseCommand.read(file) else {
                unreadable.append(file)
                continue
            }
            var line = Line(file: file)
            do { line.language = try analyzer.analyze(bytes).language } catch { line.error = "\(error)" }
            write(String(decoding: try encoder.encode(line), as: UTF8.self))
        }
        if let first = unreadable.first { throw ParseCommand.ReadError(path: first) }
    }

    /// The languages of labelled corpora: per label, the share of messages in each language detected with confidence,
    /// and the share the detector was not sure of.
    public static func corpora(_ directories: [String], detector: any LanguageDetector) throws -> String {
        var analyzer = MessageAnalyzer()
        analyzer.languageDetector = detector
        var out = ""
        for dir in directories {
            let messages = try CorpusReader.load(dir)
            // Each message's language as the analysis gives it, whether the plain-English path took it, and CLD2's own
            // answer on the same text.
            let guesses = ParallelMap.map(messages, progress: ProgressBar(title: "detecting", total: messages.count), makeScratch: { () }) { m, _ in
                let a = try? analyzer.analyze(m.bytes)
                var text = String(decoding: (a?.message.subject ?? "").utf8.prefix(MessageAnalyzer.maximumLanguageBytes / 4), as: UTF8.self) + "\n"
                text += String(decoding: (a?.bodyText ?? "").utf8.prefix(MessageAnalyzer.maximumLanguageBytes - text.utf8.count), as: UTF8.self)
                let plain = PlainEnglish.matches(text, census: ScriptCensus(text))
                return (m.label, a?.language?.known ?? "unsure", plain, plain ? detector.detect(text).language : "")
            }
            let plain = guesses.filter { $0.2 }
            out += "\(dir): \(messages.count) messages; plain English (not given to CLD2) \(plain.count), of which CLD2 says "
                + Dictionary(grouping: plain, by: { $0.3 }).map { "\($0.key) \($0.value.count)" }.sorted().joined(separator: ", ") + "\n"
            for label in Set(guesses.map { $0.0 }).sorted() {
                let of = guesses.filter { $0.0 == label }
                var counts: [String: Int] = [:]
                for g in of { counts[g.1, default: 0] += 1 }
                let top = counts.sorted { $0.value != $1.value ? $0.value > $1.value : $0.key < $1.key }.prefix(8)
                out += "  \(label) (\(of.count)): " + top.map { String(format: "%@ %.1f%%", $0.key, 100 * Double($0.value) / Double(of.count)) }.joined(separator: ", ") + "\n"
            }
        }
        return out
    }

    /// Accuracy on a labelled TSV (`language<TAB>length<TAB>text` a line): per length and per language, the share
    /// detected right and the share detected with confidence, the commonest confusions, and the time per text on
    /// one core.
    public static func evaluate(labelled path: String, detector: any LanguageDetector) throws -> String {
        let text = try String(contentsOfFile: path, encoding: .utf8)
        var rows: [(language: String, length: Int, text: String)] = []
        for line in text.split(separator: "\n") {
            let f = line.split(separator: "\t", maxSplits: 2, omittingEmptySubsequences: false)
            guard f.count == 3, let n = Int(f[1]) else { continue }
            rows.append((String(f[0]), n, String(f[2])))
        }
        let clock = ContinuousClock()
        let start = clock.now
        let answers = rows.map { detector.detect($0.text) }
        let elapsed = clock.now - start
        let perText = (Double(elapsed.components.seconds) * 1e6 + Double(elapsed.components.attoseconds) / 1e12) / Double(max(1, rows.count))
        var out = String(format: "%d texts, %d languages; %.1f us a text on one core (mean length %.0f bytes)\n",
                         rows.count, Set(rows.map(\.language)).count, perText, Double(rows.map(\.text.utf8.count).reduce(0, +)) / Double(max(1, rows.count)))
        let lengths = Set(rows.map(\.length)).sorted()
        out += "\n| language | " + lengths.map { "\($0) chars: right (sure)" }.joined(separator: " | ") + " |\n"
        out += "|---|" + lengths.map { _ in "---|" }.joined() + "\n"
        func cell(_ idx: [Int]) -> String {
            guard !idx.isEmpty else { return "-" }
            let right = idx.filter { answers[$0].language == rows[$0].language }.count
            let sure = idx.filter { answers[$0].reliable && answers[$0].language == rows[$0].language }.count
            return String(format: "%.1f%% (%.1f%%) of %d", 100 * Double(right) / Double(idx.count), 100 * Double(sure) / Double(idx.count), idx.count)
        }
        for language in Set(rows.map(\.language)).sorted() {
            out += "| \(language) | " + lengths.map { n in cell(rows.indices.filter { rows[$0].language == language && rows[$0].length == n }) }.joined(separator: " | ") + " |\n"
        }
        out += "| **all** | " + lengths.map { n in cell(rows.indices.filter { rows[$0].length == n }) }.joined(separator: " | ") + " |\n"
        // As the analysis runs it: the first 512 bytes, plain English not given to the detector.
        let analysisStart = clock.now
        let analysed = rows.map { MessageAnalyzer.language(subject: "", body: $0.text, detector) }
        let analysisElapsed = clock.now - analysisStart
        let shortcut = rows.indices.filter { PlainEnglish.matches(rows[$0].text, census: ScriptCensus(rows[$0].text)) }
        out += "\nas the analysis runs it (the first \(MessageAnalyzer.maximumLanguageBytes) bytes; plain English not given to the detector): "
        out += lengths.map { n in
            let idx = rows.indices.filter { rows[$0].length == n }
            let right = idx.filter { analysed[$0].language == rows[$0].language }.count
            return String(format: "%d chars %.1f%%", n, 100 * Double(right) / Double(max(1, idx.count)))
        }.joined(separator: ", ")
        out += String(format: "; %.1f us a text\n", (Double(analysisElapsed.components.seconds) * 1e6 + Double(analysisElapsed.components.attoseconds) / 1e12) / Double(max(1, rows.count)))
        let english = rows.indices.filter { rows[$0].language == "en" }
        out += String(format: "plain English taken without the detector: %d of %d English texts (%.1f%%), %d texts of other languages\n",
                      shortcut.filter { rows[$0].language == "en" }.count, english.count,
                      100 * Double(shortcut.filter { rows[$0].language == "en" }.count) / Double(max(1, english.count)),
                      shortcut.filter { rows[$0].language != "en" }.count)
        // Wrong and sure: what a rule on the language would get wrong.
        let wrongSure = rows.indices.filter { answers[$0].reliable && answers[$0].language != rows[$0].language }
        out += String(format: "\nwrong but sure: %d of %d texts (%.2f%%); by length: ", wrongSure.count, rows.count, 100 * Double(wrongSure.count) / Double(max(1, rows.count)))
        out += lengths.map { n in
            let of = rows.indices.filter { rows[$0].length == n }
            return String(format: "%d chars %.2f%%", n, 100 * Double(wrongSure.filter { rows[$0].length == n }.count) / Double(max(1, of.count)))
        }.joined(separator: ", ") + "\n"
        var confusions: [String: Int] = [:]
        for i in rows.indices where answers[i].language != rows[i].language { confusions["\(rows[i].language) -> \(answers[i].language)", default: 0] += 1 }
        out += "commonest confusions: " + confusions.sorted { $0.value != $1.value ? $0.value > $1.value : $0.key < $1.key }.prefix(10)
            .map { "\($0.key) (\($0.value))" }.joined(separator: ", ") + "\n"
        return out
    }
}
