extension Cascade {
    /// Why a bundle gives no cascade.
    public struct LoadError: Error, CustomStringConvertible {
        public var reason: String
        public var description: String { reason }
    }

    /// The one way a model bundle becomes a cascade (`classify`, `eval`, `serve` and its reloads, `retrain`,
    /// `replay`): the tree stage loaded from the bundle's `trees` section by `trees`, the view models checked
    /// and decoded once. A bundle without a tree stage (a text-only model) gives rules and the text model.
    public init(loading bundle: ModelBundle, rules: RuleSet = .empty, mode: CascadeManifest.Mode? = nil, trees loader: any TreeLoader) throws {
        var trees: (any TreeScorer)? = nil
        var views: [ViewModel] = []
        if let c = bundle.manifest.cascade {
            // A model trained before columns were appended reads a prefix of this build's columns.
            guard !c.treeFeatures.isEmpty, c.treeFeatures.count <= MetadataFeature.names.count,
                  Array(MetadataFeature.names.prefix(c.treeFeatures.count)) == c.treeFeatures else {
                throw LoadError(reason: "the model's tree features differ from this build's; retrain it")
            }
            guard let bytes = bundle.sections[ModelBundle.treesSection] else {
                throw LoadError(reason: "the model names a tree stage but has no \(ModelBundle.treesSection) section")
            }
            trees = try loader.scorer(loading: bytes, featureCount: c.treeFeatures.count)
            views = try bundle.viewModels(state: false)
        }
        self.init(bundle: bundle, rules: rules, trees: trees, mode: mode, viewModels: views)
    }
}
