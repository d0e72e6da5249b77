import SoftQCheckpoint

/// Strict binding of a weight source to an architecture's list of tensors.
///
/// The architecture's `sanitize` maps every source name to its canonical name, or to nil for
/// tensors that are known leftovers (mask buffers, rotary `inv_freq`). Then every expected
/// tensor must be present with its exact shape and a float element type, and every remaining
/// source tensor must be used; all problems are reported in one `ModelError.binding`.
struct WeightBinder {
    let source: WeightSource
    let modelType: String
    /// canonical name → name in the source
    private var byCanonical: [String: String] = [:]
    private var dropped: Set<String> = []

    /// A configuration declaring more layers than the source has tensors is refused here,
    /// before the model lists (or allocates) anything sized by the configuration
    /// (`WeightSource.checkTensorBudget`).
    init(source: WeightSource, modelType: String, layers: Int, tensorsPerLayer: Int,
         sanitize: (String) -> String?) throws {
        try source.checkTensorBudget(modelType: modelType, layers: layers, tensorsPerLayer: tensorsPerLayer)
        self.source = source
        self.modelType = modelType
        for name in source.tensorInfos.keys.sorted() {
            if let canonical = sanitize(name) {
                // Two source names for one canonical name: keep the first, report the other unused.
                if byCanonical[canonical] == nil { byCanonical[canonical] = name }
            } else {
                dropped.insert(name)
            }
        }
    }

    func has(_ canonical: String) -> Bool { byCanonical[canonical] != nil }

    /// Checks `expected` (canonical name, shape) plus `optional` names that may be present
    /// (a tied model's duplicate `lm_head.weight`); throws one error listing everything wrong.
    func check(expected: [(String, [Int])], optional: [(String, [Int])] = []) throws {
        let infos = source.tensorInfos
        var missing: [String] = [], misshaped: [String] = []
        var used: Set<String> = dropped
        func verify(_ name: String, _ shape: [Int], required: Bool) {
            guard let sourceName = byCanonical[name], let info = infos[sourceName] else {
                if required { missing.append("\(name) \(shape)") }
                return
            }
            used.insert(sourceName)
            let label = sourceName == name ? name : "\(name) (stored as \(sourceName))"
            if info.shape != shape {
                misshaped.append("\(label): expected \(shape), found \(info.shape)")
            } else if ![.float32, .float16, .bfloat16].contains(info.dtype) {
                misshaped.append("\(label): expected float32, float16 or bfloat16, found \(info.dtype.rawValue)")
            }
        }
        for (name, shape) in expected { verify(name, shape, required: true) }
        for (name, shape) in optional { verify(name, shape, required: false) }
        let unused = infos.keys.filter { !used.contains($0) }.sorted().map { "\($0) \(infos[$0]!.shape)" }
        if !missing.isEmpty || !misshaped.isEmpty || !unused.isEmpty {
            throw ModelError.binding(source: source.sourceDescription, modelType: modelType,
                                     missing: missing.sorted(), misshaped: misshaped.sorted(), unused: unused)
        }
    }

    func load(_ canonical: String) throws -> Tensor {
        try source.loadTensor(byCanonical[canonical] ?? canonical)
    }

    /// A weight that enters matrix products, in its stored element type (`WeightSource.loadMatrix`).
    func loadMatrix(_ canonical: String) throws -> WeightMatrix {
        try source.loadMatrix(byCanonical[canonical] ?? canonical)
    }

    /// The output matrix of a tied model: the embedding, after checking that a duplicate
    /// `lm_head.weight`, if stored, holds the same values.
    func tiedOutput(embedding: WeightMatrix, embeddingName: String, headName: String = "lm_head.weight") throws -> WeightMatrix {
        guard has(headName) else { return embedding }
        if !(try loadMatrix(headName)).sameValues(as: embedding) {
            throw ModelError.tiedWeightsDiffer(source: source.sourceDescription, name: headName, tiedTo: embeddingName)
        }
        return embedding
    }
}

/// Adds `prefix` to names that a bare base model (without the LM head wrapper) writes.
func prefixed(_ name: String, _ prefix: String, roots: [String]) -> String {
    roots.contains { name.hasPrefix($0) } ? prefix + name : name
}

/// Runs an in-place kernel (output aliasing input) on an array without overlapping accesses.
@inline(__always)
func inPlace(_ a: inout [Float], _ body: (UnsafeMutablePointer<Float>) -> Void) {
    a.withUnsafeMutableBufferPointer { body($0.baseAddress!) }
}
