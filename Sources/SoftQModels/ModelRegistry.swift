import SoftQBase
import SoftQCheckpoint

/// Picks the architecture for a checkpoint's `model_type`, decodes its configuration and binds
/// its weights strictly.
public enum ModelRegistry {
    public static var supportedTypes: [String] { ["gpt2"] + LlamaConfiguration.modelTypes }

    public static func makeModel(modelType: String, config: JSONValue, weights: WeightSource) throws -> any CausalLanguageModel {
        try makeDecoder(modelType: modelType, config: config, weights: weights)
    }

    /// The concrete model (for `activations` and other inspection beyond the protocol).
    public static func makeDecoder(modelType: String, config: JSONValue, weights: WeightSource) throws -> DecoderLanguageModel {
        switch modelType {
        case "gpt2":
            return DecoderLanguageModel(body: try GPT2Body(config: try GPT2Configuration(json: config), weights: weights))
        case let t where LlamaConfiguration.modelTypes.contains(t):
            return DecoderLanguageModel(body: try LlamaBody(config: try LlamaConfiguration(modelType: t, json: config), weights: weights))
        default:
            throw ModelError.unknownModelType(modelType, supported: supportedTypes)
        }
    }
}

extension ModelRegistry {
    /// The model stored in a softq checkpoint (its `model_type`, `config` and weights).
    public static func makeModel(checkpoint: Checkpoint) throws -> any CausalLanguageModel {
        try makeModel(modelType: checkpoint.modelType, config: checkpoint.config, weights: checkpoint)
    }
}
