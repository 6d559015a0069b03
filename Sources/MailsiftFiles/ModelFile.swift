import Foundation
import MailsiftCore

/// Model bundle files: reading one, and where the default model that ships with Mailsift lies.
public enum ModelFile {
    public struct LoadError: Error, CustomStringConvertible {
        public var path: String
        public var reason: String
        public var description: String { "cannot load model \(path): \(reason)" }
    }

    /// The default spam model (trained on the `train` rows of spamassassin, csdmc2010 and nazario_phishing;
    /// docs/models.md gives the command that rebuilds it).
    public static var defaultModelPath: String? {
        Bundle.module.path(forResource: "default", ofType: "msmodel", inDirectory: "Resources")
    }

    public static func load(_ path: String?) throws -> ModelBundle {
        guard let path = path ?? defaultModelPath else {
            throw LoadError(path: "(default)", reason: "the default model is missing from this build")
        }
        guard let data = FileManager.default.contents(atPath: path) else { throw LoadError(path: path, reason: "cannot read the file") }
        do {
            return try ModelBundle(decoding: [UInt8](data))
        } catch {
            throw LoadError(path: path, reason: error.description)
        }
    }
}
