import Foundation
import MailsiftCore
import MailsiftFiles
import MailsiftTraining

/// `mailsift attachments`: the content types the parser's own sniffer (``ContentSniffer``, 64 bytes, at parse time)
/// and the attachment inspector (libmagic) give every attachment of labelled corpora, side by side.
public enum AttachmentTypesCommand {
    public static func run(corpora: [String], inspector: any AttachmentInspector) throws -> String {
        var messages: [CorpusMessage] = []
        for dir in corpora { messages += try CorpusReader.load(dir) }
        let parser = MessageParser()
        let rows = ParallelMap.map(messages, progress: ProgressBar(title: "inspecting", total: messages.count), makeScratch: { () }) { m, _ -> [(String, String, String)] in
            guard let message = try? parser.parse(m.bytes) else { return [] }
            return message.leaves.filter(\.isAttachment).prefix(MessageAnalyzer.maximumAttachments).map { leaf in
                let bytes = message.decodedBody(of: leaf, limit: MessageAnalyzer.maximumAttachmentBytes)
                let magic = inspector.inspect(bytes, filename: leaf.filename).contentType ?? "-"
                return (leaf.contentType.type + "/" + leaf.contentType.subtype, leaf.sniffedType ?? "-", magic)
            }
        }.flatMap { $0 }
        guard !rows.isEmpty else { return "no attachments in \(messages.count) messages" }
        let agree = rows.count { $0.1 == $0.2 }
        let sniffedOnly = rows.count { $0.1 != "-" && $0.1 != $0.2 }
        let unknownToSniffer = rows.count { $0.1 == "-" }
        var out = "\(rows.count) attachments in \(messages.count) messages\n"
        out += String(format: "sniffer and libmagic agree: %d (%.1f%%); the sniffer names no type: %d (%.1f%%); they differ: %d (%.1f%%)\n",
                      agree, 100 * Double(agree) / Double(rows.count), unknownToSniffer, 100 * Double(unknownToSniffer) / Double(rows.count),
                      sniffedOnly, 100 * Double(sniffedOnly) / Double(rows.count))
        var pairs: [String: Int] = [:]
        for r in rows where r.1 != r.2 { pairs["declared \(r.0), sniffer \(r.1), libmagic \(r.2)", default: 0] += 1 }
        out += "commonest differences:\n" + pairs.sorted { $0.value != $1.value ? $0.value > $1.value : $0.key < $1.key }.prefix(15)
            .map { "  \($0.value)  \($0.key)" }.joined(separator: "\n") + "\n"
        return out
    }
}
