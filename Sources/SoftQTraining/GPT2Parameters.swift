import Foundation
import SoftQBase
import SoftQCheckpoint

/// Where each GPT-2 tensor lives inside one flat parameter buffer, named as in the Hugging Face
/// state dict and stored in the same orientation (Conv1D weights are [in, out]). One flat buffer
/// lets the optimiser, gradient clipping and checkpoints treat all parameters alike.
public struct GPT2ParameterLayout: Sendable, Equatable {
    public struct Entry: Sendable, Equatable {
        public var name: String
        public var shape: [Int]
        public var offset: Int
        public var count: Int
        /// AdamW decays matrices and embeddings, not biases or LayerNorm gains (GPT-2/nanoGPT practice).
        public var decays: Bool
    }

    /// Offsets of one transformer block's tensors.
    public struct Block: Sendable, Equatable {
        public var ln1w = 0, ln1b = 0, qkvw = 0, qkvb = 0, attprojw = 0, attprojb = 0
        public var ln2w = 0, ln2b = 0, fcw = 0, fcb = 0, fcprojw = 0, fcprojb = 0
    }

    public let entries: [Entry]
    public let count: Int
    public let wte: Int, wpe: Int, lnfw: Int, lnfb: Int
    public let blocks: [Block]

    public init(config: GPT2TrainingConfig) {
        let C = config.nEmbd, H = config.nInner
        var entries: [Entry] = []
        var offset = 0
        @discardableResult
        func add(_ name: String, _ shape: [Int], decays: Bool) -> Int {
            let n = shape.reduce(1, *)
            entries.append(Entry(name: name, shape: shape, offset: offset, count: n, decays: decays))
            offset += n
            return offset - n
        }
        wte = add("transformer.wte.weight", [config.vocabSize, C], decays: true)
        wpe = add("transformer.wpe.weight", [config.nPositions, C], decays: true)
        var blocks: [Block] = []
        for l in 0..<config.nLayer {
            let p = "transformer.h.\(l)."
            var b = Block()
            b.ln1w = add(p + "ln_1.weight", [C], decays: false)
            b.ln1b = add(p + "ln_1.bias", [C], decays: false)
            b.qkvw = add(p + "attn.c_attn.weight", [C, 3 * C], decays: true)
            b.qkvb = add(p + "attn.c_attn.bias", [3 * C], decays: false)
            b.attprojw = add(p + "attn.c_proj.weight", [C, C], decays: true)
            b.attprojb = add(p + "attn.c_proj.bias", [C], decays: false)
            b.ln2w = add(p + "ln_2.weight", [C], decays: false)
            b.ln2b = add(p + "ln_2.bias", [C], decays: false)
            b.fcw = add(p + "mlp.c_fc.weight", [C, H], decays: true)
            b.fcb = add(p + "mlp.c_fc.bias", [H], decays: false)
            b.fcprojw = add(p + "mlp.c_proj.weight", [H, C], decays: true)
            b.fcprojb = add(p + "mlp.c_proj.bias", [C], decays: false)
            blocks.append(b)
        }
        self.blocks = blocks
        lnfw = add("transformer.ln_f.weight", [C], decays: false)
        lnfb = add("transformer.ln_f.bias", [C], decays: false)
        self.entries = entries
        self.count = offset
    }

    public func entry(named name: String) -> Entry? { entries.first { $0.name == name } }
}

/// Parameter initialisation as GPT-2: N(0, 0.02) for embeddings and matrices, N(0, 0.02/√(2·n_layer))
/// for the residual projections (attn.c_proj, mlp.c_proj), biases 0, LayerNorm gains 1.
/// Draws in layout order from one generator seeded with `seed`, so a seed fixes every weight.
public func initializeGPT2Parameters<T: TrainingScalar>(_ params: ScalarBuffer<T>, layout: GPT2ParameterLayout,
                                                         nLayer: Int, seed: UInt64) {
    precondition(params.count == layout.count, "parameter buffer does not match the layout")
    var rng = SeededGenerator(seed: seed)
    let residualStd = 0.02 / (2.0 * Double(nLayer)).squareRoot()
    for e in layout.entries {
        let p = params.pointer + e.offset
        if e.name.hasSuffix(".bias") {
            p.update(repeating: 0, count: e.count)
        } else if e.name.contains(".ln_") {
            p.update(repeating: 1, count: e.count)
        } else {
            let std = e.name.hasSuffix("c_proj.weight") ? residualStd : 0.02
            for i in 0..<e.count { p[i] = T(std * rng.nextGaussian()) }
        }
    }
}

extension GPT2ParameterLayout {
    /// Copies named tensors into a flat buffer, strictly: every tensor must be present with its
    /// shape; `lm_head.weight` is accepted and ignored (tied to wte); anything else is an error.
    /// Names from a bare `GPT2Model` (`h.0…`, `wte.weight`) get the `transformer.` prefix; the
    /// causal-mask buffers `attn.bias`/`attn.masked_bias` of older checkpoints are ignored.
    public func load<T: TrainingScalar>(from source: WeightSource, into params: ScalarBuffer<T>) throws {
        var infos: [String: TensorInfo] = [:], sourceName: [String: String] = [:]
        for (name, info) in source.tensorInfos {
            if name.hasSuffix(".attn.bias") || name.hasSuffix(".attn.masked_bias") { continue }
            let bare = ["h.", "wte.", "wpe.", "ln_f."].contains { name.hasPrefix($0) }
            let canonical = bare ? "transformer." + name : name
            infos[canonical] = info
            sourceName[canonical] = name
        }
        let missing = entries.map(\.name).filter { infos[$0] == nil }
        if !missing.isEmpty { throw TrainingError.missingWeight(names: missing, source: source.sourceDescription) }
        for e in entries where infos[e.name]!.shape != e.shape {
            throw TrainingError.weightShape(name: e.name, expected: e.shape, actual: infos[e.name]!.shape,
                                            source: source.sourceDescription)
        }
        let known = Set(entries.map(\.name)).union(["lm_head.weight"])
        let unused = infos.keys.filter { !known.contains($0) }.map { sourceName[$0]! }.sorted()
        if !unused.isEmpty { throw TrainingError.unusedWeights(names: unused, source: source.sourceDescription) }
        if let headName = sourceName["lm_head.weight"], infos["lm_head.weight"]!.shape == entries[0].shape {
            // A stored output matrix must be the tied one; a different one would be silently dropped.
            let head = try source.loadTensor(headName), wte = try source.loadTensor(sourceName[entries[0].name]!)
            if !(0..<head.count).allSatisfy({ head.data[$0] == wte.data[$0] }) {
                throw TrainingError.config(key: "lm_head.weight", message: "differs from transformer.wte.weight; GPT-2 training needs tied embeddings", source: source.sourceDescription)
            }
        } else if sourceName["lm_head.weight"] != nil {
            throw TrainingError.weightShape(name: "lm_head.weight", expected: entries[0].shape, actual: infos["lm_head.weight"]!.shape, source: source.sourceDescription)
        }
        for e in entries {
            let t = try source.loadTensor(sourceName[e.name]!)
            let dst = params.pointer + e.offset
            for i in 0..<e.count { dst[i] = T(t.data[i]) }
        }
    }

    /// The parameters as float32 tensors by HF name, in layout order (for checkpoints).
    public func tensors<T: TrainingScalar>(from params: ScalarBuffer<T>) -> [(String, Tensor)] {
        entries.map { e in
            let src = params.pointer + e.offset
            let t = Tensor(shape: e.shape) { dst in for i in 0..<e.count { dst[i] = Float(src[i]) } }
            return (e.name, t)
        }
    }
}
