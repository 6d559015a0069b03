import Foundation

/// A gradient-boosted tree ensemble evaluated natively: XGBoost's model (its UBJSON save format) read into
/// one flat array of nodes, and a row's margin computed the way XGBoost's CPU predictor computes it (the base
/// margin, then each tree's leaf added in order, in `Float`; a missing value (NaN) follows the node's default
/// direction, any other goes left when below the split). It exists because XGBoost's per-call cost for one
/// row (configuration parsing, a proxy matrix) is several times the cost of walking the trees; a test checks
/// that both give bit-identical margins on every corpus message. Immutable and `Sendable`.
public struct TreeEnsemble: Sendable {
    /// One node in 16 bytes. A leaf's children are itself and `value` is its value (so a walk may step past
    /// a leaf without testing for it); an inner node's `value` is its split.
    struct Node {
        /// The feature index, with the default direction (missing goes left) in the top bit.
        var feature: UInt32
        var value: Float
        var left: Int32
        var right: Int32
    }

    private let nodes: [Node]
    /// Each node's mean value (its leaves' values weighted by their hessian sums), for contributions.
    private let means: [Float]
    private let roots: [Int32]
    /// Each tree's depth (edges from the root to its deepest leaf).
    private let depths: [Int32]
    /// The margin before any tree (XGBoost's `base_score` as log-odds).
    public let baseMargin: Float
    public let featureCount: Int
    public var treeCount: Int { roots.count }

    /// Reads an XGBoost model saved as UBJSON (`XGBoosterSaveModelToBuffer` with `"format": "ubj"`).
    /// Only numerical splits of a `gbtree` booster with a binary logistic objective are accepted.
    public init(xgboostModel bytes: [UInt8], featureCount: Int) throws(TreeEnsembleError) {
        guard featureCount > 0 else { throw .malformed("no feature columns") }
        let root: UBJSON
        do { root = try UBJSON(parsing: bytes) } catch { throw .malformed("\(error)") }
        guard let learner = root["learner"] else { throw .malformed("no learner") }
        guard let booster = learner["gradient_booster"], booster["name"]?.stringValue == "gbtree" else {
            throw .unsupported("only gbtree boosters are evaluated natively")
        }
        let objective = learner["objective"]?["name"]?.stringValue ?? ""
        guard let parameters = learner["learner_model_param"],
              let baseText = parameters["base_score"]?.stringValue, let base = Float(baseText) else {
            throw .malformed("no base_score")
        }
        if let classes = parameters["num_class"]?.stringValue, classes != "0" && classes != "1" {
            throw .unsupported("multi-class models are not evaluated natively")
        }
        switch objective {
        case "binary:logistic", "reg:logistic":
            guard base > 0, base < 1 else { throw .malformed("base_score \(base) outside (0, 1)") }
            baseMargin = -logf(1 / base - 1)  // XGBoost's ProbToMargin, in Float as it computes it
        case "binary:logitraw":
            baseMargin = base
        default:
            throw .unsupported("objective \(objective)")
        }
        guard let trees = booster["model"]?["trees"]?.arrayValue else { throw .malformed("no trees") }
        var nodes: [Node] = []
        var means: [Float] = []
        var roots: [Int32] = []
        var depths: [Int32] = []
        for (t, tree) in trees.enumerated() {
            roots.append(Int32(nodes.count))
            depths.append(Int32(try TreeEnsemble.append(tree, number: t, featureCount: featureCount, to: &nodes, means: &means)))
        }
        self.nodes = nodes
        self.means = means
        self.roots = roots
        self.depths = depths
        self.featureCount = featureCount
    }

    /// Appends one tree's nodes (children re-based to absolute indices) after checking that every node is
    /// reached once from the root, so that a walk always ends at a leaf; returns the tree's depth.
    private static func append(
        _ tree: UBJSON, number t: Int, featureCount: Int, to nodes: inout [Node], means: inout [Float]
    ) throws(TreeEnsembleError) -> Int {
        /// The array `key` of the tree, each element converted (`kind` names what a bad one should have been).
        func array<T>(_ key: String, _ kind: String, _ convert: (UBJSON) -> T?) throws(TreeEnsembleError) -> [T] {
            guard let a = tree[key]?.arrayValue else { throw .malformed("tree \(t): no \(key)") }
            var out: [T] = []
            out.reserveCapacity(a.count)
            for v in a {
                guard let x = convert(v) else { throw .malformed("tree \(t): \(key) holds a non-\(kind)") }
                out.append(x)
            }
            return out
        }
        func ints(_ key: String) throws(TreeEnsembleError) -> [Int] { try array(key, "integer") { $0.intValue } }
        func floats(_ key: String) throws(TreeEnsembleError) -> [Float] { try array(key, "number") { $0.floatValue } }
        let left = try ints("left_children"), right = try ints("right_children")
        let features = try ints("split_indices"), defaults = try ints("default_left")
        let types = (try? ints("split_type")) ?? []
        let conditions = try floats("split_conditions")
        let hessians = try floats("sum_hessian")
        let n = left.count
        guard n > 0, right.count == n, features.count == n, defaults.count == n, conditions.count == n, hessians.count == n,
              types.isEmpty || types.count == n else {
            throw .malformed("tree \(t): arrays of different lengths")
        }
        let base = nodes.count
        guard base + n < Int(Int32.max) else { throw .malformed("too many nodes") }
        var seen = [Bool](repeating: false, count: n)
        var stack = [(node: 0, depth: 0)]
        seen[0] = true
        var depth = 0
        var shaped = [Node](repeating: Node(feature: 0, value: 0, left: -1, right: -1), count: n)
        while let (i, d) = stack.popLast() {
            depth = max(depth, d)
            if left[i] == -1 {
                shaped[i] = Node(feature: 0, value: conditions[i], left: Int32(base + i), right: Int32(base + i))
                continue
            }
            guard !types.indices.contains(i) || types[i] == 0 else { throw .unsupported("tree \(t): categorical splits") }
            guard features[i] >= 0, features[i] < featureCount else {
                throw .malformed("tree \(t): feature \(features[i]) out of range (\(featureCount) columns)")
            }
            for child in [left[i], right[i]] {
                guard child > 0, child < n, !seen[child] else { throw .malformed("tree \(t): node \(i) has a bad child \(child)") }
                seen[child] = true
                stack.append((child, d + 1))
            }
            let feature = UInt32(features[i]) | (defaults[i] != 0 ? 0x8000_0000 : 0)
            shaped[i] = Node(feature: feature, value: conditions[i], left: Int32(base + left[i]), right: Int32(base + right[i]))
        }
        // Deleted nodes (unreachable) become leaves of value 0 pointing at themselves.
        for i in 0..<n where !seen[i] { shaped[i] = Node(feature: 0, value: 0, left: Int32(base + i), right: Int32(base + i)) }
        // Mean values bottom-up, as XGBoost's FillNodeMeanValues computes them (in Float), in an explicit
        // post-order walk from the root: node order in the arrays does not promise children after parents.
        var mean = [Float](repeating: 0, count: n)
        var order: [(node: Int, expanded: Bool)] = [(0, false)]
        while let (i, expanded) = order.popLast() {
            if left[i] == -1 { mean[i] = conditions[i]; continue }
            if expanded {
                var m = mean[left[i]] * hessians[left[i]]
                m += mean[right[i]] * hessians[right[i]]
                mean[i] = m / hessians[i]
            } else {
                order.append((i, true))
                order.append((right[i], false))
                order.append((left[i], false))
            }
        }
        nodes.append(contentsOf: shaped)
        means.append(contentsOf: mean)
        return depth
    }

    /// Each column's contribution to the margin of `row`, then the bias (``featureCount`` + 1 values that
    /// add up to the margin): the path attribution of XGBoost's `approx_contribs` (Saabas), where each split
    /// on the row's path credits its feature with the change in the node mean it causes. It costs one walk
    /// per tree; with exact TreeSHAP through XGBoost instead (its default contributions) the server's default
    /// reply ran at 638 requests/s, against 1,229 with these (docs/models.md).
    public func contributions(of row: UnsafeBufferPointer<Float>) -> [Float] {
        precondition(row.count == featureCount, "a row has \(featureCount) values")
        var out = [Float](repeating: 0, count: featureCount + 1)
        var tree = [Float](repeating: 0, count: featureCount + 1)
        var touched: [Int] = []
        nodes.withUnsafeBufferPointer { n in
            for (t, root) in roots.enumerated() {
                var i = Int(root)
                var value = means[i]
                tree[featureCount] += value
                touched.append(featureCount)
                for _ in 0..<depths[t] {
                    let node = n[i]
                    if node.left == Int32(i) { break }  // a leaf
                    let f = Int(node.feature & 0x7FFF_FFFF)
                    let v = row[f]
                    let goesLeft = v.isNaN ? node.feature & 0x8000_0000 != 0 : v < node.value
                    i = Int(goesLeft ? node.left : node.right)
                    let next = means[i]
                    tree[f] += next - value
                    touched.append(f)
                    value = next
                }
                for f in touched {  // a repeated feature adds 0 the second time
                    out[f] += tree[f]
                    tree[f] = 0
                }
                touched.removeAll(keepingCapacity: true)
            }
        }
        out[featureCount] += baseMargin
        return out
    }

    public func contributions(of row: [Float]) -> [Float] { row.withUnsafeBufferPointer { contributions(of: $0) } }

    /// The margin (log-odds) of one row of ``featureCount`` values; NaN is missing.
    ///
    /// Four trees are walked side by side (their loads overlap in memory) for as many steps as the deepest of
    /// them needs; a walk that reached a leaf stays there. Their leaves are then added in tree order.
    public func margin(of row: UnsafeBufferPointer<Float>) -> Float {
        precondition(row.count == featureCount, "a row has \(featureCount) values")
        var sum = baseMargin
        nodes.withUnsafeBufferPointer { n in
            @inline(__always) func step(_ i: Int) -> Int {
                let node = n[i]
                let v = row[Int(node.feature & 0x7FFF_FFFF)]
                let goesLeft = v.isNaN ? node.feature & 0x8000_0000 != 0 : v < node.value
                return Int(goesLeft ? node.left : node.right)
            }
            var t = 0
            while t + 4 <= roots.count {
                var a = Int(roots[t]), b = Int(roots[t + 1]), c = Int(roots[t + 2]), d = Int(roots[t + 3])
                let steps = max(max(depths[t], depths[t + 1]), max(depths[t + 2], depths[t + 3]))
                for _ in 0..<steps {
                    a = step(a)
                    b = step(b)
                    c = step(c)
                    d = step(d)
                }
                sum += n[a].value
                sum += n[b].value
                sum += n[c].value
                sum += n[d].value
                t += 4
            }
            while t < roots.count {
                var a = Int(roots[t])
                for _ in 0..<depths[t] { a = step(a) }
                sum += n[a].value
                t += 1
            }
        }
        return sum
    }

    public func margin(of row: [Float]) -> Float { row.withUnsafeBufferPointer { margin(of: $0) } }
}

/// Why a tree model could not be read for native evaluation.
public enum TreeEnsembleError: Error, Sendable, Equatable, CustomStringConvertible {
    case malformed(String)
    case unsupported(String)

    public var description: String {
        switch self {
        case .malformed(let why): return "tree model malformed: \(why)"
        case .unsupported(let why): return "tree model not supported by the native evaluator: \(why)"
        }
    }
}
