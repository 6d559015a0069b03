import Foundation
import MailsiftCore

/// The JSON form of an analysed message printed by `mailsift parse`: one object per message.
public struct MessageReport: Encodable {
    struct Header: Encodable {
        var name: String
        var value: String
        var raw: String?
    }

    struct Part: Encodable {
        var contentType: String
        var charset: String?
        var transferEncoding: String
        var disposition: String?
        var filename: String?
        var isAttachment: Bool
        var decodedSize: Int
        var sniffedType: String?
        var text: String?
        var parts: [Part]?

        init(_ p: MIMEPart, includeText: Bool) {
            contentType = p.contentType.mimeType
            charset = p.charset ?? p.contentType.charset
            transferEncoding = p.transferEncoding.name
            disposition = p.disposition?.kind
            filename = p.filename
            isAttachment = p.isAttachment
            decodedSize = p.decodedSize
            sniffedType = p.sniffedType
            text = includeText ? p.text : nil
            parts = p.children.isEmpty ? nil : p.children.map { Part($0, includeText: includeText) }
        }
    }

    struct DateValue: Encodable {
        var timestamp: Int64
        var zoneOffsetMinutes: Int
    }

    struct Normalized: Encodable {
        var subject: String
        var body: String
        var signals: ObfuscationSignals
    }

    var file: String
    var size: Int
    var flags: [String]
    var headers: [Header]
    var subject: String?
    var messageId: String?
    var date: DateValue?
    var from: [Address]
    var sender: [Address]
    var replyTo: [Address]
    var to: [Address]
    var cc: [Address]
    var returnPath: [Address]
    var received: [ReceivedHop]
    var authenticationResults: [AuthenticationResults]
    var receivedSpf: [String]
    var structure: Part
    var bodyText: String
    var hiddenText: String?
    var urls: [ExtractedURL]
    var attachments: [Part]
    var html: HTMLStats?
    var normalized: Normalized

    public init(file: String, analyzed a: AnalyzedMessage) {
        let m = a.message
        self.file = file
        size = m.bytes.count
        flags = m.flags.names
        headers = m.headers.map { Header(name: $0.name, value: $0.value, raw: $0.rawValue == $0.value ? nil : $0.rawValue) }
        subject = m.subject
        messageId = m.messageID
        date = m.date.map { DateValue(timestamp: $0.timestamp, zoneOffsetMinutes: $0.zoneOffsetMinutes) }
        from = m.from
        sender = m.sender
        replyTo = m.replyTo
        to = m.to
        cc = m.cc
        returnPath = m.returnPath
        received = m.received
        authenticationResults = m.authenticationResults
        receivedSpf = m.receivedSPF
        structure = Part(m.root, includeText: true)
        bodyText = a.bodyText
        hiddenText = a.hiddenText.isEmpty ? nil : a.hiddenText
        urls = a.urls
        attachments = m.attachments.map { Part($0, includeText: false) }
        html = a.html.tags > 0 ? a.html : nil
        normalized = Normalized(subject: a.normalizedSubject.text, body: a.normalizedBody.text, signals: a.normalizedBody.signals)
    }

    public static func encoder() -> JSONEncoder {
        let e = JSONEncoder()
        e.keyEncodingStrategy = .convertToSnakeCase
        e.outputFormatting = [.withoutEscapingSlashes, .sortedKeys]
        return e
    }
}

/// The JSON printed for a message that could not be parsed.
public struct ParseFailureReport: Encodable {
    public var file: String
    public var error: String

    public init(file: String, error: String) {
        self.file = file
        self.error = error
    }
}
