import Foundation
import MailsiftFiles
import MailsiftCore
import Synchronization

/// A model ready to serve: the cascade built from a bundle and a rules file, checked on load, with a pool
/// of scratch buffers so that concurrent requests reuse them instead of allocating their own. Immutable
/// once made; a reload makes a new one (``ModelSwitch``).
public final class ServingModel: Sendable {
    public let cascade: Cascade
    public var version: String { cascade.bundle.manifest.version }
    /// Where it was loaded from (nil: the shipped default model).
    public let path: String?
    public let loadedAt: Date
    private let scratches: Mutex<[Cascade.Scratch]>

    public struct LoadError: Error, CustomStringConvertible {
        public var reason: String
        public var description: String { reason }
    }

    public init(cascade: Cascade, path: String?) throws(LoadError) {
        self.cascade = cascade
        self.path = path
        loadedAt = Date()
        scratches = Mutex([])
        try check()
    }

    /// Loads and checks a bundle and its rules: a file that does not decode, a model whose trees do not
    /// load, or one that gives no finite probability on the probe messages is refused.
    public static func load(_ source: ModelLoader.Source, with loader: ModelLoader) throws -> ServingModel {
        let (bundle, rules) = try loader.files(source)
        guard bundle.manifest.labels.count == 2 else {
            throw LoadError(reason: "model \(source.model ?? "(default)") is a topic model (\(bundle.manifest.labels.count) labels); serving needs a spam model")
        }
        return try ServingModel(cascade: try loader.cascade(bundle, rules: rules), path: source.model)
    }

    /// Runs `body` with a scratch buffer from the pool (a new one when every pooled one is in use).
    public func withScratch<R>(_ body: (inout Cascade.Scratch) throws -> R) rethrows -> R {
        var scratch = scratches.withLock { $0.popLast() } ?? cascade.makeScratch()
        defer {
            let returned = scratch
            scratches.withLock { pool in if pool.count < 64 { pool.append(returned) } }
        }
        return try body(&scratch)
    }

    /// Classifies the probe messages: each must give a finite probability through every stage.
    private func check() throws(LoadError) {
        for probe in ServingModel.probes {
            guard let a = try? cascade.extractor.analyze(Array(probe.utf8)) else {
                throw LoadError(reason: "model \(version): the probe message does not parse")
            }
            let verdict = withScratch { cascade.classify(a, scratch: &$0) }
            guard verdict.probability.isFinite, (0...1).contains(verdict.probability) else {
                throw LoadError(reason: "model \(version) gives probability \(verdict.probability) on a probe message")
            }
            if let error = verdict.treeError { throw LoadError(reason: "model \(version): its tree stage fails: \(error)") }
        }
    }

    static let probes = [
        """
        From: Alice <alice@example.org>\r
        To: bob@example.com\r
        Subject: lunch on Thursday?\r
        Date: Mon, 23 Nov 2026 10:00:00 +0000\r
        Message-ID: <probe-1@example.org>\r
        \r
        Shall we meet at noon? The usual place.\r

        """,
        """
        From: "Prize Office" <winner@lottery.example>\r
        To: you@example.com\r
        Subject: =?UTF-8?B?WU9VIEhBVkUgV09OIQ==?=\r
        Content-Type: text/html; charset=utf-8\r
        \r
        <html><body><p>Claim your <b>$1,000,000</b> now: <a href="http://198.51.100.7/claim">click here</a></p></body></html>\r

        """,
    ]
}

/// The model being served, swapped atomically on reload: a request takes the current ``ServingModel`` once
/// and finishes on it, whatever happens to the switch meanwhile.
public final class ModelSwitch: Sendable {
    private let current: Mutex<ServingModel?>

    public init(_ model: ServingModel? = nil) { current = Mutex(model) }

    public var model: ServingModel? { current.withLock { $0 } }

    /// Installs `model` and returns the one it replaced.
    @discardableResult
    public func install(_ model: ServingModel) -> ServingModel? {
        current.withLock { old in
            let previous = old
            old = model
            return previous
        }
    }
}
