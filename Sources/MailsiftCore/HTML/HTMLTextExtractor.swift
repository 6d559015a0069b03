/// Converts HTML to text in one pass over its bytes, tolerant of the broken HTML that mail is full of.
///
/// Script, style and other non-rendered elements are dropped, comments removed (without a space, so a
/// comment inside a word does not split it), entities decoded (with the browsers' legacy and Windows-1252
/// rules), whitespace collapsed, block elements turned into line breaks. Hidden elements (see ``HTMLText``)
/// go to `hiddenText`. Work is linear in the input; the element stack is bounded.
public struct HTMLTextExtractor: Sendable {
    /// Largest HTML input read; the rest is ignored.
    public var maxInputBytes: Int
    public var maxLinks: Int

    public init(maxInputBytes: Int = 4 << 20, maxLinks: Int = 1_000) {
        self.maxInputBytes = maxInputBytes
        self.maxLinks = maxLinks
    }

    public func extract(_ html: String) -> HTMLText {
        var html = html
        return html.withUTF8 { extract(UnsafeBufferPointer(rebasing: $0.prefix(maxInputBytes))) }
    }

    private struct Element {
        var name: TagName
        /// Hidden for good: nothing inside can be seen (display, visibility, opacity, the hidden attribute, colour).
        var hidden: Bool
        var color: UInt32?
        var background: UInt32
        /// Inside a zero font size that no element since has set back to a readable one.
        var zeroFont = false
        var isHidden: Bool { hidden || zeroFont }
    }

    private struct Output {
        var bytes: [UInt8] = []
        var pendingSpace = false
        var pendingNewline = false

        mutating func text(_ b: UInt8) {
            if ASCII.isWhitespace(b) {
                if !bytes.isEmpty { pendingSpace = true }
                return
            }
            flush()
            bytes.append(b)
        }

        /// Bytes with no whitespace in them.
        mutating func run(_ r: UnsafeBufferPointer<UInt8>) {
            flush()
            bytes.append(contentsOf: r)
        }

        mutating func scalar(_ v: UInt32) {
            if v == 0xA0 || v == 0x20 || v == 0x09 || v == 0x0A || v == 0x0D {
                text(0x20)
                return
            }
            flush()
            appendUTF8(&bytes, v)
        }

        mutating func breakLine() {
            if !bytes.isEmpty { pendingNewline = true }
        }

        mutating func flush() {
            if pendingNewline {
                bytes.append(ASCII.lf)
            } else if pendingSpace {
                bytes.append(ASCII.space)
            }
            pendingNewline = false
            pendingSpace = false
        }
    }

    func extract(_ u: UnsafeBufferPointer<UInt8>) -> HTMLText {
        var visible = Output()
        var hidden = Output()
        var alt = Output()
        var links: [ExtractedURL] = []
        var stats = HTMLStats()
        stats.htmlBytes = u.count
        visible.bytes.reserveCapacity(u.count / 2)
        var stack: [Element] = []
        var attributes: [(TagName, Range<Int>)] = []
        var inHidden = false // whether the innermost open element is hidden
        var openAnchor: (href: String, textStart: Int)? = nil
        var lastWasWordChar = false
        let n = u.count
        var i = 0

        func current() -> (hidden: Bool, color: UInt32?, background: UInt32, zeroFont: Bool) {
            guard let top = stack.last else { return (false, nil, 0xFFFFFF, false) }
            return (top.hidden, top.color, top.background, top.zeroFont)
        }
        func attributeString(_ r: Range<Int>) -> String {
            var lo = r.lowerBound
            var hi = r.upperBound
            while lo < hi, ASCII.isWhitespace(u[lo]) { lo += 1 }
            while hi > lo, ASCII.isWhitespace(u[hi - 1]) { hi -= 1 }
            let value = HTMLTextExtractor.decodeEntities(UnsafeBufferPointer(rebasing: u[lo..<hi]))
            // An entity may still decode to a blank at an end.
            guard let first = value.utf8.first, let last = value.utf8.last, ASCII.isWhitespace(first) || ASCII.isWhitespace(last) else { return value }
            return value.trimmingBlanks()
        }

        func closeAnchor() {
            guard let anchor = openAnchor else { return }
            let textBytes = visible.bytes[min(anchor.textStart, visible.bytes.count)...]
            let text = String(decoding: textBytes, as: UTF8.self).trimmingBlanks()
            if links.count < maxLinks { links.append(ExtractedURL(url: anchor.href, source: .href, anchorText: text)) }
            openAnchor = nil
        }

        while i < n {
            let b = u[i]
            if b == UInt8(ascii: "<"), i + 1 < n {
                let next = u[i + 1]
                // Comments, doctype, CDATA, processing instructions.
                if next == UInt8(ascii: "!") || next == UInt8(ascii: "?") {
                    let isComment = i + 3 < n && u[i + 2] == ASCII.hyphen && u[i + 3] == ASCII.hyphen
                    var end: Int
                    if isComment {
                        end = HTMLTextExtractor.find(u, "-->", from: i + 4)
                        end = end < n ? end + 3 : n
                        stats.comments += 1
                    } else {
                        end = u.firstIndex(of: UInt8(ascii: ">"), from: i, end: n)
                        end = end < n ? end + 1 : n
                    }
                    if lastWasWordChar, end < n, ASCII.isWordByte(u[end]) { stats.tagsInsideWords += 1 }
                    i = end
                    continue
                }
                let isClose = next == UInt8(ascii: "/")
                let nameStart = isClose ? i + 2 : i + 1
                guard nameStart < n, ASCII.isAlpha(u[nameStart]) else {
                    emit(b, &visible, &hidden, inHidden)
                    lastWasWordChar = false
                    i += 1
                    continue
                }
                let tagEnd = HTMLTextExtractor.tagEnd(u, from: nameStart)
                var nameEnd = nameStart
                while nameEnd < tagEnd, ASCII.isAlpha(u[nameEnd]) || ASCII.isDigit(u[nameEnd]) { nameEnd += 1 }
                let name = TagName(u, nameStart..<nameEnd)
                stats.tags += 1
                let afterTag = min(tagEnd + 1, n)
                let kind = name.kind

                if isClose {
                    if lastWasWordChar, kind == .inline, afterTag < n, ASCII.isWordByte(u[afterTag]) {
                        stats.tagsInsideWords += 1
                    }
                    if let idx = stack.lastIndex(where: { $0.name == name }), stack.count - idx <= 64 {
                        stack.removeSubrange(idx...)
                        inHidden = stack.last?.isHidden ?? false
                    }
                    if name == .a { closeAnchor() }
                    if kind == .block { visible.breakLine(); hidden.breakLine() }
                    if kind != .inline { lastWasWordChar = false }
                    i = afterTag
                    continue
                }

                let state = current()
                var element = Element(name: name, hidden: state.hidden, color: state.color, background: state.background, zeroFont: state.zeroFont)
                var hidesHere = false
                HTMLTextExtractor.attributes(u, from: nameEnd, to: tagEnd, into: &attributes)
                for (key, value) in attributes {
                    switch key {
                    case .style:
                        let style = CSSInlineStyle(parsing: attributeString(value))
                        if style.hides { hidesHere = true }
                        if let zero = style.zeroFontSize { element.zeroFont = zero }
                        if let c = style.color { element.color = c }
                        if let bg = style.background { element.background = bg }
                    case .hidden:
                        hidesHere = true
                    case .bgcolor:
                        if let bg = CSSInlineStyle.parseColor(attributeString(value)[...]) { element.background = bg }
                    case .color where name == .font:
                        if let c = CSSInlineStyle.parseColor(attributeString(value)[...]) { element.color = c }
                    case .size where name == .font:
                        element.zeroFont = attributeString(value) == "0"
                    case .href where name == .a || name == .area:
                        if name == .a {
                            closeAnchor()
                            openAnchor = (attributeString(value), visible.bytes.count)
                        } else if links.count < maxLinks {
                            links.append(ExtractedURL(url: attributeString(value), source: .href))
                        }
                        stats.links += 1
                    case .src, .background:
                        if links.count < maxLinks {
                            let url = attributeString(value)
                            if !url.isEmpty, !url.hasPrefix("cid:") { links.append(ExtractedURL(url: url, source: .src)) }
                        }
                    case .action where name == .form:
                        if links.count < maxLinks { links.append(ExtractedURL(url: attributeString(value), source: .form)) }
                    case .alt where name == .img:
                        for v in attributeString(value).unicodeScalars { alt.scalar(v.value) }
                        alt.text(ASCII.space)
                    default:
                        break
                    }
                }
                if let c = element.color, HTMLTextExtractor.similar(c, element.background) { hidesHere = true }
                if hidesHere { element.hidden = true }
                if hidesHere || (element.zeroFont && !state.zeroFont) { stats.hiddenElements += 1 }
                switch kind {
                case .image: stats.images += 1
                case .form: stats.forms += 1
                case .iframe: stats.iframes += 1
                default: break
                }

                if kind == .raw {
                    // Skip the element's content up to its closing tag.
                    if name == .script { stats.scripts += 1 }
                    var close = Array("</".utf8)
                    close.append(contentsOf: u[nameStart..<nameEnd].lazy.map(ASCII.lower))
                    let end = HTMLTextExtractor.findIgnoringCase(u, close, from: afterTag)
                    i = end < n ? min(HTMLTextExtractor.tagEnd(u, from: end + 2) + 1, n) : n
                    lastWasWordChar = false
                    continue
                }
                if kind == .block || kind == .lineBreak { visible.breakLine(); hidden.breakLine() }
                if kind != .inline { lastWasWordChar = false }
                let selfClosing = tagEnd > nameStart && u[tagEnd - 1] == UInt8(ascii: "/")
                if !name.isVoid, !selfClosing, stack.count < 256 {
                    stack.append(element)
                    inHidden = element.isHidden
                }
                if lastWasWordChar, kind == .inline, afterTag < n, ASCII.isWordByte(u[afterTag]) {
                    // An inline tag inside a word: "via<b></b>gra".
                    stats.tagsInsideWords += 1
                }
                i = afterTag
                continue
            }
            if b == UInt8(ascii: "&") {
                let (scalar, length) = HTMLTextExtractor.entity(u, at: i)
                if let scalar {
                    if inHidden { hidden.scalar(scalar) } else { visible.scalar(scalar) }
                    lastWasWordChar = scalar > 0x7F || (scalar < 0x80 && ASCII.isWordByte(UInt8(scalar)))
                    i += length
                    continue
                }
            }
            if ASCII.isWhitespace(b) || b == UInt8(ascii: "<") || b == UInt8(ascii: "&") {
                emit(b, &visible, &hidden, inHidden)
                lastWasWordChar = ASCII.isWordByte(b)
                i += 1
                continue
            }
            // A run of ordinary text: copied in one piece.
            var j = i + 1
            while j < n, !ASCII.isWhitespace(u[j]), u[j] != UInt8(ascii: "<"), u[j] != UInt8(ascii: "&") { j += 1 }
            if inHidden { hidden.run(UnsafeBufferPointer(rebasing: u[i..<j])) } else { visible.run(UnsafeBufferPointer(rebasing: u[i..<j])) }
            lastWasWordChar = ASCII.isWordByte(u[j - 1])
            i = j
        }
        closeAnchor()
        stats.visibleTextBytes = visible.bytes.count
        return HTMLText(
            visibleText: String(decoding: visible.bytes, as: UTF8.self),
            hiddenText: String(decoding: hidden.bytes, as: UTF8.self),
            imageAltText: String(decoding: alt.bytes, as: UTF8.self).trimmingBlanks(),
            links: links, stats: stats
        )
    }

    @inline(__always)
    private func emit(_ b: UInt8, _ visible: inout Output, _ hidden: inout Output, _ isHidden: Bool) {
        if isHidden { hidden.text(b) } else { visible.text(b) }
    }

    // MARK: Lexing helpers

    /// Index of the `>` that ends a tag starting before `from`, honouring quoted attribute values.
    static func tagEnd(_ u: UnsafeBufferPointer<UInt8>, from: Int) -> Int {
        var i = from
        var quote: UInt8 = 0
        while i < u.count {
            let c = u[i]
            if quote != 0 {
                if c == quote { quote = 0 }
            } else if c == UInt8(ascii: ">") {
                return i
            } else if (c == ASCII.quote || c == UInt8(ascii: "'")) && i > from && u[i - 1] == ASCII.equals {
                quote = c
            }
            i += 1
            if quote != 0 && i - from > 8192 { quote = 0 } // an unbalanced quote must not swallow the document
        }
        return u.count
    }

    /// Each attribute's name and the byte range of its raw value (quotes removed; decode it with
    /// ``decodeEntities(_:)`` only when it is used), for attributes between `from` and `to`, into `out`
    /// (cleared first; the caller reuses it from tag to tag).
    static func attributes(_ u: UnsafeBufferPointer<UInt8>, from: Int, to: Int, into out: inout [(TagName, Range<Int>)]) {
        out.removeAll(keepingCapacity: true)
        var i = from
        while i < to, out.count < 64 {
            while i < to, ASCII.isWhitespace(u[i]) || u[i] == UInt8(ascii: "/") { i += 1 }
            let nameStart = i
            while i < to, !ASCII.isWhitespace(u[i]), u[i] != ASCII.equals, u[i] != UInt8(ascii: ">") { i += 1 }
            guard i > nameStart else { break }
            let name = TagName(u, nameStart..<i)
            while i < to, ASCII.isWhitespace(u[i]) { i += 1 }
            var value = i..<i
            if i < to, u[i] == ASCII.equals {
                i += 1
                while i < to, ASCII.isWhitespace(u[i]) { i += 1 }
                if i < to, u[i] == ASCII.quote || u[i] == UInt8(ascii: "'") {
                    let q = u[i]
                    let s = i + 1
                    var e = s
                    while e < to, u[e] != q { e += 1 }
                    value = s..<e
                    i = min(e + 1, to)
                } else {
                    let s = i
                    while i < to, !ASCII.isWhitespace(u[i]) { i += 1 }
                    value = s..<i
                }
            }
            out.append((name, value))
        }
    }

    static func decodeEntities(_ u: UnsafeBufferPointer<UInt8>) -> String {
        guard u.contains(UInt8(ascii: "&")) else { return String(decoding: u, as: UTF8.self) }
        var out: [UInt8] = []
        var i = 0
        while i < u.count {
            if u[i] == UInt8(ascii: "&") {
                let (scalar, length) = entity(u, at: i)
                if let scalar {
                    appendUTF8(&out, scalar)
                    i += length
                    continue
                }
            }
            out.append(u[i])
            i += 1
        }
        return String(decoding: out, as: UTF8.self)
    }

    /// Decodes a character reference at `i` (`&amp;`, `&#65;`, `&#x41;`, legacy `&nbsp` without `;`).
    static func entity(_ u: UnsafeBufferPointer<UInt8>, at i: Int) -> (UInt32?, Int) {
        let n = u.count
        var j = i + 1
        guard j < n else { return (nil, 1) }
        if u[j] == UInt8(ascii: "#") {
            j += 1
            let hex = j < n && (u[j] == UInt8(ascii: "x") || u[j] == UInt8(ascii: "X"))
            if hex { j += 1 }
            var value: UInt32 = 0
            let digitsStart = j
            while j < n, j - digitsStart < 8 {
                if hex, let h = ASCII.hexValue(u[j]) { value = value * 16 + UInt32(h) } else if !hex, ASCII.isDigit(u[j]) {
                    value = value * 10 + UInt32(u[j] - 0x30)
                } else { break }
                j += 1
            }
            guard j > digitsStart else { return (nil, 1) }
            if j < n, u[j] == ASCII.semicolon { j += 1 }
            return (HTMLEntities.numeric(value), j - i)
        }
        let nameStart = j
        while j < n, j - nameStart < 32, ASCII.isAlpha(u[j]) || ASCII.isDigit(u[j]) { j += 1 }
        guard j > nameStart else { return (nil, 1) }
        let name = String(decoding: u[nameStart..<j], as: UTF8.self)
        if j < n, u[j] == ASCII.semicolon, let v = HTMLEntities.named[name] { return (v, j + 1 - i) }
        // Legacy: the longest known prefix without a semicolon.
        var k = j
        while k > nameStart {
            let prefix = String(decoding: u[nameStart..<k], as: UTF8.self)
            if HTMLEntities.legacy.contains(prefix), let v = HTMLEntities.named[prefix] { return (v, k - i) }
            k -= 1
        }
        return (nil, 1)
    }

    static func find(_ u: UnsafeBufferPointer<UInt8>, _ needle: StaticString, from: Int) -> Int {
        let first = needle.utf8Start[0]
        let count = needle.utf8CodeUnitCount
        var i = from
        while i < u.count {
            i = u.firstIndex(of: first, from: i, end: u.count)
            guard i + count <= u.count else { return u.count }
            var ok = true
            for k in 1..<count where u[i + k] != needle.utf8Start[k] { ok = false; break }
            if ok { return i }
            i += 1
        }
        return u.count
    }

    static func findIgnoringCase(_ u: UnsafeBufferPointer<UInt8>, _ needle: [UInt8], from: Int) -> Int {
        var i = from
        while i < u.count {
            i = u.firstIndex(of: needle[0], from: i, end: u.count)
            guard i + needle.count <= u.count else { return u.count }
            var ok = true
            for k in 1..<needle.count where ASCII.lower(u[i + k]) != needle[k] { ok = false; break }
            if ok { return i }
            i += 1
        }
        return u.count
    }

    /// Whether two colours are close enough that text in one on the other cannot be read.
    static func similar(_ a: UInt32, _ b: UInt32) -> Bool {
        func channel(_ c: UInt32, _ shift: UInt32) -> Int { Int((c >> shift) & 0xFF) }
        let d = abs(channel(a, 16) - channel(b, 16)) + abs(channel(a, 8) - channel(b, 8)) + abs(channel(a, 0) - channel(b, 0))
        return d <= 24
    }
}
