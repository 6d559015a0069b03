import MailsiftCore
import MailsiftDNS
import MailsiftFiles
import MailsiftTrees

/// The model and rules that ship with Mailsift, read once for all the tests of a process, and the loader
/// the product uses (trees by XGBoost).
/// Reading either installs the Public Suffix List for registrable domains, as `mailsift` does at start: the shipped
/// model was trained with it, and its recorded figures are reproduced only with it.
public enum ShippedModel {
    public static let loader: ModelLoader = {
        _ = publicSuffixes
        return ModelLoader(trees: XGBoostTreeLoader())
    }()
    public static let bundle: ModelBundle = {
        _ = publicSuffixes
        return try! ModelFile.load(nil)
    }()
    /// `DomainName.use` with libpsl's list, once.
    public static let publicSuffixes: Void = DomainName.use(try! LibPSL())
    public static let rules: RuleSet = try! RulesFile.load(nil)

    /// The cascade of `bundle` (the shipped one by default) through the one loader.
    public static func cascade(_ bundle: ModelBundle = bundle, rules: RuleSet = .empty, mode: CascadeManifest.Mode? = nil) throws -> Cascade {
        try loader.cascade(bundle, rules: rules, mode: mode)
    }
}
