import Foundation
import SoftQBase

/// A byte-level BPE tokenizer that encodes and decodes exactly as Hugging Face `tokenizers`
/// does for GPT-2, Llama-3, Qwen2 and SmolLM2 style `tokenizer.json` files.
///
/// Pipeline (Hugging Face's order): added tokens are cut out of the raw text, the rest is
/// normalized, pre-tokenized into words, and each word is BPE-encoded; the post-processor adds
/// BOS/EOS only when `addSpecialTokens` is true. Every stage softq does not implement is an
/// error at load time naming the stage, never a silent approximation.
public struct Tokenizer: Sendable {
    let model: TokenizerModel
    let normalizer: Normalizer?
    let preTokenizer: PreTokenizer?
    let decoder: Decoder?
    let prefixIDs: [Int]
    let suffixIDs: [Int]
    let rawAdded: AddedMatcher
    let normalizedAdded: AddedMatcher
    let addedByID: [Int: AddedToken]
    let addedByContent: [ExactString: Int]
    let byteLevel: Bool

    /// One past the largest id of the vocabulary or the added tokens.
    public let vocabularySize: Int
    public let bosTokenID: Int?
    public let eosTokenID: Int?
    /// Whether `encode(_, addSpecialTokens: true)` prepends the BOS token.
    public var addsBOS: Bool { bosTokenID != nil && prefixIDs.first == bosTokenID }
    /// The ids the post-processor puts before the text with `addSpecialTokens` (e.g. [BOS]);
    /// read-only facts of the file, whatever `bosTokenID` is.
    public var specialPrefixIDs: [Int] { prefixIDs }
    /// The ids the post-processor puts after the text with `addSpecialTokens` (e.g. [EOS]).
    public var specialSuffixIDs: [Int] { suffixIDs }

    /// Reads a Hugging Face `tokenizer.json`. `configJSON` (a `tokenizer_config.json`), when
    /// given, names the BOS/EOS tokens (`bos_token`, `eos_token`); otherwise BOS is the first
    /// id the post-processor prepends, else a conventional name present in the vocabulary.
    public init(tokenizerJSON: Data, configJSON: Data? = nil) throws {
        // The vocabulary and merges of a well-formed BPE file are read by a dedicated scan;
        // anything it does not accept is read (and its error reported) the ordinary way.
        let scan = LargeMemberScan(tokenizerJSON)
        let root = JField(node: try parseTokenizerJSON(scan?.remainder ?? tokenizerJSON), path: "")
        guard case .object = root.node else {
            throw TokenizerError.invalidField(path: "(root)", expected: "object", actual: root.node.typeName)
        }
        for key in ["truncation", "padding"] {
            if let t = root.child(key) {
                throw TokenizerError.unsupportedStage(path: t.path, type: key, hint: "set \(key) to null; softq never truncates or pads")
            }
        }
        let model = try TokenizerModel.read(try root.required("model"), scanned: scan)
        let added = try root.child("added_tokens")?.array().map(AddedToken.init) ?? []
        let normalizer = try root.child("normalizer").map(Normalizer.init)
        let pre = try root.child("pre_tokenizer").map(PreTokenizer.init)
        let decoder = try root.child("decoder").map(Decoder.init)
        let post = try root.child("post_processor").map(PostProcessor.init)
        var config: JField? = nil
        if let c = configJSON { config = JField(node: try parseTokenizerJSON(c), path: "tokenizer_config") }
        try self.init(model: model, added: added, normalizer: normalizer, preTokenizer: pre, decoder: decoder,
                      prefix: post?.prefix ?? [], suffix: post?.suffix ?? [], config: config)
    }

    /// Reads GPT-2's `vocab.json` (OpenAI's encoder.json) and `merges.txt` (vocab.bpe): the
    /// ByteLevel pre-tokenizer and decoder, `<|endoftext|>` as a special token when present —
    /// what `GPT2TokenizerFast` builds from the same pair.
    public init(vocabJSON: Data, merges: String) throws {
        let root = JField(node: try parseTokenizerJSON(vocabJSON), path: "vocab.json")
        let entries = try root.object()
        let vocab = try Vocabulary(try entries.map { ($0.0, try $0.1.int()) }) { "vocab.json." + $0 }
        let model = try BPEModel(vocab: vocab, merges: try BPEModel.parseMergesText(merges), mergePath: BPEModel.mergesTextPath,
                                 ignoreMerges: false, unkToken: nil)
        var added: [AddedToken] = []
        if let eot = vocab["<|endoftext|>"] {
            added.append(AddedToken(id: eot, content: "<|endoftext|>", special: true, normalized: false))
        }
        try self.init(model: .bpe(model), added: added, normalizer: nil,
                      preTokenizer: .byteLevel(addPrefixSpace: false, useRegex: true), decoder: .byteLevel,
                      prefix: [], suffix: [], config: nil)
    }

    private init(model: TokenizerModel, added: [AddedToken], normalizer: Normalizer?, preTokenizer: PreTokenizer?,
                 decoder: Decoder?, prefix: [Int], suffix: [Int], config: JField?) throws {
        self.model = model
        self.normalizer = normalizer
        self.preTokenizer = preTokenizer
        self.decoder = decoder
        prefixIDs = prefix
        suffixIDs = suffix
        rawAdded = AddedMatcher(added.filter { !$0.normalized })
        normalizedAdded = AddedMatcher(added.filter { $0.normalized })
        var byID: [Int: AddedToken] = [:], byContent: [ExactString: Int] = [:]
        for t in added { byID[t.id] = t; byContent[ExactString(t.content)] = t.id }
        addedByID = byID
        addedByContent = byContent
        byteLevel = preTokenizer?.isByteLevel ?? false
        vocabularySize = max(model.idToToken.count, (added.map(\.id).max() ?? -1) + 1)
        // Without a single token every text silently encodes to nothing.
        guard vocabularySize > 0 else { throw TokenizerError.emptyVocabulary(source: "model.vocab") }
        for id in prefix + suffix where id < 0 || id >= vocabularySize {
            throw TokenizerError.idOutOfRange(id: id, vocabularySize: vocabularySize)
        }

        (bosTokenID, eosTokenID) = try Tokenizer.bosAndEOS(config: config, byContent: byContent, vocab: model.vocab,
                                                           prefix: prefix, suffix: suffix)
    }

    /// BOS/EOS ids: named by the config, else the post-processor's first prefix / last suffix id,
    /// else a conventional name present in the vocabulary.
    private static func bosAndEOS(config: JField?, byContent: [ExactString: Int], vocab: Vocabulary,
                                  prefix: [Int], suffix: [Int]) throws -> (Int?, Int?) {
        /// The id of the token a tokenizer_config.json names (a string or {"content": ...}).
        func named(_ key: String) throws -> Int? {
            guard let f = config?.child(key) else { return nil }
            let name: String
            if case .string(let s) = f.node { name = s } else { name = try f.required("content").string() }
            guard let id = byContent[ExactString(name)] ?? vocab[name] else { throw TokenizerError.unknownToken(path: f.path, token: name) }
            return id
        }
        func known(_ names: [String]) -> Int? { names.lazy.compactMap { byContent[ExactString($0)] ?? vocab[$0] }.first }
        // A config that sets a token to null means "none" (Qwen2 has no BOS): no guessing then.
        func explicitNull(_ key: String) -> Bool { config?.node[key]?.isNull == true }
        let bos = explicitNull("bos_token") ? nil
            : try named("bos_token") ?? prefix.first ?? known(["<|begin_of_text|>", "<s>", "<bos>", "<|bos|>", "<|endoftext|>"])
        let eos = explicitNull("eos_token") ? nil
            : try named("eos_token") ?? suffix.last ?? known(["<|end_of_text|>", "<|endoftext|>", "</s>", "<eos>", "<|eos|>", "<|im_end|>"])
        return (bos, eos)
    }

    // MARK: encoding

    /// Token ids of `text`; with `addSpecialTokens` the post-processor's ids (e.g. BOS) too.
    public func encode(_ text: String, addSpecialTokens: Bool = false) -> [Int] {
        var out: [Int] = []
        out.reserveCapacity(text.utf8.count / 3 + 4)
        if addSpecialTokens { out += prefixIDs }
        if rawAdded.isEmpty {
            encodeSegment(Substring(text), atStart: true, into: &out)
        } else {
            let bytes = Array(text.utf8)
            for piece in rawAdded.split(bytes) {
                switch piece {
                case .token(let id): out.append(id)
                case .text(let r):
                    encodeSegment(Substring(String(decoding: bytes[r], as: UTF8.self)), atStart: r.lowerBound == 0, into: &out)
                }
            }
        }
        if addSpecialTokens { out += suffixIDs }
        return out
    }

    /// `atStart`: the segment begins the input text (Metaspace's `first` prepends only there).
    private func encodeSegment(_ raw: Substring, atStart: Bool, into out: inout [Int]) {
        guard !raw.isEmpty else { return }
        let text = normalizer.map { Substring($0.apply(String(raw))) } ?? raw
        if normalizedAdded.isEmpty { encodeWords(text, atStart: atStart, into: &out); return }
        let bytes = Array(text.utf8)
        for piece in normalizedAdded.split(bytes) {
            switch piece {
            case .token(let id): out.append(id)
            case .text(let r):
                encodeWords(Substring(String(decoding: bytes[r], as: UTF8.self)), atStart: atStart && r.lowerBound == 0, into: &out)
            }
        }
    }

    private func encodeWords(_ segment: Substring, atStart: Bool, into out: inout [Int]) {
        guard !segment.isEmpty else { return }
        var s = segment
        if preTokenizer?.addsPrefixSpace == true, s.unicodeScalars.first != " " { s = Substring(" " + s) }
        // A leading Metaspace step rewrites the text before the splits.
        if let m = preTokenizer?.leadingMetaspace { s = m.rewrite(s, atStart: atStart) }
        let text = ScalarText(s)
        let whole = [0..<text.count]
        let words = preTokenizer?.apply(text, whole) ?? whole
        for w in words where !w.isEmpty {
            if byteLevel {
                model.encodeBytes(text.bytes(w), into: &out)
            } else {
                model.encodeCharacters(Substring(String(decoding: text.bytes(w), as: UTF8.self)), into: &out)
            }
        }
    }

    // MARK: decoding

    /// The vocabulary string of one id (an added token's content for added ids).
    private func tokenString(_ id: Int) throws -> String {
        if let a = addedByID[id] { return a.content }
        guard id >= 0, id < model.idToToken.count, !model.idToToken[id].isEmpty else {
            throw TokenizerError.idOutOfRange(id: id, vocabularySize: vocabularySize)
        }
        return model.idToToken[id]
    }

    /// The text of `ids`; special added tokens are dropped with `skipSpecialTokens`.
    public func decode(_ ids: [Int], skipSpecialTokens: Bool = false) throws -> String {
        var tokens: [String] = []
        tokens.reserveCapacity(ids.count)
        for id in ids {
            let t = try tokenString(id)
            if skipSpecialTokens, let a = addedByID[id], a.special { continue }
            tokens.append(t)
        }
        guard let decoder else { return tokens.joined(separator: " ") }
        return decoder.decode(tokens).joined()
    }

    /// The token strings as they appear in the vocabulary (byte-level spelling, e.g. "Ġthe").
    public func pieces(_ ids: [Int]) throws -> [String] { try ids.map(tokenString) }

    /// The text one token decodes to on its own (U+FFFD for a partial UTF-8 sequence).
    public func tokenDisplay(_ id: Int) throws -> String { try decode([id]) }

    /// The id of a vocabulary or added-token string.
    public func id(forToken token: String) -> Int? { addedByContent[ExactString(token)] ?? model.vocab[token] }

    /// Whether `id` is an added token marked special (`<|im_end|>`, `<eos>`, …).
    public func isSpecial(_ id: Int) -> Bool { addedByID[id]?.special ?? false }

    /// The vocabulary string of `id` (an added token's content), nil when out of range.
    public func tokenText(_ id: Int) -> String? { try? tokenString(id) }
}
