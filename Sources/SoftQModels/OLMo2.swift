import SoftQCheckpoint

/// OLMo 2 (`olmo2`): post-norm blocks, x += norm(attn(x)) and x += norm(mlp(x)), the norms
/// named `post_attention_layernorm` and `post_feedforward_layernorm`; q and k RMSNorm over the
/// whole projections (`q_norm` [heads·headDim], `k_norm` [kvHeads·headDim]) before rope.
/// Otherwise the LLaMA configuration, names and sanitize step.
enum OLMo2Family {
    static func layerTensors(_ c: LlamaConfiguration, _ p: String) -> [(String, [Int])] {
        let b = c.base, d = b.hiddenSize, i = b.intermediateSize
        let qd = b.headCount * b.headDim, kvd = b.kvHeadCount * b.headDim
        var e = linearShapes(p + "self_attn.q_proj", out: qd, in: d, bias: c.qkvBias)
        e += linearShapes(p + "self_attn.k_proj", out: kvd, in: d, bias: c.qkvBias)
        e += linearShapes(p + "self_attn.v_proj", out: kvd, in: d, bias: c.qkvBias)
        e += linearShapes(p + "self_attn.o_proj", out: d, in: qd, bias: c.outputProjectionBias)
        return e + [(p + "self_attn.q_norm.weight", [qd]), (p + "self_attn.k_norm.weight", [kvd]),
                    (p + "post_attention_layernorm.weight", [d]), (p + "post_feedforward_layernorm.weight", [d]),
                    (p + "mlp.gate_proj.weight", [i, d]), (p + "mlp.up_proj.weight", [i, d]), (p + "mlp.down_proj.weight", [d, i])]
    }

    static func makeBody(config c: LlamaConfiguration, weights: WeightSource) throws -> RotaryDecoderBody {
        try bindModelLayout(c.base, spec: c.spec(qkNorm: .whole), weights: weights,
                            layerTensors: { layerTensors(c, $0) }) { binder, p in
            RotaryLayer(
                attentionInputNorm: nil,
                q: try binder.linear(p + "self_attn.q_proj", bias: c.qkvBias),
                k: try binder.linear(p + "self_attn.k_proj", bias: c.qkvBias),
                v: try binder.linear(p + "self_attn.v_proj", bias: c.qkvBias),
                o: try binder.linear(p + "self_attn.o_proj", bias: c.outputProjectionBias),
                qNorm: try binder.norm(p + "self_attn.q_norm"), kNorm: try binder.norm(p + "self_attn.k_norm"),
                attentionOutputNorm: try binder.norm(p + "post_attention_layernorm"),
                mlpInputNorm: nil,
                gate: try binder.linear(p + "mlp.gate_proj", bias: false),
                up: try binder.linear(p + "mlp.up_proj", bias: false),
                down: try binder.linear(p + "mlp.down_proj", bias: false),
                mlpOutputNorm: try binder.norm(p + "post_feedforward_layernorm"))
        }
    }
}
