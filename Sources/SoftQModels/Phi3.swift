import SoftQCheckpoint

/// Phi-3 (`phi3`): the LLaMA arrangement with fused projections, `qkv_proj` [q | k | v] and
/// `gate_up_proj` [gate | up] (rows), split into the shared decoder's separate matrices at load;
/// no biases; partial rotary where `partial_rotary_factor` says so; `sliding_window` on every
/// layer. Long-context `longrope`/`su` scaling is rejected, naming the key.
enum Phi3Family {
    static func layerTensors(_ c: LlamaConfiguration, _ p: String) -> [(String, [Int])] {
        let b = c.base, d = b.hiddenSize, i = b.intermediateSize
        let qd = b.headCount * b.headDim, kvd = b.kvHeadCount * b.headDim
        return [(p + "input_layernorm.weight", [d]), (p + "post_attention_layernorm.weight", [d]),
                (p + "self_attn.qkv_proj.weight", [qd + 2 * kvd, d]), (p + "self_attn.o_proj.weight", [d, qd]),
                (p + "mlp.gate_up_proj.weight", [2 * i, d]), (p + "mlp.down_proj.weight", [d, i])]
    }

    static func makeBody(config c: LlamaConfiguration, weights: WeightSource) throws -> RotaryDecoderBody {
        let b = c.base, qd = b.headCount * b.headDim, kvd = b.kvHeadCount * b.headDim
        return try bindModelLayout(b, spec: c.spec(qkNorm: .none), weights: weights,
                                   layerTensors: { layerTensors(c, $0) }) { binder, p in
            let qkv = splitRows(try binder.loadMatrix(p + "self_attn.qkv_proj.weight"), [qd, kvd, kvd])
            let gateUp = splitRows(try binder.loadMatrix(p + "mlp.gate_up_proj.weight"), [b.intermediateSize, b.intermediateSize])
            return RotaryLayer(
                attentionInputNorm: try binder.norm(p + "input_layernorm"),
                q: LinearWeights(weight: qkv[0]), k: LinearWeights(weight: qkv[1]), v: LinearWeights(weight: qkv[2]),
                o: try binder.linear(p + "self_attn.o_proj", bias: false),
                qNorm: nil, kNorm: nil, attentionOutputNorm: nil,
                mlpInputNorm: try binder.norm(p + "post_attention_layernorm"),
                gate: LinearWeights(weight: gateUp[0]), up: LinearWeights(weight: gateUp[1]),
                down: try binder.linear(p + "mlp.down_proj", bias: false),
                mlpOutputNorm: nil)
        }
    }
}
