import SoftQBase
import SoftQCheckpoint
import SoftQKernels

/// GPT-2: learned positions, pre-LayerNorm blocks, GELU MLP, fused QKV through Conv1D
/// weights stored [in, out], tied embeddings. Weight names are exactly Hugging Face's
/// state-dict names (`transformer.h.{i}.attn.c_attn.weight`, …).
public struct GPT2Configuration: Sendable, Equatable {
    public enum Activation: String, Sendable { case geluTanh, geluErf }
    public var base: ModelConfiguration
    public var activation: Activation
    public var layerNormEpsilon: Float
    /// `layer_norm_epsilon` as the configuration states it (training's float64 checks use it).
    public var layerNormEpsilonValue: Double
    public var scaleAttentionWeights: Bool
    public var scaleByInverseLayerIndex: Bool

    public init(json: JSONValue) throws {
        let r = try ConfigReader(modelType: "gpt2", json: json)
        let d = try r.positiveInt("n_embd", default: 768)
        let heads = try r.positiveInt("n_head", default: 12)
        guard d % heads == 0 else { throw r.fail("n_head", "\(heads) does not divide n_embd (\(d))") }
        let act = try r.string("activation_function", default: "gelu_new")
        switch act {
        case "gelu_new", "gelu_pytorch_tanh", "gelu_fast": activation = .geluTanh
        case "gelu": activation = .geluErf
        default: throw r.fail("activation_function", "'\(act)' is not supported (gelu_new, gelu_pytorch_tanh, gelu)")
        }
        layerNormEpsilonValue = try r.positiveDouble("layer_norm_epsilon", default: 1e-5)
        layerNormEpsilon = Float(layerNormEpsilonValue)
        scaleAttentionWeights = try r.bool("scale_attn_weights", default: true)
        scaleByInverseLayerIndex = try r.bool("scale_attn_by_inverse_layer_idx", default: false)
        base = ModelConfiguration(
            modelType: "gpt2",
            vocabularySize: try r.positiveInt("vocab_size", default: 50257),
            hiddenSize: d, layerCount: try r.layerCount("n_layer", default: 12),
            headCount: heads, kvHeadCount: heads, headDim: d / heads,
            intermediateSize: try r.positiveInt("n_inner", default: 4 * d),
            contextLength: try r.positiveInt("n_positions", default: try r.positiveInt("n_ctx", default: 1024)),
            tieWordEmbeddings: try r.bool("tie_word_embeddings", default: true),
            bosTokenId: try r.optionalInt("bos_token_id"), eosTokenIds: try r.tokenIds("eos_token_id"),
            slidingWindow: nil)
    }
}

final class GPT2Body: DecoderBody, Sendable {
    struct Layer {
        var ln1w, ln1b, qkvB, projB, ln2w, ln2b, fcB, fcProjB: Tensor
        var qkvW, projW, fcW, fcProjW: WeightMatrix
    }
    let config: GPT2Configuration
    let wte: WeightMatrix
    let wpe, lnfW, lnfB: Tensor
    let layers: [Layer]
    let output: WeightMatrix
    var configuration: ModelConfiguration { config.base }

    /// GPT-2's sanitize step: names from a bare `GPT2Model` get the `transformer.` prefix;
    /// the causal-mask buffers `attn.bias` / `attn.masked_bias` of older checkpoints are
    /// dropped. Conv1D weights keep their stored [in, out] orientation (the kernel reads it).
    static func sanitize(_ name: String) -> String? {
        let n = prefixed(name, "transformer.", roots: ["h.", "wte.", "wpe.", "ln_f."])
        if n.hasSuffix(".attn.bias") || n.hasSuffix(".attn.masked_bias") { return nil }
        return n
    }

    static func expectedTensors(_ c: GPT2Configuration) -> [(String, [Int])] {
        let d = c.base.hiddenSize, i = c.base.intermediateSize
        var e: [(String, [Int])] = [("transformer.wte.weight", [c.base.vocabularySize, d]),
                                   ("transformer.wpe.weight", [c.base.contextLength, d])]
        for l in 0..<c.base.layerCount {
            let p = "transformer.h.\(l)."
            e += [(p + "ln_1.weight", [d]), (p + "ln_1.bias", [d]),
                  (p + "attn.c_attn.weight", [d, 3 * d]), (p + "attn.c_attn.bias", [3 * d]),
                  (p + "attn.c_proj.weight", [d, d]), (p + "attn.c_proj.bias", [d]),
                  (p + "ln_2.weight", [d]), (p + "ln_2.bias", [d]),
                  (p + "mlp.c_fc.weight", [d, i]), (p + "mlp.c_fc.bias", [i]),
                  (p + "mlp.c_proj.weight", [i, d]), (p + "mlp.c_proj.bias", [d])]
        }
        e += [("transformer.ln_f.weight", [d]), ("transformer.ln_f.bias", [d])]
        if !c.base.tieWordEmbeddings { e.append(("lm_head.weight", [c.base.vocabularySize, d])) }
        return e
    }

    init(config: GPT2Configuration, weights: WeightSource) throws {
        self.config = config
        let binder = try WeightBinder(source: weights, modelType: "gpt2", layers: config.base.layerCount,
                                      tensorsPerLayer: 12, sanitize: GPT2Body.sanitize)
        let head = ("lm_head.weight", [config.base.vocabularySize, config.base.hiddenSize])
        try binder.check(expected: GPT2Body.expectedTensors(config),
                         optional: config.base.tieWordEmbeddings ? [head] : [])
        wte = try binder.loadMatrix("transformer.wte.weight")
        wpe = try binder.load("transformer.wpe.weight")
        lnfW = try binder.load("transformer.ln_f.weight")
        lnfB = try binder.load("transformer.ln_f.bias")
        layers = try (0..<config.base.layerCount).map { l in
            let p = "transformer.h.\(l)."
            return Layer(ln1w: try binder.load(p + "ln_1.weight"), ln1b: try binder.load(p + "ln_1.bias"),
                         qkvB: try binder.load(p + "attn.c_attn.bias"), projB: try binder.load(p + "attn.c_proj.bias"),
                         ln2w: try binder.load(p + "ln_2.weight"), ln2b: try binder.load(p + "ln_2.bias"),
                         fcB: try binder.load(p + "mlp.c_fc.bias"), fcProjB: try binder.load(p + "mlp.c_proj.bias"),
                         qkvW: try binder.loadMatrix(p + "attn.c_attn.weight"), projW: try binder.loadMatrix(p + "attn.c_proj.weight"),
                         fcW: try binder.loadMatrix(p + "mlp.c_fc.weight"), fcProjW: try binder.loadMatrix(p + "mlp.c_proj.weight"))
        }
        output = config.base.tieWordEmbeddings
            ? try binder.tiedOutput(embedding: wte, embeddingName: "transformer.wte.weight")
            : try binder.loadMatrix("lm_head.weight")
    }

    var parameterCount: Int {
        var n = wte.count + wpe.count + lnfW.count + lnfB.count
        for l in layers {
            n += [l.ln1w, l.ln1b, l.qkvB, l.projB, l.ln2w, l.ln2b, l.fcB, l.fcProjB].reduce(0) { $0 + $1.count }
            n += [l.qkvW, l.projW, l.fcW, l.fcProjW].reduce(0) { $0 + $1.count }
        }
        return n + (config.base.tieWordEmbeddings ? 0 : output.count)
    }

    var matmulParameterCount: Int {
        layers.reduce(0) { $0 + $1.qkvW.count + $1.projW.count + $1.fcW.count + $1.fcProjW.count } + output.count
    }

    func forward(_ batch: [SequenceInput], stacking: StackingRule?, parallel: Parallel, capture: ((String, [Float]) -> Void)?) -> [Float] {
        let c = config.base
        // Rows of all sequences stacked: sequence b owns rows offsets[b] ..< offsets[b] + batch[b].tokens.count,
        // then zero rows up to offsets[b + 1]; T counts them all.
        let offsets = batch.rowOffsets(multiple: stacking?.rowMultiple ?? 1), T = offsets.last ?? 0
        let D = c.hiddenSize, I = c.intermediateSize
        var x = [Float](repeating: 0, count: T * D)
        var h = [Float](repeating: 0, count: T * D)
        var qkv = [Float](repeating: 0, count: T * 3 * D)
        var attn = [Float](repeating: 0, count: T * D)
        var mlp = [Float](repeating: 0, count: T * I)
        var scores = [Float](repeating: 0, count: min(parallel.threads, c.headCount) * batch.largestAttentionScratch)
        // x_t = wte[token_t] + wpe[position of t in its sequence]
        x.withUnsafeMutableBufferPointer { xp in
            for (b, seq) in batch.enumerated() {
                for (t, token) in seq.tokens.enumerated() {
                    let row = xp.baseAddress! + (offsets[b] + t) * D, pos = seq.cache.length + t
                    wte.widen(from: token * D, count: D, into: row)
                    for i in 0..<D { row[i] = row[i] + wpe.data[pos * D + i] }
                }
            }
        }
        capture?("embed", x)
        for (l, w) in layers.enumerated() {
            layerNorm(&h, x, w.ln1w.data, w.ln1b.data, rows: T, dim: D, eps: config.layerNormEpsilon)
            conv1DParallel(&qkv, h, w.qkvW.elements, w.qkvB.data, rows: T, inDim: D, outDim: 3 * D, parallel: parallel, stacking: stacking)
            var scale: Float = config.scaleAttentionWeights ? 1 / Float(c.headDim).squareRoot() : 1
            if config.scaleByInverseLayerIndex { scale /= Float(l + 1) }
            // Attention stays per sequence: each reads its own cache.
            for (b, seq) in batch.enumerated() {
                let r0 = offsets[b], rows = seq.tokens.count, cache = seq.cache
                // The fused projection holds [q | k | v] per row; k and v rows join the cache.
                for t in r0..<(r0 + rows) {
                    cache.keys[l].append(contentsOf: qkv[(t * 3 * D + D)..<(t * 3 * D + 2 * D)])
                    cache.values[l].append(contentsOf: qkv[(t * 3 * D + 2 * D)..<(t * 3 * D + 3 * D)])
                }
                cache.keys[l].withUnsafeBufferPointer { k in
                    cache.values[l].withUnsafeBufferPointer { v in
                        attn.withUnsafeMutableBufferPointer { ap in
                            qkv.withUnsafeBufferPointer { qp in
                                causalAttentionParallel(ap.baseAddress! + r0 * D, qp.baseAddress! + r0 * 3 * D, k.baseAddress!,
                                                        v.baseAddress!, scratch: &scores,
                                                        rows: rows, start: cache.length, heads: c.headCount, kvHeads: c.headCount,
                                                        headDim: c.headDim, qStride: 3 * D, kvStride: D, outStride: D,
                                                        scale: scale, parallel: parallel)
                            }
                        }
                    }
                }
            }
            conv1DParallel(&h, attn, w.projW.elements, w.projB.data, rows: T, inDim: D, outDim: D, parallel: parallel, stacking: stacking)
            addInPlace(&x, h, count: T * D)
            layerNorm(&h, x, w.ln2w.data, w.ln2b.data, rows: T, dim: D, eps: config.layerNormEpsilon)
            conv1DParallel(&mlp, h, w.fcW.elements, w.fcB.data, rows: T, inDim: D, outDim: I, parallel: parallel, stacking: stacking)
            switch config.activation {
            case .geluTanh: inPlace(&mlp) { geluTanh($0, $0, count: T * I) }
            case .geluErf: inPlace(&mlp) { geluErf($0, $0, count: T * I) }
            }
            conv1DParallel(&h, mlp, w.fcProjW.elements, w.fcProjB.data, rows: T, inDim: I, outDim: D, parallel: parallel, stacking: stacking)
            addInPlace(&x, h, count: T * D)
            capture?("layer.\(l)", x)
        }
        for seq in batch { seq.cache.length += seq.tokens.count }
        inPlace(&x) { layerNorm($0, $0, lnfW.data, lnfB.data, rows: T, dim: D, eps: config.layerNormEpsilon) }
        capture?("final", x)
        return x
    }
}
