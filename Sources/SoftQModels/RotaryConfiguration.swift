import Foundation
import SoftQBase

/// Rotary frequency scaling: `default` (none), `linear` and `llama3`.
public enum RopeScaling: Sendable, Equatable {
    case none
    case linear(factor: Double)
    case llama3(factor: Double, lowFreqFactor: Double, highFreqFactor: Double, originalContextLength: Int)
}

/// One rotary setting: base θ, scaling, and the fraction of each head's dimensions that rotate.
struct RopeSettings: Sendable, Equatable {
    var theta: Double
    var scaling: RopeScaling
    var partialRotaryFactor: Double
    /// The key the factor was read from (for error messages about it).
    var partialKey: String

    /// The rotating dimensions of a head: ⌊headDim · factor⌋ (Python's int()), even and > 0.
    func rotaryDim(headDim: Int, _ r: ConfigReader) throws -> Int {
        let dim = Int(Double(headDim) * partialRotaryFactor)
        guard dim > 0, dim % 2 == 0, dim <= headDim else {
            throw r.fail(partialKey, "gives \(dim) rotary dimensions of a \(headDim)-wide head; rotary embeddings need an even number in 2 … \(headDim)")
        }
        return dim
    }

    /// inv_freq_j = θ^(−2j/dim) for j < dim/2, then scaled. llama3 (Llama 3.1): wavelengths
    /// 2π/inv_freq longer than original/low_freq_factor are divided by `factor`, shorter than
    /// original/high_freq_factor kept, and those between interpolated with
    /// s = (original/wavelen − low)/(high − low): (1 − s)·inv/factor + s·inv (the formula of
    /// transformers' `_compute_llama3_parameters`).
    func inverseFrequencies(rotaryDim dim: Int) -> [Double] {
        let base = (0..<(dim / 2)).map { 1.0 / pow(theta, Double(2 * $0) / Double(dim)) }
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

/// Keys that the Hugging Face decoder configurations (LLaMA-like, Gemma, GPT-NeoX) spell alike.
extension ConfigReader {
    /// Sizes, heads, context, tying and special tokens. `head_dim` may be explicit (then
    /// independent of hidden_size / heads) or `headDimDefault`, else hidden_size / heads.
    func decoderBase(tieDefault: Bool, contextDefault: Int = 2048, headDimDefault: Int? = nil,
                     slidingWindow: Int?) throws -> ModelConfiguration {
        let d = try positiveInt("hidden_size")
        let heads = try positiveInt("num_attention_heads")
        let kvHeads = try positiveInt("num_key_value_heads", default: heads)
        guard heads % kvHeads == 0 else {
            throw fail("num_key_value_heads", "\(kvHeads) does not divide num_attention_heads (\(heads))")
        }
        let headDim: Int
        if let hd = try optionalInt("head_dim") ?? headDimDefault {
            guard hd > 0 else { throw fail("head_dim", "expected a positive integer, got \(hd)") }
            headDim = hd
        } else {
            guard d % heads == 0 else { throw fail("num_attention_heads", "\(heads) does not divide hidden_size (\(d)) and head_dim is not given") }
            headDim = d / heads
        }
        guard headDim % 2 == 0 else { throw fail("head_dim", "rotary embeddings need an even head dimension, got \(headDim)") }
        if let w = slidingWindow, w <= 0 { throw fail("sliding_window", "expected a positive integer, got \(w)") }
        return ModelConfiguration(
            modelType: modelType, vocabularySize: try positiveInt("vocab_size"), hiddenSize: d,
            layerCount: try layerCount("num_hidden_layers"), headCount: heads, kvHeadCount: kvHeads,
            headDim: headDim, intermediateSize: try positiveInt("intermediate_size"),
            contextLength: try positiveInt("max_position_embeddings", default: contextDefault),
            tieWordEmbeddings: try bool("tie_word_embeddings", default: tieDefault),
            bosTokenId: try optionalInt("bos_token_id"), eosTokenIds: try tokenIds("eos_token_id"),
            slidingWindow: slidingWindow)
    }

    /// Which layers are `sliding_attention` (true) or `full_attention` (false): the explicit
    /// `layer_types` list (transformers ≥ 4.53 and 5.x write it), else `defaultSliding(i)`.
    func slidingLayers(count: Int, defaultSliding: (Int) -> Bool) throws -> [Bool] {
        guard let v = value("layer_types") else { return (0..<count).map(defaultSliding) }
        guard let items = v.arrayValue else { throw fail("layer_types", "expected a list of strings, got \(v.typeName)") }
        guard items.count == count else { throw fail("layer_types", "has \(items.count) entries for \(count) layers") }
        return try items.map { item in
            switch item.stringValue {
            case "sliding_attention": return true
            case "full_attention": return false
            default: throw fail("layer_types", "'\(item.stringValue ?? item.typeName)' is not supported (full_attention, sliding_attention)")
            }
        }
    }

    /// The rotary setting. transformers 5.x writes `rope_parameters` {rope_type, rope_theta,
    /// partial_rotary_factor, …}, for Gemma 3 one such object per layer type (`layerType`);
    /// 4.x writes a top-level θ (`thetaKeys`, first present wins), `rope_scaling` {type or
    /// rope_type, factor, …} and a top-level `partial_rotary_factor` (or GPT-NeoX `rotary_pct`).
    /// `scaled: false` ignores 4.x `rope_scaling` (Gemma 3's local layers never scale).
    func rope(contextLength: Int, layerType: String? = nil, thetaKeys: [String] = ["rope_theta"],
              defaultTheta: Double = 10000, defaultPartial: Double = 1, scaled: Bool = true) throws -> RopeSettings {
        var key = "rope_scaling"
        var params = scaled ? value("rope_scaling") : nil
        if let rp = value("rope_parameters") {
            guard rp.objectValue != nil else { throw fail("rope_parameters", "expected an object, got \(rp.typeName)") }
            key = "rope_parameters"
            params = rp
            if let t = layerType, let sub = rp[t], case .object = sub {
                key = "rope_parameters.\(t)"
                params = sub
            }
        }
        if let p = params, p.objectValue == nil { throw fail(key, "expected an object, got \(p.typeName)") }
        func sub(_ k: String) -> String { "\(key).\(k)" }
        var theta = defaultTheta
        for k in thetaKeys.reversed() { if let t = try optionalDouble(k) { theta = t } }
        var thetaKey = thetaKeys.first { value($0) != nil } ?? thetaKeys[0]
        if let p = params, let t = try optionalDouble("rope_theta", in: p) { theta = t; thetaKey = sub("rope_theta") }
        guard theta > 0, theta.isFinite else { throw fail(thetaKey, "expected a positive number, got \(theta)") }
        var partial = defaultPartial, partialKey = sub("partial_rotary_factor")
        for (k, object) in [("rotary_pct", json), ("partial_rotary_factor", json), (sub("partial_rotary_factor"), params ?? .null)] {
            if let f = try optionalDouble(String(k.split(separator: ".").last!), in: object) { (partial, partialKey) = (f, k) }
        }
        guard partial > 0, partial <= 1 else { throw fail(partialKey, "expected a number in (0, 1], got \(partial)") }
        guard let p = params else {
            return RopeSettings(theta: theta, scaling: .none, partialRotaryFactor: partial, partialKey: partialKey)
        }
        let type = p["rope_type"]?.stringValue ?? p["type"]?.stringValue ?? "default"
        func positive(_ k: String) throws -> Double {
            guard let v = try optionalDouble(k, in: p) else { throw fail(sub(k), "required for rope type '\(type)'") }
            guard v > 0, v.isFinite else { throw fail(sub(k), "expected a positive number, got \(v)") }
            return v
        }
        let scaling: RopeScaling
        switch type {
        case "default": scaling = .none
        case "linear": scaling = .linear(factor: try positive("factor"))
        case "llama3":
            let low = try positive("low_freq_factor"), high = try positive("high_freq_factor")
            guard high > low else { throw fail(sub("high_freq_factor"), "must exceed low_freq_factor (\(low)), got \(high)") }
            let original = try optionalInt("original_max_position_embeddings", in: p) ?? contextLength
            guard original > 0 else { throw fail(sub("original_max_position_embeddings"), "expected a positive integer, got \(original)") }
            scaling = .llama3(factor: try positive("factor"), lowFreqFactor: low, highFreqFactor: high, originalContextLength: original)
        default:
            throw fail(sub("rope_type"), "rope type '\(type)' is not supported (default, linear, llama3)")
        }
        return RopeSettings(theta: theta, scaling: scaling, partialRotaryFactor: partial, partialKey: partialKey)
    }
}
