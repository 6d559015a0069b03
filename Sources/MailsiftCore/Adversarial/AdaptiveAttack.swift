/// An attacker with query access to the filter: for a caught spam it tries every edit it has not used yet,
/// keeps the one that lowered the filter's action (then its probability) most, and goes on from there, round
/// after round, until the message gets `inbox`, no edit lowers anything, or the query budget is spent. Each
/// verdict asked for is one query. (The attack of the evasion issue: five edits, four rounds, about 14 queries a
/// message.)
public struct AdaptiveAttack: Sendable {
    public var edits: [AttackEdit]
    public var material: AttackMaterial
    /// Most verdicts asked for per message, the first (the unedited message's) included.
    public var budget: Int

    public init(edits: [AttackEdit] = AttackEdit.defaultEdits, material: AttackMaterial, budget: Int = 20) {
        self.edits = edits
        self.material = material
        self.budget = budget
    }

    /// What the filter said of one version of the message.
    public struct Answer: Sendable, Hashable {
        public var probability: Double
        public var action: Action

        public init(probability: Double, action: Action) {
            self.probability = probability
            self.action = action
        }

        /// Whether this answer is better for the attacker than `other`: a lower action, else a lower probability.
        func better(than other: Answer) -> Bool {
            action != other.action ? action < other.action : probability < other.probability
        }
    }

    /// How one message fared.
    public struct Outcome: Sendable {
        public var start: Answer
        /// The best answer reached.
        public var end: Answer
        /// The edits of the best version, in the order applied.
        public var applied: [AttackEdit]
        /// The lowest action reached on the way, and the edits that reached it first.
        public var lowest: Action
        public var lowestEdits: [AttackEdit]
        public var queries: Int
        /// The best version's bytes.
        public var bytes: [UInt8]
    }

    /// Attacks `bytes`; `ask` is the filter (one call, one query). `salt` makes the made-up identifiers and the
    /// text picked this message's own.
    public func run(_ bytes: [UInt8], salt: UInt64, ask: ([UInt8]) -> Answer) -> Outcome {
        let start = ask(bytes)
        var outcome = Outcome(start: start, end: start, applied: [], lowest: start.action, lowestEdits: [], queries: 1, bytes: bytes)
        var unused = edits
        while outcome.end.action > .inbox, !unused.isEmpty, outcome.queries < budget {
            var best: (edit: AttackEdit, bytes: [UInt8], answer: Answer)?
            for edit in unused where outcome.queries < budget {
                guard let edited = edit.apply(to: outcome.bytes, material: material, salt: salt) else { continue }
                let answer = ask(edited)
                outcome.queries += 1
                if answer.action < outcome.lowest {
                    outcome.lowest = answer.action
                    outcome.lowestEdits = outcome.applied + [edit]
                }
                if answer.better(than: best?.answer ?? outcome.end) { best = (edit, edited, answer) }
            }
            guard let best else { break }
            unused.removeAll { $0 == best.edit }
            outcome.applied.append(best.edit)
            outcome.end = best.answer
            outcome.bytes = best.bytes
        }
        return outcome
    }
}
