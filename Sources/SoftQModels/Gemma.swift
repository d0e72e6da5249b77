import SoftQBase
import SoftQCheckpoint

/// Gemma (`gemma`), Gemma 2 (`gemma2`) and Gemma 3's text model (`gemma3_text`): embeddings
/// scaled by √hidden (rounded to float32, the model dtype, as transformers casts it), RMSNorm
/// multiplying by 1 + w, GeGLU MLP (tanh GELU), `head_dim` independent of the hidden size,
/// tied embeddings by default.
/// - Gemma 2 and 3: scores scaled by `query_pre_attn_scalar`^−½; sandwich norms (input,
///   post-attention, pre- and post-feed-forward); local (`sliding_attention`) and global layers.
/// - Gemma 2: attention-logit and final-logit soft-capping, c·tanh(x/c).
/// - Gemma 3: per-head q/k RMSNorm before rope; separate rope bases for local layers
///   (`rope_local_base_freq`, or 5.x `rope_parameters.sliding_attention`) and global ones.
public struct GemmaConfiguration: Sendable, Equatable {
    public static let modelTypes = ["gemma", "gemma2", "gemma3_text"]
    public var base: ModelConfiguration
    public var rmsNormEpsilon: Float
    public var activation: GPT2Configuration.Activation
    public var qkvBias: Bool
    public var attentionScale: Float
    public var attentionSoftcap: Float?
    public var finalLogitSoftcap: Float?
    /// Per layer: its sliding window, or nil for a global layer.
    public var layerWindows: [Int?]
    /// Inverse frequencies of global layers and, for Gemma 3, of local layers.
    public var globalInverseFrequencies: [Double]
    public var localInverseFrequencies: [Double]

    var generation: Int { base.modelType == "gemma" ? 1 : base.modelType == "gemma2" ? 2 : 3 }

    public init(modelType: String, json: JSONValue) throws {
        let r = try ConfigReader(modelType: modelType, json: json)
        let generation = modelType == "gemma" ? 1 : modelType == "gemma2" ? 2 : 3
        if generation == 3, try r.bool("use_bidirectional_attention", default: false) {
            throw r.fail("use_bidirectional_attention", "bidirectional attention is not a causal language model; only false is supported")
        }
        let window: Int? = generation == 1 ? nil : try r.int("sliding_window", default: 4096)
        base = try r.decoderBase(tieDefault: true, contextDefault: 8192, headDimDefault: 256, slidingWindow: window)
        let layers = base.layerCount
        var sliding = [Bool](repeating: false, count: layers)
        if generation == 2 {
            sliding = try r.slidingLayers(count: layers) { $0 % 2 == 0 }
        } else if generation == 3 {
            let pattern = try r.positiveInt("sliding_window_pattern", default: 6)
            sliding = try r.slidingLayers(count: layers) { ($0 + 1) % pattern != 0 }
        }
        if !sliding.contains(true) { base.slidingWindow = nil }
        let effective = base.slidingWindow
        layerWindows = sliding.map { $0 ? effective : nil }
        rmsNormEpsilon = Float(try r.positiveDouble("rms_norm_eps", default: 1e-6))

        // Gemma 1's released configs say hidden_act "gelu" but mean the tanh form (transformers
        // rewrites it); later generations read hidden_activation and take "gelu" literally.
        let actKey = r.value("hidden_activation") != nil || generation > 1 ? "hidden_activation" : "hidden_act"
        let act = try r.string(actKey, default: "gelu_pytorch_tanh")
        switch act {
        case "gelu_pytorch_tanh", "gelu_new", "gelu_fast": activation = .geluTanh
        case "gelu": activation = generation == 1 ? .geluTanh : .geluErf
        default: throw r.fail(actKey, "'\(act)' is not supported (gelu_pytorch_tanh, gelu)")
        }
        qkvBias = try r.bool("attention_bias", default: false)
        let scalar = generation == 1 ? Double(base.headDim) : try r.positiveDouble("query_pre_attn_scalar", default: 256)
        attentionScale = Float(1 / scalar.squareRoot())
        if generation == 1 {
            (attentionSoftcap, finalLogitSoftcap) = (nil, nil)
        } else {
            let defaultCaps: (Double?, Double?) = generation == 2 ? (50, 30) : (nil, nil)
            // Absent: the generation's default; an explicit null: no capping.
            func cap(_ key: String, _ def: Double?) throws -> Float? {
                guard r.json[key] != nil else { return def.map { Float($0) } }
                guard r.value(key) != nil else { return nil }
                return Float(try r.positiveDouble(key))
            }
            attentionSoftcap = try cap("attn_logit_softcapping", defaultCaps.0)
            finalLogitSoftcap = try cap("final_logit_softcapping", defaultCaps.1)
        }

        let global = try r.rope(contextLength: base.contextLength, layerType: generation == 3 ? "full_attention" : nil,
                                defaultTheta: generation == 3 ? 1_000_000 : 10000)
        let local = generation == 3
            ? try r.rope(contextLength: base.contextLength, layerType: "sliding_attention",
                         thetaKeys: ["rope_local_base_freq"], defaultTheta: 10000, scaled: false)
            : global
        for rope in [global, local] where rope.partialRotaryFactor != 1 {
            throw r.fail(rope.partialKey, "partial rotary embeddings are not supported (got \(rope.partialRotaryFactor))")
        }
        globalInverseFrequencies = global.inverseFrequencies(rotaryDim: base.headDim)
        localInverseFrequencies = local.inverseFrequencies(rotaryDim: base.headDim)
    }
}

/// Builds the three Gemma generations on the shared rotary decoder (the LLaMA layout and
/// sanitize step: bare names get `model.`, rotary `inv_freq` buffers are dropped).
enum GemmaFamily {
    static func layerTensors(_ c: GemmaConfiguration, _ p: String) -> [(String, [Int])] {
        let b = c.base, d = b.hiddenSize, i = b.intermediateSize
        let qd = b.headCount * b.headDim, kvd = b.kvHeadCount * b.headDim
        var e: [(String, [Int])] = [(p + "input_layernorm.weight", [d]), (p + "post_attention_layernorm.weight", [d])]
        if c.generation > 1 {
            e += [(p + "pre_feedforward_layernorm.weight", [d]), (p + "post_feedforward_layernorm.weight", [d])]
        }
        if c.generation == 3 {
            e += [(p + "self_attn.q_norm.weight", [b.headDim]), (p + "self_attn.k_norm.weight", [b.headDim])]
        }
        e += linearShapes(p + "self_attn.q_proj", out: qd, in: d, bias: c.qkvBias)
        e += linearShapes(p + "self_attn.k_proj", out: kvd, in: d, bias: c.qkvBias)
        e += linearShapes(p + "self_attn.v_proj", out: kvd, in: d, bias: c.qkvBias)
        e += linearShapes(p + "self_attn.o_proj", out: d, in: qd, bias: c.qkvBias)
        return e + [(p + "mlp.gate_proj.weight", [i, d]), (p + "mlp.up_proj.weight", [i, d]), (p + "mlp.down_proj.weight", [d, i])]
    }

    static func makeBody(config c: GemmaConfiguration, weights: WeightSource) throws -> RotaryDecoderBody {
        let b = c.base
        let spec = RotaryDecoderSpec(
            normKind: .rms, normEpsilon: c.rmsNormEpsilon, activation: c.activation == .geluErf ? .geluErf : .geluTanh,
            gatedMLP: true, qkNorm: c.generation == 3 ? .perHead : .none, parallelResidual: false,
            embeddingScale: Float(Double(b.hiddenSize).squareRoot()), attentionScale: c.attentionScale,
            attentionSoftcap: c.attentionSoftcap, finalLogitSoftcap: c.finalLogitSoftcap, rotaryDim: b.headDim,
            ropeTables: [c.globalInverseFrequencies, c.localInverseFrequencies], layerWindows: c.layerWindows,
            layerRopeTable: c.layerWindows.map { $0 == nil ? 0 : 1 })
        return try bindModelLayout(b, spec: spec, weights: weights, plusOneNorm: true,
                                   layerTensors: { layerTensors(c, $0) }) { binder, p in
            func norm(_ n: String) throws -> NormWeights { try binder.norm(p + n, plusOne: true) }
            let sandwich = c.generation > 1
            let qNorm: NormWeights? = c.generation == 3 ? try norm("self_attn.q_norm") : nil
            let kNorm: NormWeights? = c.generation == 3 ? try norm("self_attn.k_norm") : nil
            let attentionOutputNorm: NormWeights? = sandwich ? try norm("post_attention_layernorm") : nil
            let mlpOutputNorm: NormWeights? = sandwich ? try norm("post_feedforward_layernorm") : nil
            return RotaryLayer(
                attentionInputNorm: try norm("input_layernorm"),
                q: try binder.linear(p + "self_attn.q_proj", bias: c.qkvBias),
                k: try binder.linear(p + "self_attn.k_proj", bias: c.qkvBias),
                v: try binder.linear(p + "self_attn.v_proj", bias: c.qkvBias),
                o: try binder.linear(p + "self_attn.o_proj", bias: c.qkvBias),
                qNorm: qNorm, kNorm: kNorm, attentionOutputNorm: attentionOutputNorm,
                mlpInputNorm: try norm(sandwich ? "pre_feedforward_layernorm" : "post_attention_layernorm"),
                gate: try binder.linear(p + "mlp.gate_proj", bias: false),
                up: try binder.linear(p + "mlp.up_proj", bias: false),
                down: try binder.linear(p + "mlp.down_proj", bias: false),
                mlpOutputNorm: mlpOutputNorm)
        }
    }
}
