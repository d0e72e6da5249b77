/// The architecture-independent facts of a decoded configuration: what callers (scoring,
/// training, benchmarks) need to know about a model without knowing its architecture.
public struct ModelConfiguration: Sendable, Equatable {
    public var modelType: String
    public var vocabularySize: Int
    public var hiddenSize: Int
    public var layerCount: Int
    public var headCount: Int
    public var kvHeadCount: Int
    public var headDim: Int
    /// Width of the MLP's hidden layer (GPT-2 `n_inner`, LLaMA `intermediate_size`).
    public var intermediateSize: Int
    /// The longest sequence the model accepts (`n_positions`, `max_position_embeddings`).
    public var contextLength: Int
    public var tieWordEmbeddings: Bool
    public var bosTokenId: Int?
    /// `eos_token_id` from the configuration (one id or several); empty when absent.
    public var eosTokenIds: [Int]
    /// The sliding attention window of the model's local layers (every layer for Mistral, the
    /// `sliding_attention` layers for Qwen2/3 and Gemma 2/3): position p attends to positions
    /// p−W+1 … p. nil when every layer attends to all earlier positions.
    public var slidingWindow: Int?
}
