import Testing
@testable import MailsiftCore

@Suite("HTML to text")
struct HTMLTextTests {
    let extractor = HTMLTextExtractor()

    @Test func visibleTextEntitiesAndBlocks() {
        let t = extractor.extract("<html><head><title>T</title><style>p{color:red}</style></head><body><p>Caf&eacute; &amp; cr&#232;me&nbsp;br&ucirc;l&#xE9;e</p><div>two\n   lines</div><script>alert('x')</script>end</body></html>")
        #expect(t.visibleText == "T\nCafé & crème brûlée\ntwo lines\nend")
        #expect(t.stats.scripts == 1)
    }

    @Test func legacyAndWindows1252References() {
        #expect(extractor.extract("a&nbspb &copy 2002 &#147;q&#148;").visibleText == "a b © 2002 “q”")
        #expect(extractor.extract("AT&T &unknown; &").visibleText == "AT&T &unknown; &")
    }

    @Test func hiddenTextIsKeptApart() throws {
        let m = try MessageParser().parse(try TestSupport.fixture("hidden-html.eml"))
        let t = extractor.extract(m.root.text!)
        #expect(t.visibleText.contains("Buy “now”"))
        #expect(!t.visibleText.contains("lottery"))
        #expect(t.hiddenText.contains("lottery winner prize"))
        #expect(t.hiddenText.contains("hidden white text"))
        #expect(t.stats.hiddenElements == 2)
        // A comment inside a word does not split it.
        #expect(t.visibleText.contains("viagra"))
        #expect(t.stats.tagsInsideWords == 1)
        #expect(!t.visibleText.contains("alert"))
        #expect(t.imageAltText == "pic")
    }

    @Test func hidingStyles() {
        for style in ["display: none", "visibility:hidden", "font-size:0px", "font-size: 0", "color:#fff", "color: white; background-color: #FEFEFE", "opacity:0"] {
            let t = extractor.extract("<p>shown</p><span style=\"\(style)\">secret</span>")
            #expect(t.visibleText == "shown", "style \(style)")
            #expect(t.hiddenText == "secret", "style \(style)")
        }
        let dark = extractor.extract("<table bgcolor=\"#000000\"><tr><td><font color=\"#ffffff\">white on black</font></td></tr></table>")
        #expect(dark.visibleText == "white on black")
    }

    /// The responsive layouts' container sets `font-size:0` (to close the gaps between inline-block columns) and each
    /// column sets its own size: that text is seen. Text under a zero size with no readable size set again is not, and
    /// a readable size does not undo `display:none`.
    @Test func aReadableFontSizeInsideAZeroOneIsSeen() {
        let columns = extractor.extract(
            "<td style=\"text-align:center;font-size:0\"><table style=\"display:inline-block\"><tr><td style=\"font-size:14px\">Save up to 40%</td></tr></table>"
                + "<span>gap</span></td><p style=\"font-size:0\"><font size=\"3\">three</font></p>")
        #expect(columns.visibleText.contains("Save up to 40%") && columns.visibleText.contains("three"), "\(columns.visibleText)")
        #expect(columns.hiddenText == "gap", "\(columns.hiddenText)")
        let gone = extractor.extract("<div style=\"display:none\"><span style=\"font-size:16px\">secret</span></div>")
        #expect(gone.visibleText.isEmpty && gone.hiddenText == "secret")
        // Sizes relative to a zero parent stay zero: they cannot bring hidden words back.
        for size in ["1.2em", "150%", "inherit", "larger", "var(--s)"] {
            let relative = extractor.extract("<div style=\"font-size:0\"><span style=\"font-size:\(size)\">secret</span></div>")
            #expect(relative.visibleText.isEmpty && relative.hiddenText == "secret", "font-size \(size)")
        }
    }

    @Test func linksWithAnchorText() throws {
        let m = try MessageParser().parse(try TestSupport.fixture("hidden-html.eml"))
        let t = extractor.extract(m.root.text!)
        let href = try #require(t.links.first { $0.source == .href })
        #expect(href.anchorText == "https://www.paypal.com")
        #expect(href.host == "evil.example")
        #expect(href.hasUserInfo)
        let img = try #require(t.links.first { $0.source == .src })
        #expect(img.host == "1.2.3.4")
        #expect(img.isIPLiteral)
    }

    @Test func brokenHTMLTerminates() {
        #expect(extractor.extract("<div attr=\"unterminated>text").visibleText.isEmpty)
        #expect(extractor.extract("a < b and c > d").visibleText == "a < b and c > d")
        #expect(extractor.extract("<!-- never closed").visibleText == "")
        #expect(extractor.extract("x<").visibleText == "x<")
        #expect(extractor.extract(String(repeating: "<div><span>", count: 5000) + "deep").visibleText == "deep")
    }

    @Test func tagKindsAndVoids() {
        func name(_ s: String) -> TagName { Array(s.utf8).withUnsafeBufferPointer { TagName($0, 0..<$0.count) } }
        #expect(name("DIV").kind == .block)
        #expect(name("script").kind == .raw)
        #expect(name("br").kind == .lineBreak && name("br").isVoid)
        #expect(name("img").kind == .image && name("IMG").isVoid)
        #expect(name("input").kind == .inline && name("input").isVoid)
        #expect(name("figcaption").kind == .block)
        #expect(name("span").kind == .inline && !name("span").isVoid)
        #expect(name("").kind == .inline && !name("").isVoid)
        #expect(name("divx").kind == .inline)
    }
}
