/// The `model` stage of a tokenizer.json: BPE (with its merges) or Unigram (scored pieces).
/// The other stages see only what both provide: the vocabulary, the piece of each id, and the
/// ids of a pre-tokenized word.
enum TokenizerModel: Sendable {
    case bpe(BPEModel)
    case unigram(UnigramModel)

    /// Reads `model` by its `type` (absent means BPE, as in older files). `scanned` holds a BPE
    /// vocabulary and merges read from the file's bytes (LargeMemberScan).
    static func read(_ f: JField, scanned: LargeMemberScan?) throws -> TokenizerModel {
        let type = try f.child("type")?.string() ?? "BPE"
        switch type {
        case "Unigram": return .unigram(try UnigramModel.read(f))
        case "BPE": return .bpe(try BPEModel.read(f, scanned: scanned))
        default:
            throw TokenizerError.unsupportedStage(path: f.path, type: type, hint: "softq implements the BPE and Unigram models")
        }
    }

    /// The BPE model, nil for Unigram.
    var bpe: BPEModel? { if case .bpe(let m) = self { return m }; return nil }

    var vocab: Vocabulary {
        switch self {
        case .bpe(let m): return m.vocab
        case .unigram(let m): return m.vocab
        }
    }

    /// Token strings by id (empty string for holes in the id range).
    var idToToken: [String] {
        switch self {
        case .bpe(let m): return m.idToToken
        case .unigram(let m): return m.idToToken
        }
    }

    /// A word as raw UTF-8 bytes in byte-level mode. A Unigram model has no byte-level form of
    /// its own: the word is spelled in ByteLevel's characters and encoded as text.
    func encodeBytes(_ bytes: ArraySlice<UInt8>, into out: inout [Int]) {
        switch self {
        case .bpe(let m): m.encodeBytes(bytes, into: &out)
        case .unigram(let m): m.encodeCharacters(Substring(ByteLevelMap.encode(bytes)), into: &out)
        }
    }

    /// A word as characters (non-byte-level vocabularies).
    func encodeCharacters(_ word: Substring, into out: inout [Int]) {
        switch self {
        case .bpe(let m): m.encodeCharacters(word, into: &out)
        case .unigram(let m): m.encodeCharacters(word, into: &out)
        }
    }
}
