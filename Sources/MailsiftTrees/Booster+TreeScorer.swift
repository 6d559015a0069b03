import MailsiftCore

extension Booster: TreeScorer {
    public func treeMargin(of row: [Float]) throws -> Float { try margin(of: row) }
    public func treeContributions(of row: [Float]) throws -> [Float] { try contributions(of: row) }
}

extension Cascade {
    /// The cascade of a bundle, with its tree stage loaded from the bundle's `trees` section. A bundle
    /// without one (a text-only model) gives a cascade of rules and the text model.
    public static func load(_ bundle: ModelBundle, rules: RuleSet = .empty, mode: CascadeManifest.Mode? = nil) throws -> Cascade {
        var trees: TreeModel? = nil
        var views: [ViewModel] = []
        if let c = bundle.manifest.cascade {
            // A model trained before columns were appended reads a prefix of this build's columns.
            guard !c.treeFeatures.isEmpty, c.treeFeatures.count <= MetadataFeature.names.count,
                  Array(MetadataFeature.names.prefix(c.treeFeatures.count)) == c.treeFeatures else {
                throw BoosterError.xgboost("the model's tree features differ from this build's; retrain it")
            }
            guard let bytes = bundle.sections[ModelBundle.treesSection] else {
                throw BoosterError.xgboost("the model names a tree stage but has no \(ModelBundle.treesSection) section")
            }
            trees = try TreeModel(loading: bytes, featureCount: c.treeFeatures.count)
            views = try bundle.viewModels(state: false)
        }
        return Cascade(bundle: bundle, rules: rules, trees: trees, mode: mode, viewModels: views)
    }
}
