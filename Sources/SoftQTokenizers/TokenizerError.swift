/// Everything that can go wrong reading a tokenizer or decoding ids. Each case names where:
/// the JSON key path (`model.merges[12]`), the stage type, the token or the id.
public enum TokenizerError: Error, CustomStringConvertible, Equatable {
    /// The file is not valid JSON (byte offset of the problem, 1-based).
    case malformedJSON(offset: Int, message: String)
    /// A key is missing or has the wrong JSON type.
    case invalidField(path: String, expected: String, actual: String)
    /// A stage `type` (or an option of a stage) that softq does not implement.
    case unsupportedStage(path: String, type: String, hint: String)
    /// A merge names a token that is not in the vocabulary, or produces one that is not.
    case mergeOutOfVocabulary(path: String, token: String)
    /// A token named by a post-processor, a config or a merge is absent from the vocabulary.
    case unknownToken(path: String, token: String)
    /// A tokenizer without merges (empty or missing file).
    case missingMerges(path: String)
    /// An id outside 0..<vocabularySize passed to decode/pieces/tokenDisplay.
    case idOutOfRange(id: Int, vocabularySize: Int)
    /// A tokenizer file or directory that cannot be read.
    case unreadableFile(path: String, reason: String)
    /// No token at all (an empty `model.vocab` and no added tokens): every text would encode
    /// to nothing. `source` is the file when known, else the field.
    case emptyVocabulary(source: String)

    public var description: String {
        switch self {
        case let .malformedJSON(offset, message):
            return "tokenizer JSON is malformed at byte \(offset): \(message)"
        case let .invalidField(path, expected, actual):
            return "tokenizer field \(path): expected \(expected), got \(actual)"
        case let .unsupportedStage(path, type, hint):
            return "unsupported tokenizer stage at \(path): type \"\(type)\"" + (hint.isEmpty ? "" : " (\(hint))")
        case let .mergeOutOfVocabulary(path, token):
            return "merge at \(path) uses or produces \"\(token)\", which is not in the vocabulary"
        case let .unknownToken(path, token):
            return "token \"\(token)\" named at \(path) is not in the vocabulary"
        case let .missingMerges(path):
            return "no BPE merges at \(path): a byte-level BPE tokenizer needs its merges"
        case let .idOutOfRange(id, size):
            return "token id \(id) is out of range: the vocabulary has ids 0..<\(size)"
        case let .unreadableFile(path, reason):
            return "cannot read tokenizer at \(path): \(reason)"
        case let .emptyVocabulary(source):
            return "tokenizer \(source) has an empty vocabulary (no model.vocab entries and no added_tokens): every text would encode to no tokens"
        }
    }
}
