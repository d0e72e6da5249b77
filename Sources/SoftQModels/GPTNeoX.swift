import SoftQBase
import SoftQCheckpoint

/// GPT-NeoX (`gpt_neox`: Pythia): LayerNorm with bias, parallel residual
/// (`use_parallel_residual`, x = mlp(ln₂(x)) + attn(ln₁(x)) + x) or sequential, partial rotary
/// (`rotary_pct` in 4.x, `partial_rotary_factor` in 5.x `rope_parameters`; default 0.25) with
/// base `rotary_emb_base` / `rope_theta`, a fused per-head interleaved `query_key_value`, GELU
/// MLP with biases, untied `embed_out`.
public struct GPTNeoXConfiguration: Sendable, Equatable {
    public var base: ModelConfiguration
    public var layerNormEpsilon: Float
    public var activation: GPT2Configuration.Activation
    public var parallelResidual: Bool
    public var attentionBias: Bool
    public var rotaryDim: Int
    public var inverseFrequencies: [Double]

    public init(json: JSONValue) throws {
        let r = try ConfigReader(modelType: "gpt_neox", json: json)
        base = try r.decoderBase(tieDefault: false, slidingWindow: nil)
        guard base.kvHeadCount == base.headCount else {
            throw r.fail("num_key_value_heads", "GPT-NeoX has one key/value head per query head, got \(base.kvHeadCount) for \(base.headCount)")
        }
        guard base.headCount * base.headDim == base.hiddenSize else {
            throw r.fail("head_dim", "GPT-NeoX heads split hidden_size (\(base.hiddenSize)) evenly, got \(base.headCount) × \(base.headDim)")
        }
        let act = try r.string("hidden_act", default: "gelu")
        switch act {
        case "gelu": activation = .geluErf
        case "gelu_new", "gelu_fast", "gelu_pytorch_tanh": activation = .geluTanh
        default: throw r.fail("hidden_act", "'\(act)' is not supported (gelu, gelu_new, gelu_pytorch_tanh)")
        }
        layerNormEpsilon = Float(try r.positiveDouble("layer_norm_eps", default: 1e-5))
        parallelResidual = try r.bool("use_parallel_residual", default: true)
        attentionBias = try r.bool("attention_bias", default: true)
        let rope = try r.rope(contextLength: base.contextLength, thetaKeys: ["rope_theta", "rotary_emb_base"], defaultPartial: 0.25)
        rotaryDim = try rope.rotaryDim(headDim: base.headDim, r)
        inverseFrequencies = rope.inverseFrequencies(rotaryDim: rotaryDim)
    }
}

enum GPTNeoXFamily {
    /// A bare `GPTNeoXModel`'s names get `gpt_neox.`; the output matrix is `embed_out.weight`
    /// (Pythia's checkpoints), which transformers 5.x writes as `lm_head.weight`; the causal-mask
    /// buffers `attention.bias`/`attention.masked_bias` and rotary `inv_freq` of older
    /// checkpoints are dropped.
    static func sanitize(_ name: String) -> String? {
        if name.hasSuffix(".attention.bias") || name.hasSuffix(".attention.masked_bias") || name.hasSuffix("rotary_emb.inv_freq") {
            return nil
        }
        if name == "lm_head.weight" { return "embed_out.weight" }
        return prefixed(name, "gpt_neox.", roots: ["layers.", "embed_in.", "final_layer_norm."])
    }

    static func expectedTensors(_ c: GPTNeoXConfiguration) -> [(String, [Int])] {
        let b = c.base, d = b.hiddenSize, i = b.intermediateSize
        var e: [(String, [Int])] = [("gpt_neox.embed_in.weight", [b.vocabularySize, d])]
        for l in 0..<b.layerCount {
            let p = "gpt_neox.layers.\(l)."
            e += [(p + "input_layernorm.weight", [d]), (p + "input_layernorm.bias", [d]),
                  (p + "post_attention_layernorm.weight", [d]), (p + "post_attention_layernorm.bias", [d])]
            e += linearShapes(p + "attention.query_key_value", out: 3 * d, in: d, bias: c.attentionBias)
            e += linearShapes(p + "attention.dense", out: d, in: d, bias: c.attentionBias)
            e += linearShapes(p + "mlp.dense_h_to_4h", out: i, in: d, bias: true)
            e += linearShapes(p + "mlp.dense_4h_to_h", out: d, in: i, bias: true)
        }
        e += [("gpt_neox.final_layer_norm.weight", [d]), ("gpt_neox.final_layer_norm.bias", [d])]
        if !b.tieWordEmbeddings { e.append(("embed_out.weight", [b.vocabularySize, d])) }
        return e
    }

    /// `query_key_value` rows are per head [q_h | k_h | v_h] (headDim rows each): the rows of
    /// part `part` (0 q, 1 k, 2 v) for every head, in head order.
    static func fusedRows(part: Int, heads: Int, headDim: Int) -> [Int] {
        (0..<heads).flatMap { h in (0..<headDim).map { h * 3 * headDim + part * headDim + $0 } }
    }

    static func makeBody(config c: GPTNeoXConfiguration, weights: WeightSource) throws -> RotaryDecoderBody {
        let b = c.base
        // GPT-NeoX layers hold at least their two norms, the fused QKV, the dense output and two MLP matrices.
        let binder = try WeightBinder(source: weights, modelType: b.modelType, layers: b.layerCount, tensorsPerLayer: 6, sanitize: sanitize)
        try binder.check(expected: expectedTensors(c),
                         optional: b.tieWordEmbeddings ? [("embed_out.weight", [b.vocabularySize, b.hiddenSize])] : [])
        let embed = try binder.loadMatrix("gpt_neox.embed_in.weight")
        let layers = try (0..<b.layerCount).map { l -> RotaryLayer in
            let p = "gpt_neox.layers.\(l)."
            let qkv = try binder.linear(p + "attention.query_key_value", bias: c.attentionBias)
            let parts = (0..<3).map { part -> LinearWeights in
                let rows = fusedRows(part: part, heads: b.headCount, headDim: b.headDim)
                return LinearWeights(weight: qkv.weight.gatherRows(rows), bias: qkv.bias.map { gatherRows($0, rows) })
            }
            return RotaryLayer(
                attentionInputNorm: try binder.norm(p + "input_layernorm", bias: true),
                q: parts[0], k: parts[1], v: parts[2],
                o: try binder.linear(p + "attention.dense", bias: c.attentionBias),
                qNorm: nil, kNorm: nil, attentionOutputNorm: nil,
                mlpInputNorm: try binder.norm(p + "post_attention_layernorm", bias: true),
                gate: nil,
                up: try binder.linear(p + "mlp.dense_h_to_4h", bias: true),
                down: try binder.linear(p + "mlp.dense_4h_to_h", bias: true),
                mlpOutputNorm: nil)
        }
        let output = b.tieWordEmbeddings
            ? try binder.tiedOutput(embedding: embed, embeddingName: "gpt_neox.embed_in.weight", headName: "embed_out.weight")
            : try binder.loadMatrix("embed_out.weight")
        let spec = RotaryDecoderSpec(
            normKind: .layer, normEpsilon: c.layerNormEpsilon, activation: c.activation == .geluErf ? .geluErf : .geluTanh,
            gatedMLP: false, qkNorm: .none, parallelResidual: c.parallelResidual, embeddingScale: nil,
            attentionScale: 1 / Float(b.headDim).squareRoot(), attentionSoftcap: nil, finalLogitSoftcap: nil,
            rotaryDim: c.rotaryDim, ropeTables: [c.inverseFrequencies],
            layerWindows: [Int?](repeating: nil, count: b.layerCount), layerRopeTable: [Int](repeating: 0, count: b.layerCount))
        return RotaryDecoderBody(configuration: b, spec: spec, embed: embed, layers: layers,
                                 finalNorm: try binder.norm("gpt_neox.final_layer_norm", bias: true), output: output)
    }
}
