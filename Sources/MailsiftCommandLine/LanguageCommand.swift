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
            let guesses = ParallelMap.map(messages, progress: ProgressBar(title: "detecting", total: messages.count), makeScratch: { () }) { m, _ in
                (m.label, (try? analyzer.analyze(m.bytes))?.language?.known ?? "unsure")
            }
            out += "\(dir): \(messages.count) messages\n"
            for label in Set(guesses.map { $0.0 }).sorted() {
                let of = guesses.filter { $0.0 == label }
                var counts: [String: Int] = [:]
                for (_, l) in of { counts[l, default: 0] += 1 }
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
        // Wrong and sure: what a rule on the language would get wrong.
        let wrongSure = rows.indices.filter { answers[$0].reliable && answers[$0].language != rows[$0].language }
        out += String(format: "\nwrong but sure: %d of %d texts (%.2f%%)\n", wrongSure.count, rows.count, 100 * Double(wrongSure.count) / Double(max(1, rows.count)))
        var confusions: [String: Int] = [:]
        for i in rows.indices where answers[i].language != rows[i].language { confusions["\(rows[i].language) -> \(answers[i].language)", default: 0] += 1 }
        out += "commonest confusions: " + confusions.sorted { $0.value != $1.value ? $0.value > $1.value : $0.key < $1.key }.prefix(10)
            .map { "\($0.key) (\($0.value))" }.joined(separator: ", ") + "\n"
        return out
    }
}
