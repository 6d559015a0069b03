import Foundation
import MailsiftCore
import Yams

/// Reads a rules file (YAML, documented in docs/rules.md; an example ships as examples/rules.yaml) into a
/// compiled ``RuleSet``. A bad file is refused with its line and the reason.
public enum RulesFile {
    public struct LoadError: Error, CustomStringConvertible {
        public var path: String
        public var reason: String
        public var description: String { "rules file \(path): \(reason)" }
    }

    static let tests = ["client_ip", "sender_domain", "reply_to_domain", "url_domain", "header", "body", "authentication", "dmarc_reject_fail", "gtube", "language", "language_not", "script"]
    static let keys = Set(tests + ["name", "description", "pattern", "action", "score"])

    /// The default rules that ship with Mailsift (GTUBE, DMARC reject, authentication failures).
    public static var defaultPath: String? {
        Bundle.module.path(forResource: "rules", ofType: "yaml", inDirectory: "Resources")
    }

    public static func load(_ path: String?) throws -> RuleSet {
        guard let path = path ?? defaultPath else { return .empty }
        guard let data = FileManager.default.contents(atPath: path) else { throw LoadError(path: path, reason: "cannot read the file") }
        do {
            return try parse(String(decoding: data, as: UTF8.self))
        } catch {
            throw LoadError(path: path, reason: error.description)
        }
    }

    /// Parses and compiles rules from YAML text.
    public static func parse(_ yaml: String) throws(RuleError) -> RuleSet {
        let root: Node?
        do {
            root = try Yams.compose(yaml: yaml)
        } catch let YamlError.scanner(_, problem, mark, _), let YamlError.parser(_, problem, mark, _) {
            throw RuleError(line: mark.line, reason: problem)
        } catch {
            throw RuleError(line: 1, reason: "not YAML: \(error)")
        }
        guard let root else { return .empty }
        guard let rules = root["rules"] else { throw RuleError(line: root.mark?.line ?? 1, reason: "expected a top-level `rules:` list") }
        guard let list = rules.sequence else { throw RuleError(line: rules.mark?.line ?? 1, reason: "`rules` must be a list") }
        var specs: [RuleSpec] = []
        for item in list {
            let line = item.mark?.line ?? 1
            guard let mapping = item.mapping else { throw RuleError(line: line, reason: "each rule is a mapping (name:, a test, action: or score:)") }
            var fields: [String: Node] = [:]
            for (key, value) in mapping {
                guard let k = key.string else { throw RuleError(line: key.mark?.line ?? line, reason: "keys must be strings") }
                guard keys.contains(k) else { throw RuleError(line: key.mark?.line ?? line, reason: "unknown key \"\(k)\"") }
                fields[k] = value
            }
            let present = tests.filter { fields[$0] != nil }
            guard present.count == 1, let test = present.first else {
                throw RuleError(line: line, reason: "a rule has exactly one test (\(tests.joined(separator: ", ")))")
            }
            let value = fields[test]!
            var values: [String] = []
            if test == "dmarc_reject_fail" || test == "gtube" {
                guard value.bool == true else { throw RuleError(line: value.mark?.line ?? line, reason: "\(test) takes `true`") }
            } else if let seq = value.sequence {
                values = seq.compactMap(\.string)
            } else if let s = value.string {
                values = [s]
            }
            var score: Double? = nil
            if let node = fields["score"] {
                guard let s = node.string.flatMap({ Double($0) }) else {
                    throw RuleError(line: node.mark?.line ?? line, reason: "score must be a number")
                }
                score = s
            }
            specs.append(RuleSpec(
                name: fields["name"]?.string ?? "", line: line, test: test, values: values, pattern: fields["pattern"]?.string,
                action: fields["action"]?.string, score: score, description: fields["description"]?.string
            ))
        }
        return try RuleSet(compiling: specs)
    }
}
