import ArgumentParser
import Foundation
import MailsiftCommandLine
import MailsiftCore

extension Mailsift {
    struct Attack: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Attack the model as a spammer with query access would: edit caught test spam until it slips through (docs/adversarial.md)."
        )

        @OptionGroup var modelOption: ModelOption
        @OptionGroup var rows: SplitOption
        @Option(help: "How many caught test spams to attack, picked in a seeded order (0: all).")
        var messages = 200
        @Option(help: "Most verdicts asked for per message, the unedited one's included.")
        var budget = 20
        @Option(help: "The edits the attacker may make, comma-separated, of \(AttackEdit.allCases.map(\.rawValue).joined(separator: ", ")).")
        var edits = AttackEdit.defaultEdits.map(\.rawValue).joined(separator: ",")
        @Option(help: "Seed of the message order and of the attacker's made-up identifiers.")
        var seed: UInt64 = 1
        @Flag(help: "Trust reply headers as written (no ledger check): the filter before replies were checked.")
        var trustReplies = false
        @Option(help: "How list headers are read: corroborated (as serve reads them: only when the envelope sender's domain is the list's); as-written; unread (as serve with verify_lists reads them for a list no user reads).")
        var lists: ListClaim.Reading = .corroborated
        @Option(help: "Take the attacker's ham words, paragraphs and subjects from this split's train rows (default: the attacked split's).")
        var materialSplit: String?
        @Option(help: "A corpus folder of --material-split. Repeatable.")
        var materialCorpus: [String] = []
        @Flag(name: .customLong("static"), help: "Instead of the adaptive attack, apply each static obfuscation (homoglyphs, leetspeak, zero-width characters, split words, HTML splitting, base64, padding) to every test spam and report recall at 0.1% FPR with and without it.")
        var staticObfuscation = false
        @Option(help: "Write each attacked message's outcome to this file (TSV).")
        var outcomes: String?

        func run() throws {
            var options = AttackCommand.Options()
            options.messages = messages
            options.budget = budget
            options.edits = try attackEdits(edits)
            options.seed = seed
            options.trustReplies = trustReplies
            options.lists = lists
            options.outcomesPath = outcomes
            options.materialSplit = materialSplit
            options.materialCorpora = materialCorpus
            options.staticObfuscation = staticObfuscation
            options.trust = try modelOption.trust
            print(try AttackCommand.run(model: modelOption.source, loader: modelOption.loader, corpora: rows.corpus, split: rows.split, options: options, log: Mailsift.log))
        }
    }
}
