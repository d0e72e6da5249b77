import Foundation
import SoftQBase
import SoftQModels

/// The GPT-2 hyper-parameters training uses: the configuration SoftQModels decodes for scoring
/// (one decoder of `config.json` in the project), plus the restrictions of the training code.
/// Validated when decoded, so a bad config fails before any memory is allocated.
public struct GPT2TrainingConfig: Equatable, Sendable {
    /// The decoded configuration, exactly as scoring sees the same file.
    public let model: GPT2Configuration

    public var vocabSize: Int { model.base.vocabularySize }
    public var nPositions: Int { model.base.contextLength }
    public var nEmbd: Int { model.base.hiddenSize }
    public var nLayer: Int { model.base.layerCount }
    public var nHead: Int { model.base.headCount }
    /// The MLP width; HF's `n_inner: null` means 4·n_embd.
    public var nInner: Int { model.base.intermediateSize }
    public var layerNormEpsilon: Double { model.layerNormEpsilonValue }

    /// A configuration from sizes (tests, `softq train --config` writers); the same checks apply.
    public init(vocabSize: Int, nPositions: Int, nEmbd: Int, nLayer: Int, nHead: Int, nInner: Int? = nil,
                layerNormEpsilon: Double = 1e-5, bosTokenID: Int, eosTokenID: Int) throws {
        try self.init(json: .object([
            ("model_type", .string("gpt2")), ("vocab_size", .int(vocabSize)), ("n_positions", .int(nPositions)),
            ("n_embd", .int(nEmbd)), ("n_layer", .int(nLayer)), ("n_head", .int(nHead)),
            ("n_inner", nInner.map { .int($0) } ?? .null), ("layer_norm_epsilon", .double(layerNormEpsilon)),
            ("bos_token_id", .int(bosTokenID)), ("eos_token_id", .int(eosTokenID)),
        ]), source: "config")
    }

    /// Decodes HF GPT-2 config keys through SoftQModels; `source` names the file for error messages.
    public init(json: JSONValue, source: String) throws {
        guard json.objectValue != nil else {
            throw TrainingError.config(key: "(root)", message: "expected a JSON object, got \(json.typeName)", source: source)
        }
        if let type = json["model_type"]?.stringValue, type != "gpt2" {
            throw TrainingError.config(key: "model_type", message: "training supports 'gpt2', got '\(type)'", source: source)
        }
        do { model = try GPT2Configuration(json: json) } catch let ModelError.invalidConfig(_, key, message) {
            throw TrainingError.config(key: key, message: message, source: source)
        }
        // What the training code implements (scoring supports more).
        if model.activation != .geluTanh {
            throw TrainingError.config(key: "activation_function", message: "training implements the tanh GELU ('gelu_new'), got '\(json["activation_function"]?.stringValue ?? "?")'", source: source)
        }
        if !model.scaleAttentionWeights {
            throw TrainingError.config(key: "scale_attn_weights", message: "training scales attention by 1/√head_dim; got false", source: source)
        }
        if model.scaleByInverseLayerIndex {
            throw TrainingError.config(key: "scale_attn_by_inverse_layer_idx", message: "not supported by training; got true", source: source)
        }
        if !model.base.tieWordEmbeddings {
            throw TrainingError.config(key: "tie_word_embeddings", message: "GPT-2 training ties the output head to wte; got false", source: source)
        }
        for (key, ids) in [("bos_token_id", [model.base.bosTokenId].compactMap { $0 }), ("eos_token_id", model.base.eosTokenIds)] {
            if let bad = ids.first(where: { $0 < 0 || $0 >= vocabSize }) {
                throw TrainingError.config(key: key, message: "\(bad) is outside the vocabulary 0..<\(vocabSize)", source: source)
            }
        }
    }

    /// The config as HF writes it for GPT2LMHeadModel (keys in a fixed order).
    public var json: JSONValue {
        var f: [(String, JSONValue)] = [
            ("model_type", .string("gpt2")),
            ("architectures", .array([.string("GPT2LMHeadModel")])),
            ("vocab_size", .int(vocabSize)),
            ("n_positions", .int(nPositions)),
            ("n_embd", .int(nEmbd)),
            ("n_layer", .int(nLayer)),
            ("n_head", .int(nHead)),
            ("n_inner", .int(nInner)),
            ("activation_function", .string("gelu_new")),
            ("layer_norm_epsilon", .double(layerNormEpsilon)),
        ]
        if let b = model.base.bosTokenId { f.append(("bos_token_id", .int(b))) }
        let eos = model.base.eosTokenIds
        if !eos.isEmpty { f.append(("eos_token_id", eos.count == 1 ? .int(eos[0]) : .array(eos.map { .int($0) }))) }
        f.append(("tie_word_embeddings", .bool(true)))
        return .object(f)
    }
}
