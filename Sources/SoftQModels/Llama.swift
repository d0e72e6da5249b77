import Foundation
import SoftQBase
import SoftQCheckpoint
import SoftQKernels

/// The configuration keys of the LLaMA-like families: `llama` (SmolLM2 too), `mistral`,
/// `qwen2`, `qwen3` (built here), and `phi3`, `olmo2` (built in their own files). RMSNorm,
/// rotary embeddings (default, `linear` and `llama3` scaling), SwiGLU MLP, grouped-query
/// attention, optional projection biases, tied or untied output embeddings, sliding windows.
public struct LlamaConfiguration: Sendable, Equatable {
    public typealias RopeScaling = SoftQModels.RopeScaling
    public var base: ModelConfiguration
    public var rmsNormEpsilon: Float
    public var ropeTheta: Double
    public var ropeScaling: RopeScaling
    /// Bias on the q/k/v projections (Qwen2, or `attention_bias`), on o_proj (`attention_bias`
    /// only), on the MLP projections (`mlp_bias`, llama only).
    public var qkvBias: Bool
    public var outputProjectionBias: Bool
    public var mlpBias: Bool
    /// Per-head RMSNorm of q and k before rope (Qwen3).
    public var qkNorm: Bool
    /// Leading dimensions of each head that rotate: headDim, or less with Phi-3's
    /// `partial_rotary_factor`.
    public var rotaryDim: Int
    /// Rotary inverse frequencies after scaling, [rotaryDim/2], in Double.
    public var inverseFrequencies: [Double]
    /// Per layer: its sliding window, or nil for full causal attention.
    public var layerWindows: [Int?]

    /// The types built by `LlamaFamily`; `phi3` and `olmo2` decode here too.
    public static let modelTypes = ["llama", "mistral", "qwen2", "qwen3"]

    public init(modelType: String, json: JSONValue) throws {
        let r = try ConfigReader(modelType: modelType, json: json)
        let act = try r.string("hidden_act", default: "silu")
        guard act == "silu" || act == "swish" else { throw r.fail("hidden_act", "'\(act)' is not supported (silu)") }
        // Mistral and Phi-3 slide every layer; Qwen2/3 only with use_sliding_window, then the
        // layers from max_window_layers on (or as `layer_types` says).
        var window: Int? = nil
        switch modelType {
        case "mistral", "phi3": window = try r.optionalInt("sliding_window")
        case "qwen2", "qwen3":
            if try r.bool("use_sliding_window", default: false) { window = try r.optionalInt("sliding_window") }
        default: break
        }
        base = try r.decoderBase(tieDefault: false, slidingWindow: window)
        let layers = base.layerCount
        var sliding = [Bool](repeating: window != nil && ["mistral", "phi3"].contains(modelType), count: layers)
        if modelType == "qwen2" || modelType == "qwen3" {
            let first = try r.int("max_window_layers", default: 28)
            sliding = try r.slidingLayers(count: layers) { $0 >= first }
        }
        if !sliding.contains(true) { base.slidingWindow = nil }
        let effective = base.slidingWindow
        layerWindows = sliding.map { $0 ? effective : nil }

        rmsNormEpsilon = Float(try r.positiveDouble("rms_norm_eps", default: 1e-6))
        let attentionBias = modelType == "phi3" ? false : try r.bool("attention_bias", default: false)
        qkvBias = modelType == "qwen2" || attentionBias
        outputProjectionBias = modelType != "qwen2" && attentionBias
        mlpBias = modelType == "llama" ? try r.bool("mlp_bias", default: false) : false
        qkNorm = modelType == "qwen3"
        let rope = try r.rope(contextLength: base.contextLength)
        if modelType != "phi3", rope.partialRotaryFactor != 1 {
            throw r.fail(rope.partialKey, "partial rotary embeddings are not supported (got \(rope.partialRotaryFactor))")
        }
        (ropeTheta, ropeScaling) = (rope.theta, rope.scaling)
        rotaryDim = try rope.rotaryDim(headDim: base.headDim, r)
        inverseFrequencies = rope.inverseFrequencies(rotaryDim: rotaryDim)
    }

    /// The shared decoder's arrangement for this configuration (pre-norm unless a family
    /// changes the norms it binds).
    func spec(qkNorm: RotaryDecoderSpec.QKNorm) -> RotaryDecoderSpec {
        RotaryDecoderSpec(normKind: .rms, normEpsilon: rmsNormEpsilon, activation: .silu, gatedMLP: true, qkNorm: qkNorm,
                          parallelResidual: false, embeddingScale: nil, attentionScale: 1 / Float(base.headDim).squareRoot(),
                          attentionSoftcap: nil, finalLogitSoftcap: nil, rotaryDim: rotaryDim, ropeTables: [inverseFrequencies],
                          layerWindows: layerWindows, layerRopeTable: [Int](repeating: 0, count: base.layerCount))
    }
}

/// Builds `llama`, `mistral`, `qwen2` and `qwen3` models on the shared rotary decoder.
enum LlamaFamily {
    /// The family's sanitize step: a bare base model's names get the `model.` prefix; rotary
    /// `inv_freq` buffers (recomputed from the configuration) are dropped.
    static func sanitize(_ name: String) -> String? {
        if name.hasSuffix("rotary_emb.inv_freq") { return nil }
        return prefixed(name, "model.", roots: ["layers.", "embed_tokens.", "norm."])
    }

    /// One block's tensors under prefix `p` (`model.layers.{i}.`).
    static func layerTensors(_ c: LlamaConfiguration, _ p: String) -> [(String, [Int])] {
        let b = c.base, d = b.hiddenSize, i = b.intermediateSize
        let qd = b.headCount * b.headDim, kvd = b.kvHeadCount * b.headDim
        var e: [(String, [Int])] = [(p + "input_layernorm.weight", [d]), (p + "post_attention_layernorm.weight", [d])]
        e += linearShapes(p + "self_attn.q_proj", out: qd, in: d, bias: c.qkvBias)
        e += linearShapes(p + "self_attn.k_proj", out: kvd, in: d, bias: c.qkvBias)
        e += linearShapes(p + "self_attn.v_proj", out: kvd, in: d, bias: c.qkvBias)
        e += linearShapes(p + "self_attn.o_proj", out: d, in: qd, bias: c.outputProjectionBias)
        if c.qkNorm { e += [(p + "self_attn.q_norm.weight", [b.headDim]), (p + "self_attn.k_norm.weight", [b.headDim])] }
        e += linearShapes(p + "mlp.gate_proj", out: i, in: d, bias: c.mlpBias)
        e += linearShapes(p + "mlp.up_proj", out: i, in: d, bias: c.mlpBias)
        e += linearShapes(p + "mlp.down_proj", out: d, in: i, bias: c.mlpBias)
        return e
    }

    static func makeBody(config c: LlamaConfiguration, weights: WeightSource) throws -> RotaryDecoderBody {
        try bindModelLayout(c.base, spec: c.spec(qkNorm: c.qkNorm ? .perHead : .none), weights: weights,
                            layerTensors: { layerTensors(c, $0) }) { binder, p in
            let qNorm: NormWeights? = c.qkNorm ? try binder.norm(p + "self_attn.q_norm") : nil
            let kNorm: NormWeights? = c.qkNorm ? try binder.norm(p + "self_attn.k_norm") : nil
            return RotaryLayer(
                attentionInputNorm: try binder.norm(p + "input_layernorm"),
                q: try binder.linear(p + "self_attn.q_proj", bias: c.qkvBias),
                k: try binder.linear(p + "self_attn.k_proj", bias: c.qkvBias),
                v: try binder.linear(p + "self_attn.v_proj", bias: c.qkvBias),
                o: try binder.linear(p + "self_attn.o_proj", bias: c.outputProjectionBias),
                qNorm: qNorm, kNorm: kNorm, attentionOutputNorm: nil,
                mlpInputNorm: try binder.norm(p + "post_attention_layernorm"),
                gate: try binder.linear(p + "mlp.gate_proj", bias: c.mlpBias),
                up: try binder.linear(p + "mlp.up_proj", bias: c.mlpBias),
                down: try binder.linear(p + "mlp.down_proj", bias: c.mlpBias),
                mlpOutputNorm: nil)
        }
    }
}
