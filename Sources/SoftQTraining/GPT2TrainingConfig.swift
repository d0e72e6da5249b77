import Foundation
import SoftQBase

/// The GPT-2 hyper-parameters, read from a Hugging Face `config.json` (the same keys), validated
/// when decoded so that a bad config fails before any memory is allocated.
public struct GPT2TrainingConfig: Equatable, Sendable {
    public var vocabSize: Int
    public var nPositions: Int
    public var nEmbd: Int
    public var nLayer: Int
    public var nHead: Int
    /// The MLP width; HF's `n_inner: null` means 4·n_embd.
    public var nInner: Int
    public var layerNormEpsilon: Double
    public var bosTokenID: Int
    public var eosTokenID: Int

    public init(vocabSize: Int, nPositions: Int, nEmbd: Int, nLayer: Int, nHead: Int, nInner: Int? = nil,
                layerNormEpsilon: Double = 1e-5, bosTokenID: Int, eosTokenID: Int) throws {
        self.vocabSize = vocabSize
        self.nPositions = nPositions
        self.nEmbd = nEmbd
        self.nLayer = nLayer
        self.nHead = nHead
        self.nInner = nInner ?? 4 * nEmbd
        self.layerNormEpsilon = layerNormEpsilon
        self.bosTokenID = bosTokenID
        self.eosTokenID = eosTokenID
        try validate(source: "config")
    }

    /// Decodes HF GPT-2 config keys; `source` names the file for error messages.
    public init(json: JSONValue, source: String) throws {
        guard json.objectValue != nil else {
            throw TrainingError.config(key: "(root)", message: "expected a JSON object, got \(json.typeName)", source: source)
        }
        func int(_ key: String, default value: Int? = nil) throws -> Int {
            guard let v = json[key], v != .null else {
                if let value { return value }
                throw TrainingError.config(key: key, message: "missing (an integer is required)", source: source)
            }
            guard let i = v.intValue else {
                throw TrainingError.config(key: key, message: "expected an integer, got \(v.typeName)", source: source)
            }
            return i
        }
        if let type = json["model_type"]?.stringValue, type != "gpt2" {
            throw TrainingError.config(key: "model_type", message: "training supports 'gpt2', got '\(type)'", source: source)
        }
        // gelu_pytorch_tanh and gelu_fast are the same tanh approximation written differently.
        if let act = json["activation_function"]?.stringValue, !["gelu_new", "gelu_pytorch_tanh", "gelu_fast"].contains(act) {
            throw TrainingError.config(key: "activation_function",
                                       message: "training implements the tanh GELU ('gelu_new'), got '\(act)'", source: source)
        }
        if case .bool(false)? = json["scale_attn_weights"] {
            throw TrainingError.config(key: "scale_attn_weights", message: "training scales attention by 1/√head_dim; got false", source: source)
        }
        if case .bool(true)? = json["scale_attn_by_inverse_layer_idx"] {
            throw TrainingError.config(key: "scale_attn_by_inverse_layer_idx", message: "not supported by training; got true", source: source)
        }
        if case .bool(false)? = json["tie_word_embeddings"] {
            throw TrainingError.config(key: "tie_word_embeddings", message: "GPT-2 training ties the output head to wte; got false", source: source)
        }
        var eps = 1e-5
        if let v = json["layer_norm_epsilon"], v != .null {
            guard let d = v.doubleValue else {
                throw TrainingError.config(key: "layer_norm_epsilon", message: "expected a number, got \(v.typeName)", source: source)
            }
            eps = d
        }
        let nEmbd = try int("n_embd")
        vocabSize = try int("vocab_size")
        nPositions = try int("n_positions", default: json["n_ctx"]?.intValue)
        self.nEmbd = nEmbd
        nLayer = try int("n_layer")
        nHead = try int("n_head")
        nInner = try int("n_inner", default: 4 * nEmbd)
        layerNormEpsilon = eps
        bosTokenID = try int("bos_token_id", default: 50256)
        eosTokenID = try int("eos_token_id", default: 50256)
        try validate(source: source)
    }

    private func validate(source: String) throws {
        for (key, value) in [("vocab_size", vocabSize), ("n_positions", nPositions), ("n_embd", nEmbd),
                             ("n_layer", nLayer), ("n_head", nHead), ("n_inner", nInner)] where value <= 0 {
            throw TrainingError.config(key: key, message: "must be positive, got \(value)", source: source)
        }
        if nEmbd % nHead != 0 {
            throw TrainingError.config(key: "n_head", message: "n_embd \(nEmbd) is not divisible by n_head \(nHead)", source: source)
        }
        if !(layerNormEpsilon > 0) {
            throw TrainingError.config(key: "layer_norm_epsilon", message: "must be positive, got \(layerNormEpsilon)", source: source)
        }
        for (key, value) in [("bos_token_id", bosTokenID), ("eos_token_id", eosTokenID)] where value < 0 || value >= vocabSize {
            throw TrainingError.config(key: key, message: "\(value) is outside the vocabulary 0..<\(vocabSize)", source: source)
        }
    }

    /// The config as HF writes it for GPT2LMHeadModel (keys in a fixed order).
    public var json: JSONValue {
        .object([
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
            ("bos_token_id", .int(bosTokenID)),
            ("eos_token_id", .int(eosTokenID)),
            ("tie_word_embeddings", .bool(true)),
        ])
    }
}
