import SoftQCheckpoint
import SoftQKernels

/// How a family arranges the common pieces of a rotary decoder block. The families differ only
/// in these choices (and in their tensor names, which their own files bind):
///
///     llama/mistral/qwen2/qwen3/phi3:  x += attn(norm(x));            x += mlp(norm(x))
///     gemma2/gemma3:                   x += norm(attn(norm(x)));      x += norm(mlp(norm(x)))
///     olmo2:                           x += norm(attn(x));            x += norm(mlp(x))
///     gpt_neox (parallel residual):    x  = mlp(norm₂(x)) + attn(norm₁(x)) + x
struct RotaryDecoderSpec: Sendable {
    enum NormKind: Sendable { case rms, layer }
    enum Activation: Sendable { case silu, geluTanh, geluErf }
    /// q/k RMSNorm before rope: over each head's headDim values (Qwen3, Gemma 3) or over the
    /// whole projection (OLMo 2).
    enum QKNorm: Sendable { case none, perHead, whole }

    var normKind: NormKind
    var normEpsilon: Float
    var activation: Activation
    /// act(gate)·up (SwiGLU, GeGLU) when true; act(up) when false (GPT-NeoX).
    var gatedMLP: Bool
    var qkNorm: QKNorm
    var parallelResidual: Bool
    /// Multiplies the embedding rows (Gemma: √hidden rounded to float32, the model dtype).
    var embeddingScale: Float?
    var attentionScale: Float
    var attentionSoftcap: Float?
    var finalLogitSoftcap: Float?
    /// Leading dimensions of each head that rotate (≤ headDim, even); the rest pass through.
    var rotaryDim: Int
    /// Rotary inverse frequencies, [rotaryDim/2] per table (Gemma 3: local and global bases).
    var ropeTables: [[Double]]
    /// Per layer: the sliding window (nil: full causal attention) and the rope table index.
    var layerWindows: [Int?]
    var layerRopeTable: [Int]
}

struct NormWeights: Sendable {
    var weight: Tensor
    var bias: Tensor?
}

struct LinearWeights: Sendable {
    var weight: WeightMatrix
    var bias: Tensor? = nil
}

/// One block's weights by role; a nil norm is absent in that family's arrangement.
struct RotaryLayer: Sendable {
    var attentionInputNorm: NormWeights?
    var q, k, v, o: LinearWeights
    var qNorm, kNorm: NormWeights?
    var attentionOutputNorm: NormWeights?
    var mlpInputNorm: NormWeights?
    /// Present exactly when the spec's MLP is gated.
    var gate: LinearWeights?
    var up, down: LinearWeights
    var mlpOutputNorm: NormWeights?
}

/// The decoder body every rotary family shares: token embedding, blocks as the spec arranges
/// them, final norm. The families' files decode configurations and bind tensors into it.
final class RotaryDecoderBody: DecoderBody, Sendable {
    let configuration: ModelConfiguration
    let spec: RotaryDecoderSpec
    let embed: WeightMatrix
    let layers: [RotaryLayer]
    let finalNorm: NormWeights
    let output: WeightMatrix
    var finalLogitSoftcap: Float? { spec.finalLogitSoftcap }
    var attentionWindows: [Int?] { spec.layerWindows }

    init(configuration: ModelConfiguration, spec: RotaryDecoderSpec, embed: WeightMatrix, layers: [RotaryLayer],
         finalNorm: NormWeights, output: WeightMatrix) {
        precondition(layers.count == configuration.layerCount && spec.layerWindows.count == layers.count
                     && spec.layerRopeTable.count == layers.count, "RotaryDecoderBody: one entry per layer")
        precondition(spec.rotaryDim > 0 && spec.rotaryDim % 2 == 0 && spec.rotaryDim <= configuration.headDim,
                     "RotaryDecoderBody: rotaryDim must be even and within headDim")
        precondition(layers.allSatisfy { ($0.gate != nil) == spec.gatedMLP }, "RotaryDecoderBody: gate weights ⇔ gated MLP")
        precondition(spec.gatedMLP || spec.activation != .silu, "RotaryDecoderBody: an ungated MLP is GELU")
        self.configuration = configuration
        self.spec = spec
        self.embed = embed
        self.layers = layers
        self.finalNorm = finalNorm
        self.output = output
    }

    var parameterCount: Int {
        func n(_ x: NormWeights?) -> Int { (x?.weight.count ?? 0) + (x?.bias?.count ?? 0) }
        func n(_ x: LinearWeights?) -> Int { (x?.weight.count ?? 0) + (x?.bias?.count ?? 0) }
        var total = embed.count + n(finalNorm) + (output === embed ? 0 : output.count)
        for l in layers {
            total += n(l.attentionInputNorm) + n(l.q) + n(l.k) + n(l.v) + n(l.o) + n(l.qNorm) + n(l.kNorm)
            total += n(l.attentionOutputNorm) + n(l.mlpInputNorm) + n(l.gate) + n(l.up) + n(l.down) + n(l.mlpOutputNorm)
        }
        return total
    }

    var matmulParameterCount: Int {
        layers.reduce(0) {
            $0 + $1.q.weight.count + $1.k.weight.count + $1.v.weight.count + $1.o.weight.count
                + ($1.gate?.weight.count ?? 0) + $1.up.weight.count + $1.down.weight.count
        } + output.count
    }

    /// out, x: [rows, dim]; `out` may alias `x`.
    func norm(_ out: UnsafeMutablePointer<Float>, _ x: UnsafePointer<Float>, _ w: NormWeights, rows: Int, dim: Int) {
        switch spec.normKind {
        case .rms: rmsNorm(out, x, w.weight.data, rows: rows, dim: dim, eps: spec.normEpsilon)
        case .layer: layerNorm(out, x, w.weight.data, w.bias!.data, rows: rows, dim: dim, eps: spec.normEpsilon)
        }
    }

    /// out: [rows, outDim] = x [rows, inDim] · Wᵀ (+ b)
    func project(_ out: inout [Float], _ x: [Float], _ w: LinearWeights, rows: Int, inDim: Int, outDim: Int, _ parallel: Parallel,
                 _ stacking: StackingRule?) {
        linearParallel(&out, x, w.weight.elements, w.bias?.data, rows: rows, inDim: inDim, outDim: outDim, parallel: parallel,
                       stacking: stacking)
    }

    func forward(_ batch: [SequenceInput], stacking: StackingRule?, parallel: Parallel, capture: ((String, [Float]) -> Void)?) -> [Float] {
        let c = configuration, s = spec
        // Rows of all sequences stacked: sequence b owns rows offsets[b] ..< offsets[b] + batch[b].tokens.count,
        // then zero rows up to offsets[b + 1]; T counts them all.
        let offsets = batch.rowOffsets(multiple: stacking?.rowMultiple ?? 1), T = offsets.last ?? 0
        let D = c.hiddenSize, I = c.intermediateSize
        let hd = c.headDim, qd = c.headCount * hd, kvd = c.kvHeadCount * hd, half = s.rotaryDim / 2
        var x = [Float](repeating: 0, count: T * D)
        var h = [Float](repeating: 0, count: T * D)
        var a = [Float](repeating: 0, count: T * D)
        var m = [Float](repeating: 0, count: T * D)
        var q = [Float](repeating: 0, count: T * qd)
        var k = [Float](repeating: 0, count: T * kvd)
        var v = [Float](repeating: 0, count: T * kvd)
        var attn = [Float](repeating: 0, count: T * qd)
        var gate = [Float](repeating: 0, count: s.gatedMLP ? T * I : 0)
        var up = [Float](repeating: 0, count: T * I)
        var scores = [Float](repeating: 0, count: min(parallel.threads, c.headCount) * batch.largestAttentionScratch)
        // cos/sin per rope table, row r at its sequence's position (cache length + r's index in it).
        let tables: [(cos: [Float], sin: [Float])] = s.ropeTables.map { inv in
            var cos = [Float](repeating: 0, count: T * half), sin = cos
            inv.withUnsafeBufferPointer { f in
                cos.withUnsafeMutableBufferPointer { cp in
                    sin.withUnsafeMutableBufferPointer { sp in
                        for (b, seq) in batch.enumerated() {
                            rotaryTables(cp.baseAddress! + offsets[b] * half, sp.baseAddress! + offsets[b] * half, f.baseAddress!,
                                         start: seq.cache.length, rows: seq.tokens.count, half: half)
                        }
                    }
                }
            }
            return (cos, sin)
        }
        x.withUnsafeMutableBufferPointer { xp in
            for (b, seq) in batch.enumerated() {
                for (t, token) in seq.tokens.enumerated() { embed.widen(from: token * D, count: D, into: xp.baseAddress! + (offsets[b] + t) * D) }
            }
        }
        if let scale = s.embeddingScale { for i in 0..<(T * D) { x[i] *= scale } }
        capture?("embed", x)
        for (l, w) in layers.enumerated() {
            // Attention: a = o(attend(rope(norm(q)), rope(norm(k)), v)), from norm(x) or x.
            if let n = w.attentionInputNorm { norm(&h, x, n, rows: T, dim: D) } else { h = x }
            project(&q, h, w.q, rows: T, inDim: D, outDim: qd, parallel, stacking)
            project(&k, h, w.k, rows: T, inDim: D, outDim: kvd, parallel, stacking)
            project(&v, h, w.v, rows: T, inDim: D, outDim: kvd, parallel, stacking)
            switch s.qkNorm {
            case .none: break
            case .perHead:
                inPlace(&q) { norm($0, $0, w.qNorm!, rows: T * c.headCount, dim: hd) }
                inPlace(&k) { norm($0, $0, w.kNorm!, rows: T * c.kvHeadCount, dim: hd) }
            case .whole:
                inPlace(&q) { norm($0, $0, w.qNorm!, rows: T, dim: qd) }
                inPlace(&k) { norm($0, $0, w.kNorm!, rows: T, dim: kvd) }
            }
            let rope = tables[s.layerRopeTable[l]]
            applyRotary(&q, rope.cos, rope.sin, rows: T, heads: c.headCount, headDim: hd, ld: qd, rotaryDim: s.rotaryDim)
            applyRotary(&k, rope.cos, rope.sin, rows: T, heads: c.kvHeadCount, headDim: hd, ld: kvd, rotaryDim: s.rotaryDim)
            // Attention stays per sequence: each reads its own cache.
            for (b, seq) in batch.enumerated() {
                let r0 = offsets[b], rows = seq.tokens.count, cache = seq.cache
                cache.keys[l].append(contentsOf: k[(r0 * kvd)..<((r0 + rows) * kvd)])
                cache.values[l].append(contentsOf: v[(r0 * kvd)..<((r0 + rows) * kvd)])
                cache.keys[l].withUnsafeBufferPointer { kp in
                    cache.values[l].withUnsafeBufferPointer { vp in
                        attn.withUnsafeMutableBufferPointer { ap in
                            q.withUnsafeBufferPointer { qp in
                                causalAttentionParallel(ap.baseAddress! + r0 * qd, qp.baseAddress! + r0 * qd, kp.baseAddress!,
                                                        vp.baseAddress!, scratch: &scores,
                                                        rows: rows, start: cache.length, heads: c.headCount, kvHeads: c.kvHeadCount,
                                                        headDim: hd, qStride: qd, kvStride: kvd, outStride: qd, scale: s.attentionScale,
                                                        window: s.layerWindows[l], softcap: s.attentionSoftcap, parallel: parallel)
                            }
                        }
                    }
                }
            }
            project(&a, attn, w.o, rows: T, inDim: qd, outDim: D, parallel, stacking)
            if let n = w.attentionOutputNorm { inPlace(&a) { norm($0, $0, n, rows: T, dim: D) } }
            if !s.parallelResidual { addInPlace(&x, a, count: T * D) }
            // MLP from the updated residual (sequential) or from the block's input (parallel).
            if let n = w.mlpInputNorm { norm(&h, x, n, rows: T, dim: D) } else { h = x }
            project(&up, h, w.up, rows: T, inDim: D, outDim: I, parallel, stacking)
            if let g = w.gate {
                project(&gate, h, g, rows: T, inDim: D, outDim: I, parallel, stacking)
                switch s.activation {
                case .silu: inPlace(&gate) { siluMul($0, $0, up, count: T * I) }
                case .geluTanh: inPlace(&gate) { geluTanh($0, $0, count: T * I); multiplyInPlace($0, up, count: T * I) }
                case .geluErf: inPlace(&gate) { geluErf($0, $0, count: T * I); multiplyInPlace($0, up, count: T * I) }
                }
                project(&m, gate, w.down, rows: T, inDim: I, outDim: D, parallel, stacking)
            } else {
                switch s.activation {
                case .silu: preconditionFailure("an ungated MLP is GELU (checked in init)")
                case .geluTanh: inPlace(&up) { geluTanh($0, $0, count: T * I) }
                case .geluErf: inPlace(&up) { geluErf($0, $0, count: T * I) }
                }
                project(&m, up, w.down, rows: T, inDim: I, outDim: D, parallel, stacking)
            }
            if let n = w.mlpOutputNorm { inPlace(&m) { norm($0, $0, n, rows: T, dim: D) } }
            if s.parallelResidual {
                // GPT-NeoX adds mlp_output + attn_output + hidden_states, left to right.
                for i in 0..<(T * D) { x[i] = (m[i] + a[i]) + x[i] }
            } else {
                addInPlace(&x, m, count: T * D)
            }
            capture?("layer.\(l)", x)
        }
        for seq in batch { seq.cache.length += seq.tokens.count }
        inPlace(&x) { norm($0, $0, finalNorm, rows: T, dim: D) }
        capture?("final", x)
        return x
    }
}

// MARK: - Binding helpers shared by the rotary families

extension WeightBinder {
    func linear(_ name: String, bias: Bool) throws -> LinearWeights {
        LinearWeights(weight: try loadMatrix(name + ".weight"), bias: bias ? try load(name + ".bias") : nil)
    }

    /// A norm's weight (and bias for LayerNorm). `plusOne`: the stored weight is an offset and
    /// the norm multiplies by 1 + w (Gemma), precomputed here in float32 as transformers does.
    func norm(_ name: String, bias: Bool = false, plusOne: Bool = false) throws -> NormWeights {
        let w = try load(name + ".weight")
        return NormWeights(weight: plusOne ? Tensor(shape: w.shape, values: w.buffer.map { 1 + $0 }) : w,
                           bias: bias ? try load(name + ".bias") : nil)
    }
}

/// Rows `indices` of a tensor whose first axis is split (a fused projection's weight [out, in]
/// or bias [out]), as a new owned tensor [indices.count, …].
func gatherRows(_ t: Tensor, _ indices: [Int]) -> Tensor {
    let rowSize = t.count / t.shape[0]
    return Tensor(shape: [indices.count] + t.shape.dropFirst()) { out in
        for (r, i) in indices.enumerated() { (out.baseAddress! + r * rowSize).update(from: t.data + i * rowSize, count: rowSize) }
    }
}

/// Consecutive row blocks of the given sizes (a fused [q | k | v] or [gate | up] projection).
func splitRows(_ t: WeightMatrix, _ sizes: [Int]) -> [WeightMatrix] {
    var start = 0
    return sizes.map { n in
        defer { start += n }
        return t.gatherRows(Array(start..<(start + n)))
    }
}

/// Expected shapes of a linear layer's tensors: weight [out, in] and, with a bias, [out].
func linearShapes(_ name: String, out: Int, in inDim: Int, bias: Bool) -> [(String, [Int])] {
    [(name + ".weight", [out, inDim])] + (bias ? [(name + ".bias", [out])] : [])
}

/// Binds a family laid out as `model.embed_tokens`, `model.layers.{i}.…`, `model.norm` and
/// (untied) `lm_head` (the LLaMA-like families and Gemma), after the LLaMA sanitize step (bare
/// names get `model.`, `inv_freq` buffers are dropped): checks the embedding, every layer's
/// `layerTensors(prefix)`, the final norm and the output matrix strictly, then builds each
/// layer with `makeLayer(binder, prefix)`. `plusOneNorm`: the final norm multiplies by 1 + w.
func bindModelLayout(_ b: ModelConfiguration, spec: RotaryDecoderSpec, weights: WeightSource, plusOneNorm: Bool = false,
                     layerTensors: (String) -> [(String, [Int])],
                     makeLayer: (WeightBinder, String) throws -> RotaryLayer) throws -> RotaryDecoderBody {
    let d = b.hiddenSize, head = ("lm_head.weight", [b.vocabularySize, d])
    // The layer count is checked against the file before the expected list is built.
    let binder = try WeightBinder(source: weights, modelType: b.modelType, layers: b.layerCount,
                                  tensorsPerLayer: layerTensors("model.layers.0.").count, sanitize: LlamaFamily.sanitize)
    var expected: [(String, [Int])] = [("model.embed_tokens.weight", [b.vocabularySize, d]), ("model.norm.weight", [d])]
    for l in 0..<b.layerCount { expected += layerTensors("model.layers.\(l).") }
    if !b.tieWordEmbeddings { expected.append(head) }
    try binder.check(expected: expected, optional: b.tieWordEmbeddings ? [head] : [])
    let embed = try binder.loadMatrix("model.embed_tokens.weight")
    let layers = try (0..<b.layerCount).map { try makeLayer(binder, "model.layers.\($0).") }
    let output = b.tieWordEmbeddings
        ? try binder.tiedOutput(embedding: embed, embeddingName: "model.embed_tokens.weight")
        : try binder.loadMatrix("lm_head.weight")
    return RotaryDecoderBody(configuration: b, spec: spec, embed: embed, layers: layers,
                             finalNorm: try binder.norm("model.norm", plusOne: plusOneNorm), output: output)
}
