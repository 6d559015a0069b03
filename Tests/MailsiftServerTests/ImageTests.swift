import Foundation
import MailsiftCore
import MailsiftImages
import MailsiftTestKit
import Testing

@testable import MailsiftServer

/// Images decoded by libpng, libturbojpeg, giflib and libwebp and hashed (pHash): copies of one picture (another
/// format, resized and recompressed, brightened) match, another picture does not; hostile images are refused from
/// their headers; and through the server, an image spam the operator blocked is caught by its picture alone.
@Suite struct ImageTests {
    static func fixture(_ name: String) throws -> [UInt8] {
        let url = try #require(Bundle.module.url(forResource: "Fixtures/images/\(name)", withExtension: nil))
        return [UInt8](try Data(contentsOf: url))
    }

    let decoder = LibraryImageDecoder()

    func hash(_ name: String) throws -> UInt64 {
        guard case .success(let decoded) = decoder.decode(try Self.fixture(name), limits: ImageLimits()) else {
            Issue.record("\(name) did not decode")
            return 0
        }
        return try #require(PerceptualHash.hash(decoded.image))
    }

    @Test func copiesOfOnePictureMatchAndAnotherDoesNot() throws {
        let base = try hash("base.png")
        for copy in ["base.jpg", "base.gif", "base.webp", "small.jpg", "bright.png"] {
            let d = PerceptualHash.distance(base, try hash(copy))
            #expect(d <= PerceptualHash.matchDistance, "\(copy): \(d) bits")
        }
        let other = PerceptualHash.distance(base, try hash("other.png"))
        #expect(other > 20, "other.png: \(other) bits")
        if case .success(let d) = decoder.decode(try Self.fixture("base.gif"), limits: ImageLimits()) {
            #expect(d.image.width == 400 && d.image.height == 300 && d.frames == 1)
        }
    }

    @Test func hostileImagesAreRefusedCheaply() throws {
        let start = ContinuousClock.now
        #expect(failure(decoder.decode(try Self.fixture("huge.png"), limits: ImageLimits())) == .tooLarge(width: 60_000, height: 60_000))
        // Half a JPEG: libjpeg-turbo fills the missing rows (a warning), or fails; never a crash.
        switch decoder.decode(try Self.fixture("truncated.jpg"), limits: ImageLimits()) {
        case .success(let d): #expect(d.image.width == 400)
        case .failure(let why): #expect(why != .unsupported)
        }
        // A GIF of 10,000 one-pixel frames: the first decoded, the rest walked past up to the frame limit.
        var gif = Array("GIF89a".utf8) + [1, 0, 1, 0, 0x80, 0, 0] + [0, 0, 0, 255, 255, 255]
        for _ in 0..<10_000 { gif += [0x2C, 0, 0, 0, 0, 1, 0, 1, 0, 0] + [0x02, 0x02, 0x44, 0x01, 0x00] }
        gif.append(0x3B)
        #expect((try? decoder.decode(gif, limits: ImageLimits()).get().frames) == ImageLimits().frames + 1)
        // A WebP announcing 16,383 x 16,383 (a VP8 key frame header and nothing else).
        var vp8: [UInt8] = [0x10, 0x02, 0x00, 0x9D, 0x01, 0x2A, 0xFF, 0x3F, 0xFF, 0x3F] + [UInt8](repeating: 0, count: 20)
        let webp = Array("RIFF".utf8) + le32(4 + 8 + vp8.count) + Array("WEBPVP8 ".utf8) + le32(vp8.count) + vp8
        vp8.removeAll()
        #expect(failure(decoder.decode(webp, limits: ImageLimits())) == .tooLarge(width: 16_383, height: 16_383))
        // Garbage after each signature.
        for head in [[0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A], [0xFF, 0xD8, 0xFF], Array("GIF89a".utf8), Array("RIFF\0\0\0\0WEBP".utf8)] as [[UInt8]] {
            for n in [0, 10, 1_000, 100_000] {
                let bytes = head + (0..<n).map { _ in UInt8.random(in: 0...255) }
                if case .success = decoder.decode(bytes, limits: ImageLimits()) {} // anything but a crash
            }
        }
        #expect(ContinuousClock.now - start < .seconds(5))
    }

    func failure(_ r: Result<(image: GrayImage, frames: Int), ImageFailure>) -> ImageFailure? {
        if case .failure(let why) = r { return why }
        return nil
    }

    func le32(_ n: Int) -> [UInt8] { [UInt8(n & 0xFF), UInt8((n >> 8) & 0xFF), UInt8((n >> 16) & 0xFF), UInt8(n >> 24)] }

    static func imageMessage(_ image: [UInt8], type: String, to: String) -> String {
        """
        From: promo@deals-\(to).example\r
        To: \(to)@example.org\r
        Subject: Special offer\r
        MIME-Version: 1.0\r
        Content-Type: multipart/related; boundary="b"\r
        \r
        --b\r
        Content-Type: text/html\r
        \r
        <html><body><img src="cid:offer"></body></html>\r
        --b\r
        Content-Type: \(type)\r
        Content-ID: <offer>\r
        Content-Transfer-Encoding: base64\r
        \r
        \(Data(image).base64EncodedString(options: .lineLength76Characters).replacingOccurrences(of: "\n", with: "\r\n"))\r
        --b--\r

        """
    }

    /// An image spam: the operator blocks one (PNG); its JPEG copy, resized, sent to someone else, is caught by the
    /// picture (there is no text to match). The verdict says the message is an image with little text.
    @Test func anImageCampaignIsBlockedByItsPicture() async throws {
        let service = Fixture.server().service
        let first = Self.imageMessage(try Self.fixture("base.png"), type: "image/png", to: "alice")
        let copy = Self.imageMessage(try Self.fixture("small.jpg"), type: "image/jpeg", to: "bob")
        let before = try await service.classify(Array(copy.utf8), envelope: Envelope(), reasons: 8)
        #expect(before.reasons.contains { $0.feature == "image_only" })
        let analysed = try service.analyzer().analyze(Array(first.utf8))
        let phashes = analysed.images?.compactMap(\.phash) ?? []
        #expect(phashes.count == 1)
        let added = await service.fuzzy.add(.init(action: .block, fingerprint: CampaignFingerprint(analysed), images: phashes, note: "image spam", added: 1))
        #expect(added.refusal == nil)
        let after = try await service.classify(Array(copy.utf8), envelope: Envelope(), reasons: 8)
        #expect(after.reasons.first?.feature == "fuzzy_block")
        #expect(after.action >= .quarantine)
        let unrelated = Self.imageMessage(try Self.fixture("other.png"), type: "image/png", to: "carol")
        #expect(try await service.classify(Array(unrelated.utf8), envelope: Envelope(), reasons: 8).reasons.first?.feature != "fuzzy_block")
    }
}
