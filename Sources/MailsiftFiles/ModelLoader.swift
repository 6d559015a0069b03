import MailsiftCore

/// Loads the model a command or a server runs: the bundle file (or the shipped default), the rules file (or
/// the shipped rules), and the cascade built from them by ``Cascade/init(loading:rules:mode:trees:)`` with
/// the injected tree loader. `classify`, `eval`, `bench`, `replay`, `retrain` and `serve` (reloads included)
/// all load through it.
public struct ModelLoader: Sendable {
    public var trees: any TreeLoader
    /// Gives the transformer stage's encoder to each cascade built here whose model has the stage
    /// (`MailsiftEncoder`'s `EncoderProvider`); nil, or nil from it: the stage does not run.
    public var encoder: (@Sendable (ModelBundle) -> (any SentenceEncoder)?)?
    /// Detects the language of what each cascade built here analyses (``Cascade/languageDetector``): the command
    /// line's is CLD2 (`MailsiftLanguage`); nil: none.
    public var languageDetector: (any LanguageDetector)?

    public init(
        trees: any TreeLoader, encoder: (@Sendable (ModelBundle) -> (any SentenceEncoder)?)? = nil, languageDetector: (any LanguageDetector)? = nil
    ) {
        self.trees = trees
        self.encoder = encoder
        self.languageDetector = languageDetector
    }

    /// Which files to load; nil is the shipped default.
    public struct Source: Sendable, Equatable {
        public var model: String?
        public var rules: String?
        /// Run no rules at all (not even the shipped ones).
        public var noRules: Bool

        public init(model: String? = nil, rules: String? = nil, noRules: Bool = false) {
            self.model = model
            self.rules = rules
            self.noRules = noRules
        }
    }

    /// The bundle and rules of `source`, read and checked, not yet built into a cascade.
    public func files(_ source: Source) throws -> (bundle: ModelBundle, rules: RuleSet) {
        (try ModelFile.load(source.model), source.noRules ? .empty : try RulesFile.load(source.rules))
    }

    /// The cascade of a bundle already read (a registry's version, a retrained candidate).
    public func cascade(_ bundle: ModelBundle, rules: RuleSet = .empty, mode: CascadeManifest.Mode? = nil) throws -> Cascade {
        var cascade = try Cascade(loading: bundle, rules: rules, mode: mode, trees: trees)
        cascade.encoder = encoder?(bundle)
        cascade.languageDetector = languageDetector
        return cascade
    }

    /// The cascade of `source`.
    public func cascade(_ source: Source, mode: CascadeManifest.Mode? = nil) throws -> Cascade {
        let (bundle, rules) = try files(source)
        return try cascade(bundle, rules: rules, mode: mode)
    }
}
