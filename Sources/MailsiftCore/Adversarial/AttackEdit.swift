import Foundation

/// A cheap edit a spammer with query access makes to a caught message, on its raw bytes: what the attack of
/// docs/adversarial.md tries, round after round (``AdaptiveAttack``). Each returns nil where it does not apply
/// (a body the edit cannot reach). The edits keep the message well formed.
public enum AttackEdit: String, Sendable, Hashable, CaseIterable, Codable {
    /// `In-Reply-To` and `References` naming a made-up Message-ID, and `Re: ` on the subject.
    case reply
    /// `List-Id`, `List-Unsubscribe` and `Precedence: list`.
    case list
    /// The same list fields on the domain of the message's own envelope sender (its top `Return-Path`, else its From):
    /// an attacker who knows that list fields count only where the envelope corroborates them (``ListClaim``).
    case ownList = "own_list"
    /// The attacker's list of common ham words appended to the text.
    case goodWords = "good_words"
    /// A paragraph of real legitimate mail appended to the text.
    case hamParagraph = "ham_paragraph"
    /// A common mailer's `X-Mailer` and Outlook's `Thread-Index` (any `X-Mailer` replaced).
    case mailer
    /// The subject replaced by a bland one from legitimate mail.
    case plainSubject = "plain_subject"
    /// The good words in an HTML element hidden with `display:none` (HTML bodies only).
    case hiddenWords = "hidden_words"
    /// Every link in a plain or HTML body (not base64 or quoted-printable) replaced by a shortener's.
    case shortener
    /// `Authentication-Results` and `Received-SPF` fields claiming SPF, DKIM and DMARC passes for the From domain,
    /// as Gmail writes them (`mx.google.com`: the authserv-id of the dev corpora's hams), on top of the header.
    case forgedAuthentication = "forged_auth"

    /// The edits `mailsift attack` makes unless told otherwise: the evasion issue's five and a plain subject. With
    /// a budget of 20 queries they found more evasions than all eight, whose first round alone takes nine
    /// (docs/adversarial.md).
    public static let defaultEdits: [AttackEdit] = [.reply, .list, .goodWords, .hamParagraph, .mailer, .plainSubject]

    /// SplitMix64's finaliser: a well-spread number from a seed.
    public static func mix(_ x: UInt64) -> UInt64 {
        var z = x &+ 0x9E37_79B9_7F4A_7C15
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }

    /// The edited message; nil where the edit does not apply.
    public func apply(to bytes: [UInt8], material: AttackMaterial, salt: UInt64) -> [UInt8]? {
        var raw = RawMessage(bytes)
        let token = String(AttackEdit.mix(material.seed ^ salt ^ 0xA77AC4), radix: 36)
        switch self {
        case .reply:
            raw.addHeader("In-Reply-To", "<\(token)@mail.example.com>")
            raw.addHeader("References", "<\(token)@mail.example.com>")
            raw.prefixSubject("Re: ")
        case .list:
            raw.addHeader("List-Id", "Customer news <news.\(token.prefix(6)).example.com>")
            raw.addHeader("List-Unsubscribe", "<mailto:unsubscribe@\(token.prefix(6)).example.com>")
            raw.addHeader("Precedence", "list")
        case .ownList:
            let message = try? MessageParser().parse(bytes)
            guard let domain = (message?.returnPath.first?.domain).flatMap({ $0.isEmpty ? nil : $0 }) ?? message?.from.first?.domain, !domain.isEmpty
            else { return nil }
            raw.addHeader("List-Id", "Customer news <news.\(domain)>")
            raw.addHeader("List-Unsubscribe", "<mailto:unsubscribe@\(domain)>")
            raw.addHeader("Precedence", "list")
        case .goodWords:
            guard !material.goodWords.isEmpty, raw.appendText(material.goodWords.joined(separator: " ")) else { return nil }
        case .hamParagraph:
            guard let paragraph = material.pick(material.paragraphs, salt), raw.appendText(paragraph) else { return nil }
        case .mailer:
            raw.removeHeader("X-Mailer")
            raw.addHeader("X-Mailer", "Microsoft Outlook 16.0")
            raw.addHeader("Thread-Index", "AdY" + String(repeating: token, count: 3).prefix(25) + "==")
        case .plainSubject:
            guard let subject = material.pick(material.subjects, salt) else { return nil }
            raw.removeHeader("Subject")
            raw.addHeader("Subject", subject)
        case .hiddenWords:
            let html = "<div style=\"display:none\">\(material.goodWords.joined(separator: " "))</div>"
            guard !material.goodWords.isEmpty, raw.appendText(html, htmlOnly: true) else { return nil }
        case .shortener:
            guard raw.shortenLinks(seed: material.seed ^ salt) else { return nil }
        case .forgedAuthentication:
            let domain = (try? MessageParser().parse(bytes))?.from.first?.domain ?? "\(token.prefix(6)).example.com"
            raw.prependHeader(
                "Received-SPF", "pass (google.com: domain of news@\(domain) designates 192.0.2.25 as permitted sender) receiver=mx.google.com; client-ip=192.0.2.25;")
            raw.prependHeader(
                "Authentication-Results",
                "mx.google.com; spf=pass smtp.mailfrom=news@\(domain); dkim=pass header.d=\(domain) header.s=s1; dmarc=pass (p=REJECT) header.from=\(domain)")
        }
        return raw.bytes
    }
}

/// A message's raw bytes, split at the header block's end, with the edits ``AttackEdit`` makes.
struct RawMessage {
    var header: [UInt8]
    var body: [UInt8]
    /// The header block's line ending.
    let newline: [UInt8]

    init(_ bytes: [UInt8]) {
        var split = bytes.count
        var separator = 0
        var i = 0
        while i + 1 < bytes.count {
            if bytes[i] == 0x0A, bytes[i + 1] == 0x0A { split = i + 1; separator = 1; break }
            if bytes[i] == 0x0A, bytes[i + 1] == 0x0D, i + 2 < bytes.count, bytes[i + 2] == 0x0A { split = i + 1; separator = 2; break }
            i += 1
        }
        header = Array(bytes[..<split])
        body = split + separator <= bytes.count ? Array(bytes[(split + separator)...]) : []
        newline = header.contains(0x0D) ? [0x0D, 0x0A] : [0x0A]
        if let last = header.last, last != 0x0A { header += newline }
    }

    var bytes: [UInt8] { header + newline + body }

    mutating func addHeader(_ name: String, _ value: String) {
        header += Array("\(name): \(value)".utf8) + newline
    }

    /// Adds a field on top of the header, where a receiving system writes its own (after an mbox `From ` line).
    mutating func prependHeader(_ name: String, _ value: String) {
        var at = 0
        if header.starts(with: Array("From ".utf8)), let end = header.firstIndex(of: 0x0A) { at = end + 1 }
        header.insert(contentsOf: Array("\(name): \(value)".utf8) + newline, at: at)
    }

    /// Removes every field named `name` (with its continuation lines).
    mutating func removeHeader(_ name: String) {
        let lines = header.split(separator: 0x0A, omittingEmptySubsequences: false)
        var out: [UInt8] = []
        var dropping = false
        let key = Array((name + ":").lowercased().utf8)
        for (n, line) in lines.enumerated() {
            let continuation = line.first == 0x20 || line.first == 0x09
            if !continuation { dropping = line.count >= key.count && line.prefix(key.count).map { ASCII.lower($0) } == key }
            if !dropping {
                out += line
                if n < lines.count - 1 { out.append(0x0A) }
            }
        }
        header = out
    }

    /// Puts `prefix` before the subject (a subject is added where there is none).
    mutating func prefixSubject(_ prefix: String) {
        let key = Array("subject:".utf8)
        var start = 0
        while start < header.count {
            let end = header[start...].firstIndex(of: 0x0A) ?? header.count
            if end - start >= key.count, header[start..<(start + key.count)].map({ ASCII.lower($0) }) == key {
                var at = start + key.count
                while at < end, header[at] == 0x20 || header[at] == 0x09 { at += 1 }
                header.insert(contentsOf: Array(prefix.utf8), at: at)
                return
            }
            start = end + 1
        }
        addHeader("Subject", prefix.trimmingCharacters(in: .whitespaces))
    }

    /// Appends `text` where the message's text is read: the end of a plain body, before `</body>` of an HTML
    /// one, a new text/plain part before a multipart's closing delimiter; a base64 body is decoded, extended and
    /// encoded again. False where the body is none of these.
    /// With `htmlOnly`, `text` is HTML put into an HTML body as it is, and nothing else is a place for it.
    mutating func appendText(_ text: String, htmlOnly: Bool = false) -> Bool {
        guard let message = try? MessageParser().parse(header + newline + body) else { return false }
        let type = message.root.contentType
        let nl = String(decoding: newline, as: UTF8.self)
        if htmlOnly && type.subtype != "html" { return false }
        if type.isMultipart {
            guard let boundary = type.parameters["boundary"] else { return false }
            let close = Array("--\(boundary)--".utf8)
            guard let at = Self.lastRange(of: close, in: body) else { return false }
            let part = "--\(boundary)\(nl)Content-Type: text/plain; charset=us-ascii\(nl)Content-Transfer-Encoding: 7bit\(nl)\(nl)\(text)\(nl)"
            body.insert(contentsOf: Array(part.utf8), at: at)
            return true
        }
        guard type.isText else { return false }
        let html = type.subtype == "html"
        let addition = htmlOnly ? "\(nl)\(text)\(nl)" : html ? "\(nl)<p>\(text)</p>\(nl)" : "\(nl)\(nl)\(text)\(nl)"
        let encoding = message.headers["content-transfer-encoding"]?.lowercased().trimmingCharacters(in: .whitespaces) ?? "7bit"
        var content: [UInt8]
        switch encoding {
        case "base64":
            var decoded: [UInt8] = []
            let ok = body.withUnsafeBufferPointer { Base64Decoder.decode($0, into: &decoded) }
            guard ok else { return false }
            content = decoded
        case "7bit", "8bit", "binary", "quoted-printable", "": content = body
        default: return false
        }
        if html, let at = Self.lastRange(of: Array("</body>".utf8), in: content, caseInsensitive: true) {
            content.insert(contentsOf: Array(addition.utf8), at: at)
        } else {
            content += Array(addition.utf8)
        }
        if encoding == "base64" {
            let encoded = Data(content).base64EncodedString(options: [.lineLength76Characters, .endLineWithLineFeed])
            body = Array(encoded.utf8) + newline
        } else {
            body = content
        }
        return true
    }

    /// Replaces each `http://` or `https://` link of a body that is not base64 or quoted-printable by a
    /// shortener's (`https://bit.ly/` and seven letters). False when there is none.
    mutating func shortenLinks(seed: UInt64) -> Bool {
        guard let message = try? MessageParser().parse(header + newline + body) else { return false }
        let encodings = ([message.root] + message.leaves).compactMap { $0.headers["content-transfer-encoding"]?.lowercased() }
        guard !encodings.contains(where: { $0.contains("base64") || $0.contains("quoted-printable") }) else { return false }
        var out: [UInt8] = []
        var i = 0, n = 0
        let schemes = [Array("http://".utf8), Array("https://".utf8)]
        while i < body.count {
            if let scheme = schemes.first(where: { i + $0.count <= body.count && body[i..<(i + $0.count)].map(ASCII.lower) == $0 }) {
                var end = i + scheme.count
                while end < body.count, !Self.endsLink(body[end]) { end += 1 }
                n += 1
                var code = AttackEdit.mix(seed &+ UInt64(n))
                var path = ""
                for _ in 0..<7 {
                    path.append(Character(Unicode.Scalar(UInt8(ascii: "a") + UInt8(code % 26))))
                    code /= 26
                }
                out += Array("https://bit.ly/\(path)".utf8)
                i = end
            } else {
                out.append(body[i])
                i += 1
            }
        }
        guard n > 0 else { return false }
        body = out
        return true
    }

    static func endsLink(_ b: UInt8) -> Bool {
        b <= 0x20 || b == UInt8(ascii: "\"") || b == UInt8(ascii: "'") || b == UInt8(ascii: "<") || b == UInt8(ascii: ">") || b == 0x7F
    }

    static func lastRange(of needle: [UInt8], in haystack: [UInt8], caseInsensitive: Bool = false) -> Int? {
        guard needle.count <= haystack.count else { return nil }
        var i = haystack.count - needle.count
        while i >= 0 {
            var match = true
            for j in 0..<needle.count {
                let a = caseInsensitive ? ASCII.lower(haystack[i + j]) : haystack[i + j]
                if a != needle[j] { match = false; break }
            }
            if match { return i }
            i -= 1
        }
        return nil
    }
}
