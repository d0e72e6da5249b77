import SoftQBase
import SoftQCheckpoint

/// Picks the architecture for a checkpoint's `model_type`, decodes its configuration and binds
/// its weights strictly.
public enum ModelRegistry {
    public static var supportedTypes: [String] {
        (["gpt2", "gpt_neox", "olmo2", "phi3"] + LlamaConfiguration.modelTypes + GemmaConfiguration.modelTypes).sorted()
    }

    public static func makeModel(modelType: String, config: JSONValue, weights: WeightSource) throws -> any CausalLanguageModel {
        try makeDecoder(modelType: modelType, config: config, weights: weights)
    }

    /// The concrete model (for `activations` and other inspection beyond the protocol).
    public static func makeDecoder(modelType: String, config: JSONValue, weights: WeightSource) throws -> DecoderLanguageModel {
        let body: any DecoderBody
        switch modelType {
        case "gpt2":
            body = try GPT2Body(config: try GPT2Configuration(json: config), weights: weights)
        case "gpt_neox":
            body = try GPTNeoXFamily.makeBody(config: try GPTNeoXConfiguration(json: config), weights: weights)
        case "phi3":
            body = try Phi3Family.makeBody(config: try LlamaConfiguration(modelType: modelType, json: config), weights: weights)
        case "olmo2":
            body = try OLMo2Family.makeBody(config: try LlamaConfiguration(modelType: modelType, json: config), weights: weights)
        case let t where LlamaConfiguration.modelTypes.contains(t):
            body = try LlamaFamily.makeBody(config: try LlamaConfiguration(modelType: t, json: config), weights: weights)
        case let t where GemmaConfiguration.modelTypes.contains(t):
            body = try GemmaFamily.makeBody(config: try GemmaConfiguration(modelType: t, json: config), weights: weights)
        default:
            throw ModelError.unknownModelType(modelType, supported: supportedTypes)
        }
        return DecoderLanguageModel(body: body)
    }
}

extension ModelRegistry {
    /// The model stored in a softq checkpoint (its `model_type`, `config` and weights).
    public static func makeModel(checkpoint: Checkpoint) throws -> any CausalLanguageModel {
        try makeModel(modelType: checkpoint.modelType, config: checkpoint.config, weights: checkpoint)
    }
}
