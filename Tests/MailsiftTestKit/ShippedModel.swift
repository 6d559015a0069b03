import MailsiftCore
import MailsiftFiles
import MailsiftTrees

/// The model and rules that ship with Mailsift, read once for all the tests of a process, and the loader
/// the product uses (trees by XGBoost).
public enum ShippedModel {
    public static let loader = ModelLoader(trees: XGBoostTreeLoader())
    public static let bundle: ModelBundle = try! ModelFile.load(nil)
    public static let rules: RuleSet = try! RulesFile.load(nil)

    /// The cascade of `bundle` (the shipped one by default) through the one loader.
    public static func cascade(_ bundle: ModelBundle = bundle, rules: RuleSet = .empty, mode: CascadeManifest.Mode? = nil) throws -> Cascade {
        try loader.cascade(bundle, rules: rules, mode: mode)
    }
}
