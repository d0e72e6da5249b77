import SoftQCheckpoint

/// Everything that can go wrong between a configuration, a weight source and a forward pass.
/// Messages name the key, tensor or token involved and say what was expected.
public enum ModelError: Error, CustomStringConvertible, Equatable {
    case unknownModelType(String, supported: [String])
    case invalidConfig(modelType: String, key: String, message: String)
    /// One error for every binding problem at once; entries are preformatted, sorted lines.
    case binding(source: String, modelType: String, missing: [String], misshaped: [String], unused: [String])
    case tiedWeightsDiffer(source: String, name: String, tiedTo: String)
    case emptyPrompt(group: Int)
    case noTokens
    case tokenOutOfRange(token: Int, position: Int, vocabularySize: Int)
    case sequenceTooLong(length: Int, contextLength: Int, modelType: String)

    public var description: String {
        switch self {
        case let .unknownModelType(type, supported):
            return "unknown model_type '\(type)': supported types are \(supported.joined(separator: ", "))"
        case let .invalidConfig(modelType, key, message):
            return "invalid \(modelType) configuration, key '\(key)': \(message)"
        case let .binding(source, modelType, missing, misshaped, unused):
            var counts: [String] = []
            if !missing.isEmpty { counts.append("\(missing.count) missing") }
            if !misshaped.isEmpty { counts.append("\(misshaped.count) with the wrong shape or type") }
            if !unused.isEmpty { counts.append("\(unused.count) unused") }
            var s = "\(source): the tensors do not match the \(modelType) architecture (\(counts.joined(separator: ", "))):"
            // Each list is cut after 20 lines ("... and N more"): 10^5 missing layers stay readable.
            for m in ListSummary.capped(missing) { s += "\n  missing \(m)" }
            for m in ListSummary.capped(misshaped) { s += "\n  wrong shape \(m)" }
            for u in ListSummary.capped(unused) { s += "\n  unused \(u)" }
            return s
        case let .tiedWeightsDiffer(source, name, tiedTo):
            return "\(source): '\(name)' differs from '\(tiedTo)' although the configuration ties them (tie_word_embeddings); set tie_word_embeddings to false if they are separate"
        case let .emptyPrompt(group):
            return "prompt group \(group) has an empty prompt: a prompt needs at least one token (the BOS or first token)"
        case .noTokens:
            return "no tokens to append: incremental decoding needs at least one token"
        case let .tokenOutOfRange(token, position, vocabularySize):
            return "token id \(token) at position \(position) is outside the vocabulary (0..<\(vocabularySize))"
        case let .sequenceTooLong(length, contextLength, modelType):
            return "a sequence of \(length) tokens is longer than the \(modelType) model's context of \(contextLength) tokens; softq never truncates: shorten or split the input"
        }
    }
}
