import Foundation
import SoftQBase
import SoftQCheckpoint
import SoftQKernels

/// The LLaMA family (`llama`, `mistral`, `qwen2`; SmolLM2 is `llama`): RMSNorm, rotary
/// embeddings (default, `linear` and `llama3` scaling), SwiGLU MLP, grouped-query attention,
/// optional projection biases, tied or untied output embeddings.
public struct LlamaConfiguration: Sendable, Equatable {
    public enum RopeScaling: Sendable, Equatable {
        case none
        case linear(factor: Double)
        case llama3(factor: Double, lowFreqFactor: Double, highFreqFactor: Double, originalContextLength: Int)
    }
    public var base: ModelConfiguration
    public var rmsNormEpsilon: Float
    public var ropeTheta: Double
    public var ropeScaling: RopeScaling
    /// Bias on the q/k/v projections (Qwen2, or `attention_bias`), on o_proj (`attention_bias`
    /// only), on the MLP projections (`mlp_bias`).
    public var qkvBias: Bool
    public var outputProjectionBias: Bool
    public var mlpBias: Bool
    /// Rotary inverse frequencies after scaling, [headDim/2], in Double.
    public var inverseFrequencies: [Double]

    public static let modelTypes = ["llama", "mistral", "qwen2"]

    public init(modelType: String, json: JSONValue) throws {
        let r = try ConfigReader(modelType: modelType, json: json)
        let d = try r.positiveInt("hidden_size")
        let heads = try r.positiveInt("num_attention_heads")
        let kvHeads = try r.positiveInt("num_key_value_heads", default: heads)
        guard heads % kvHeads == 0 else {
            throw r.fail("num_key_value_heads", "\(kvHeads) does not divide num_attention_heads (\(heads))")
        }
        let headDim: Int
        if let hd = try r.optionalInt("head_dim") {
            guard hd > 0 else { throw r.fail("head_dim", "expected a positive integer, got \(hd)") }
            headDim = hd
        } else {
            guard d % heads == 0 else { throw r.fail("num_attention_heads", "\(heads) does not divide hidden_size (\(d)) and head_dim is not given") }
            headDim = d / heads
        }
        guard headDim % 2 == 0 else { throw r.fail("head_dim", "rotary embeddings need an even head dimension, got \(headDim)") }
        let act = try r.string("hidden_act", default: "silu")
        guard act == "silu" || act == "swish" else { throw r.fail("hidden_act", "'\(act)' is not supported (silu)") }
        let context = try r.positiveInt("max_position_embeddings", default: 2048)

        var window: Int? = nil
        switch modelType {
        case "mistral": window = try r.optionalInt("sliding_window")
        case "qwen2":
            let layerTypes = r.value("layer_types")?.arrayValue?.compactMap(\.stringValue) ?? []
            if try r.bool("use_sliding_window", default: false) || layerTypes.contains("sliding_attention") {
                window = try r.optionalInt("sliding_window")
            }
        default: break
        }
        if let w = window, w <= 0 { throw r.fail("sliding_window", "expected a positive integer, got \(w)") }

        rmsNormEpsilon = Float(try r.positiveDouble("rms_norm_eps", default: 1e-6))
        let attentionBias = try r.bool("attention_bias", default: false)
        qkvBias = modelType == "qwen2" || attentionBias
        outputProjectionBias = modelType != "qwen2" && attentionBias
        mlpBias = try r.bool("mlp_bias", default: false)
        (ropeTheta, ropeScaling) = try LlamaConfiguration.decodeRope(r, contextLength: context)
        inverseFrequencies = LlamaConfiguration.inverseFrequencies(theta: ropeTheta, headDim: headDim, scaling: ropeScaling)
        base = ModelConfiguration(
            modelType: modelType, vocabularySize: try r.positiveInt("vocab_size"), hiddenSize: d,
            layerCount: try r.positiveInt("num_hidden_layers"), headCount: heads, kvHeadCount: kvHeads,
            headDim: headDim, intermediateSize: try r.positiveInt("intermediate_size"), contextLength: context,
            tieWordEmbeddings: try r.bool("tie_word_embeddings", default: false),
            bosTokenId: try r.optionalInt("bos_token_id"), eosTokenIds: try r.tokenIds("eos_token_id"),
            slidingWindow: window)
    }

    /// transformers 5.x writes `rope_parameters` {rope_type, rope_theta, …}; 4.x writes a
    /// top-level `rope_theta` and `rope_scaling` {type or rope_type, factor, …}. Both decode.
    static func decodeRope(_ r: ConfigReader, contextLength: Int) throws -> (Double, RopeScaling) {
        let key = r.value("rope_parameters") != nil ? "rope_parameters" : "rope_scaling"
        let params = r.value(key)
        if let p = params, p.objectValue == nil { throw r.fail(key, "expected an object, got \(p.typeName)") }
        func sub(_ k: String) -> String { "\(key).\(k)" }
        var theta = try r.optionalDouble("rope_theta") ?? 10000
        if let p = params, let t = try r.optionalDouble("rope_theta", in: p) { theta = t }
        guard theta > 0, theta.isFinite else { throw r.fail("rope_theta", "expected a positive number, got \(theta)") }
        guard let p = params else { return (theta, .none) }
        if let prf = try r.optionalDouble("partial_rotary_factor", in: p) ?? r.optionalDouble("partial_rotary_factor"), prf != 1 {
            throw r.fail(sub("partial_rotary_factor"), "partial rotary embeddings are not supported (got \(prf))")
        }
        let type = p["rope_type"]?.stringValue ?? p["type"]?.stringValue ?? "default"
        func positive(_ k: String) throws -> Double {
            guard let v = try r.optionalDouble(k, in: p) else { throw r.fail(sub(k), "required for rope type '\(type)'") }
            guard v > 0, v.isFinite else { throw r.fail(sub(k), "expected a positive number, got \(v)") }
            return v
        }
        switch type {
        case "default": return (theta, .none)
        case "linear": return (theta, .linear(factor: try positive("factor")))
        case "llama3":
            let low = try positive("low_freq_factor"), high = try positive("high_freq_factor")
            guard high > low else { throw r.fail(sub("high_freq_factor"), "must exceed low_freq_factor (\(low)), got \(high)") }
            let original = try r.optionalInt("original_max_position_embeddings", in: p) ?? contextLength
            guard original > 0 else { throw r.fail(sub("original_max_position_embeddings"), "expected a positive integer, got \(original)") }
            return (theta, .llama3(factor: try positive("factor"), lowFreqFactor: low, highFreqFactor: high,
                                   originalContextLength: original))
        default:
            throw r.fail(sub("rope_type"), "rope type '\(type)' is not supported (default, linear, llama3)")
        }
    }

    /// inv_freq_j = θ^(−2j/d), then scaled. llama3 (Llama 3.1): wavelengths 2π/inv_freq longer
    /// than original/low_freq_factor are divided by `factor`, shorter than original/high_freq_factor
    /// kept, and those between interpolated with s = (original/wavelen − low)/(high − low):
    /// (1 − s)·inv/factor + s·inv (the formula of transformers' `_compute_llama3_parameters`).
    static func inverseFrequencies(theta: Double, headDim: Int, scaling: RopeScaling) -> [Double] {
        let base = (0..<(headDim / 2)).map { 1.0 / pow(theta, Double(2 * $0) / Double(headDim)) }
        switch scaling {
        case .none: return base
        case .linear(let factor): return base.map { $0 / factor }
        case let .llama3(factor, low, high, original):
            let lowWavelen = Double(original) / low, highWavelen = Double(original) / high
            return base.map { inv in
                let wavelen = 2 * Double.pi / inv
                if wavelen < highWavelen { return inv }
                if wavelen > lowWavelen { return inv / factor }
                let s = (Double(original) / wavelen - low) / (high - low)
                return (1 - s) * inv / factor + s * inv
            }
        }
    }
}

final class LlamaBody: DecoderBody, @unchecked Sendable {
    struct Layer {
        var inputNorm, q, k, v, o, postNorm, gate, up, down: Tensor
        var qb, kb, vb, ob, gateB, upB, downB: Tensor?
    }
    let config: LlamaConfiguration
    let embed, norm: Tensor
    let layers: [Layer]
    let output: Tensor
    var configuration: ModelConfiguration { config.base }

    /// The family's sanitize step: a bare base model's names get the `model.` prefix; rotary
    /// `inv_freq` buffers (recomputed from the configuration) are dropped.
    static func sanitize(_ name: String) -> String? {
        if name.hasSuffix("rotary_emb.inv_freq") { return nil }
        return prefixed(name, "model.", roots: ["layers.", "embed_tokens.", "norm."])
    }

    static func expectedTensors(_ c: LlamaConfiguration) -> [(String, [Int])] {
        let b = c.base, d = b.hiddenSize, i = b.intermediateSize
        let qd = b.headCount * b.headDim, kvd = b.kvHeadCount * b.headDim
        var e: [(String, [Int])] = [("model.embed_tokens.weight", [b.vocabularySize, d])]
        for l in 0..<b.layerCount {
            let p = "model.layers.\(l)."
            e += [(p + "input_layernorm.weight", [d]),
                  (p + "self_attn.q_proj.weight", [qd, d]), (p + "self_attn.k_proj.weight", [kvd, d]),
                  (p + "self_attn.v_proj.weight", [kvd, d]), (p + "self_attn.o_proj.weight", [d, qd]),
                  (p + "post_attention_layernorm.weight", [d]),
                  (p + "mlp.gate_proj.weight", [i, d]), (p + "mlp.up_proj.weight", [i, d]),
                  (p + "mlp.down_proj.weight", [d, i])]
            if c.qkvBias {
                e += [(p + "self_attn.q_proj.bias", [qd]), (p + "self_attn.k_proj.bias", [kvd]),
                      (p + "self_attn.v_proj.bias", [kvd])]
            }
            if c.outputProjectionBias { e.append((p + "self_attn.o_proj.bias", [d])) }
            if c.mlpBias {
                e += [(p + "mlp.gate_proj.bias", [i]), (p + "mlp.up_proj.bias", [i]), (p + "mlp.down_proj.bias", [d])]
            }
        }
        e.append(("model.norm.weight", [d]))
        if !b.tieWordEmbeddings { e.append(("lm_head.weight", [b.vocabularySize, d])) }
        return e
    }

    init(config: LlamaConfiguration, weights: WeightSource) throws {
        self.config = config
        let b = config.base
        let binder = try WeightBinder(source: weights, modelType: b.modelType, layers: b.layerCount,
                                      tensorsPerLayer: 9, sanitize: LlamaBody.sanitize)
        try binder.check(expected: LlamaBody.expectedTensors(config),
                         optional: b.tieWordEmbeddings ? [("lm_head.weight", [b.vocabularySize, b.hiddenSize])] : [])
        embed = try binder.load("model.embed_tokens.weight")
        norm = try binder.load("model.norm.weight")
        layers = try (0..<b.layerCount).map { l in
            let p = "model.layers.\(l)."
            func opt(_ n: String, _ present: Bool) throws -> Tensor? { present ? try binder.load(p + n) : nil }
            return Layer(
                inputNorm: try binder.load(p + "input_layernorm.weight"),
                q: try binder.load(p + "self_attn.q_proj.weight"), k: try binder.load(p + "self_attn.k_proj.weight"),
                v: try binder.load(p + "self_attn.v_proj.weight"), o: try binder.load(p + "self_attn.o_proj.weight"),
                postNorm: try binder.load(p + "post_attention_layernorm.weight"),
                gate: try binder.load(p + "mlp.gate_proj.weight"), up: try binder.load(p + "mlp.up_proj.weight"),
                down: try binder.load(p + "mlp.down_proj.weight"),
                qb: try opt("self_attn.q_proj.bias", config.qkvBias), kb: try opt("self_attn.k_proj.bias", config.qkvBias),
                vb: try opt("self_attn.v_proj.bias", config.qkvBias), ob: try opt("self_attn.o_proj.bias", config.outputProjectionBias),
                gateB: try opt("mlp.gate_proj.bias", config.mlpBias), upB: try opt("mlp.up_proj.bias", config.mlpBias),
                downB: try opt("mlp.down_proj.bias", config.mlpBias))
        }
        output = b.tieWordEmbeddings
            ? try binder.tiedOutput(embedding: embed, embeddingName: "model.embed_tokens.weight")
            : try binder.load("lm_head.weight")
    }

    var parameterCount: Int {
        var n = embed.count + norm.count + (config.base.tieWordEmbeddings ? 0 : output.count)
        for l in layers {
            n += [l.inputNorm, l.q, l.k, l.v, l.o, l.postNorm, l.gate, l.up, l.down].reduce(0) { $0 + $1.count }
            n += [l.qb, l.kb, l.vb, l.ob, l.gateB, l.upB, l.downB].reduce(0) { $0 + ($1?.count ?? 0) }
        }
        return n
    }

    var matmulParameterCount: Int {
        layers.reduce(0) { $0 + $1.q.count + $1.k.count + $1.v.count + $1.o.count + $1.gate.count + $1.up.count + $1.down.count }
            + output.count
    }

    func forward(_ tokens: [Int], cache: KVCache, parallel: Parallel, capture: ((String, [Float]) -> Void)?) -> [Float] {
        let c = config.base
        let T = tokens.count, D = c.hiddenSize, I = c.intermediateSize, start = cache.length
        let qd = c.headCount * c.headDim, kvd = c.kvHeadCount * c.headDim, half = c.headDim / 2
        var x = [Float](repeating: 0, count: T * D)
        var h = [Float](repeating: 0, count: T * D)
        var q = [Float](repeating: 0, count: T * qd)
        var k = [Float](repeating: 0, count: T * kvd)
        var v = [Float](repeating: 0, count: T * kvd)
        var attn = [Float](repeating: 0, count: T * qd)
        var gate = [Float](repeating: 0, count: T * I)
        var up = [Float](repeating: 0, count: T * I)
        var scores = [Float](repeating: 0, count: min(parallel.threads, c.headCount) * T * (start + T))
        var cos = [Float](repeating: 0, count: T * half), sin = [Float](repeating: 0, count: T * half)
        config.inverseFrequencies.withUnsafeBufferPointer {
            rotaryTables(&cos, &sin, $0.baseAddress!, start: start, rows: T, half: half)
        }
        for t in 0..<T {
            for i in 0..<D { x[t * D + i] = embed.data[tokens[t] * D + i] }
        }
        capture?("embed", x)
        let scale = 1 / Float(c.headDim).squareRoot()
        for (l, w) in layers.enumerated() {
            rmsNorm(&h, x, w.inputNorm.data, rows: T, dim: D, eps: config.rmsNormEpsilon)
            linearParallel(&q, h, w.q.data, w.qb?.data, rows: T, inDim: D, outDim: qd, parallel: parallel)
            linearParallel(&k, h, w.k.data, w.kb?.data, rows: T, inDim: D, outDim: kvd, parallel: parallel)
            linearParallel(&v, h, w.v.data, w.vb?.data, rows: T, inDim: D, outDim: kvd, parallel: parallel)
            applyRotary(&q, cos, sin, rows: T, heads: c.headCount, headDim: c.headDim, ld: qd)
            applyRotary(&k, cos, sin, rows: T, heads: c.kvHeadCount, headDim: c.headDim, ld: kvd)
            cache.keys[l].append(contentsOf: k)
            cache.values[l].append(contentsOf: v)
            cache.keys[l].withUnsafeBufferPointer { kp in
                cache.values[l].withUnsafeBufferPointer { vp in
                    causalAttentionParallel(&attn, q, kp.baseAddress!, vp.baseAddress!, scratch: &scores,
                                    rows: T, start: start, heads: c.headCount, kvHeads: c.kvHeadCount,
                                    headDim: c.headDim, qStride: qd, kvStride: kvd, outStride: qd, scale: scale,
                                            parallel: parallel)
                }
            }
            linearParallel(&h, attn, w.o.data, w.ob?.data, rows: T, inDim: qd, outDim: D, parallel: parallel)
            addInPlace(&x, h, count: T * D)
            rmsNorm(&h, x, w.postNorm.data, rows: T, dim: D, eps: config.rmsNormEpsilon)
            linearParallel(&gate, h, w.gate.data, w.gateB?.data, rows: T, inDim: D, outDim: I, parallel: parallel)
            linearParallel(&up, h, w.up.data, w.upB?.data, rows: T, inDim: D, outDim: I, parallel: parallel)
            inPlace(&gate) { siluMul($0, $0, up, count: T * I) }
            linearParallel(&h, gate, w.down.data, w.downB?.data, rows: T, inDim: I, outDim: D, parallel: parallel)
            addInPlace(&x, h, count: T * D)
            capture?("layer.\(l)", x)
        }
        cache.length = start + T
        inPlace(&x) { rmsNorm($0, $0, norm.data, rows: T, dim: D, eps: config.rmsNormEpsilon) }
        capture?("final", x)
        return x
    }
}
