import Foundation

/// The static obfuscations a spammer applies to a whole campaign without testing it: each rewrites the visible
/// text of a single-part text message (or, for `base64`, its encoding) and leaves the rest. `mailsift attack
/// --static` applies each to every test spam and reports recall at the threshold of 0.1% FPR against the
/// unedited mail (the evasion issue's bar: each within 1 point). Multipart messages are left out: rebuilding
/// their parts would change more than the edit.
public enum StaticObfuscation: String, Sendable, Hashable, CaseIterable {
    /// Latin letters replaced by Cyrillic lookalikes in every other word (`а е о р с х`).
    case homoglyphs
    /// Letters replaced by digits and symbols in every other word (`4 3 1 0 5`).
    case leetspeak
    /// A zero-width space inside every word of four letters or more.
    case zeroWidth = "zero_width"
    /// Every fifth word of five letters or more spelled with spaces (`v i a g r a`).
    case splitWords = "split_words"
    /// Empty inline tags inside words of an HTML body (`vi<b></b>agra`); plain bodies are left out.
    case htmlSplit = "html_split"
    /// The body encoded again as base64 (bodies already in base64 are left out).
    case base64
    /// 150 to 300 of the attacker's good words appended.
    case padding

    /// The edited message, or nil where the edit does not apply. With `identity`, the message as the edit would
    /// write it but with its text unedited (the body written again in the same way; for `base64`, as 8bit): the
    /// baseline that isolates the edit's effect from the rewriting's.
    public func apply(to bytes: [UInt8], material: AttackMaterial, salt: UInt64, identity: Bool = false) -> [UInt8]? {
        var raw = RawMessage(bytes)
        switch self {
        case .padding where identity:
            return bytes
        case .padding:
            let count = 150 + Int(AttackEdit.mix(material.seed ^ salt) % 151)
            let words = (0..<count).map { material.goodWords.isEmpty ? "" : material.goodWords[$0 % material.goodWords.count] }
            guard !material.goodWords.isEmpty, raw.appendText(words.joined(separator: " ")) else { return nil }
            return raw.bytes
        case .base64:
            guard let (message, text) = Self.singleTextPart(raw), Self.encoding(message) != "base64" else { return nil }
            raw.setBody(text, base64: !identity, message: message)
            return raw.bytes
        case .htmlSplit:
            guard let (message, text) = Self.singleTextPart(raw), message.root.contentType.subtype == "html" else { return nil }
            let edited = identity ? text : Self.visibleWords(of: text, html: true) { n, w in
                n % 2 == 0 && w.count >= 4 && w.allSatisfy(\.isLetter) ? Self.insert("<b></b>", into: w, at: 2) : w
            }
            raw.setBody(edited, base64: Self.encoding(message) == "base64", message: message)
            return raw.bytes
        default:
            guard let (message, text) = Self.singleTextPart(raw) else { return nil }
            let html = message.root.contentType.subtype == "html"
            let edited = Self.visibleWords(of: text, html: html) { n, w in transform(n, w) }
            guard edited != text else { return nil }
            raw.setBody(identity ? text : edited, base64: Self.encoding(message) == "base64", message: message)
            return raw.bytes
        }
    }

    /// The text edits, word by word (`n` counts the words).
    func transform(_ n: Int, _ word: String) -> String {
        let letters = word.allSatisfy(\.isLetter)
        switch self {
        case .homoglyphs:
            guard n % 2 == 0, letters, word.count >= 4 else { return word }
            let map: [Character: Character] = ["a": "а", "e": "е", "o": "о", "p": "р", "c": "с", "x": "х"]
            guard let i = word.firstIndex(where: { map[$0] != nil }) else { return word }
            var w = word
            w.replaceSubrange(i...i, with: String(map[word[i]]!))
            return w
        case .leetspeak:
            guard n % 2 == 0, letters, word.count >= 4 else { return word }
            let map: [Character: Character] = ["a": "4", "e": "3", "i": "1", "o": "0", "s": "5"]
            guard let i = word.firstIndex(where: { map[Character($0.lowercased())] != nil }) else { return word }
            var w = word
            w.replaceSubrange(i...i, with: String(map[Character(word[i].lowercased())]!))
            return w
        case .zeroWidth:
            return letters && word.count >= 4 ? Self.insert("\u{200B}", into: word, at: 2) : word
        case .splitWords:
            return n % 5 == 0 && letters && word.count >= 5 ? word.map(String.init).joined(separator: " ") : word
        default:
            return word
        }
    }

    static func insert(_ s: String, into word: String, at offset: Int) -> String {
        let i = word.index(word.startIndex, offsetBy: offset)
        return String(word[..<i]) + s + String(word[i...])
    }

    /// `text` with each word of its visible text (outside tags, for HTML) passed through `edit`.
    static func visibleWords(of text: String, html: Bool, _ edit: (Int, String) -> String) -> String {
        var out = ""
        var word = ""
        var n = 0
        var inTag = false
        func flush() {
            if !word.isEmpty {
                out += edit(n, word)
                n += 1
                word = ""
            }
        }
        for ch in text {
            if html && ch == "<" { flush(); inTag = true; out.append(ch); continue }
            if html && inTag { out.append(ch); if ch == ">" { inTag = false }; continue }
            if ch.isLetter || ch.isNumber { word.append(ch) } else { flush(); out.append(ch) }
        }
        flush()
        return out
    }

    static func singleTextPart(_ raw: RawMessage) -> (Message, String)? {
        guard let message = try? MessageParser().parse(raw.bytes), message.root.children.isEmpty, message.root.contentType.isText,
              let text = message.root.text
        else { return nil }
        return (message, text)
    }

    static func encoding(_ message: Message) -> String {
        message.headers["content-transfer-encoding"]?.lowercased().trimmingCharacters(in: .whitespaces) ?? "7bit"
    }
}

extension RawMessage {
    /// Replaces a single-part body with `text` in UTF-8, base64-encoded or as 8bit, and says so in the header
    /// (`Content-Type`'s charset, `Content-Transfer-Encoding`).
    mutating func setBody(_ text: String, base64: Bool, message: Message) {
        let type = message.root.contentType
        removeHeader("Content-Type")
        removeHeader("Content-Transfer-Encoding")
        addHeader("Content-Type", "\(type.type)/\(type.subtype); charset=utf-8")
        addHeader("Content-Transfer-Encoding", base64 ? "base64" : "8bit")
        let data = Data(text.utf8)
        body = base64 ? Array(data.base64EncodedString(options: [.lineLength76Characters, .endLineWithLineFeed]).utf8) + newline : Array(text.utf8)
    }
}
