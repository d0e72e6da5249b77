import SoftQBase
import SoftQTokenizers

/// A token named on the command line (`--eos-token`, `--bos-token`): an id, or a token's text.
public enum TokenSpec: Sendable, Equatable, CustomStringConvertible {
    case id(Int)
    case text(String)

    public init(_ argument: String) {
        if let i = Int(argument) { self = .id(i) } else { self = .text(argument) }
    }

    public var description: String {
        switch self {
        case .id(let i): return String(i)
        case .text(let s): return s.debugDescription
        }
    }
}

/// `--eos-token` / `--bos-token` as the commands pass them on.
public struct SpecialTokenOptions: Sendable, Equatable {
    public var eos: [TokenSpec]
    public var bos: TokenSpec?
    public init(eos: [TokenSpec] = [], bos: TokenSpec? = nil) { self.eos = eos; self.bos = bos }
}

/// Everything that may name a special token, in the order of authority
/// (docs/spec/special-tokens.md): the model's config, its generation config, the chat
/// template's end-of-turn token, then the tokenizer's own files.
public struct SpecialTokenSources: Sendable {
    /// The model's `config` (its `eos_token_id` may be an int or a list, `bos_token_id` an int).
    public var config: JSONValue
    public var generationConfig: JSONValue?
    public var tokenizerConfig: JSONValue?
    public var tokenizer: Tokenizer?
    /// The number of logits the model emits: every special id must be below it.
    public var vocabularySize: Int
    /// The token that closes an assistant turn under the chat template in use, if any.
    public var chatEndOfTurn: Int?
    /// `--eos-token` (replaces the whole end-of-episode set) and `--bos-token`.
    public var eosOverride: [TokenSpec]
    public var bosOverride: TokenSpec?

    public init(config: JSONValue, generationConfig: JSONValue? = nil, tokenizerConfig: JSONValue? = nil,
                tokenizer: Tokenizer? = nil, vocabularySize: Int, chatEndOfTurn: Int? = nil,
                eosOverride: [TokenSpec] = [], bosOverride: TokenSpec? = nil) {
        self.config = config
        self.generationConfig = generationConfig
        self.tokenizerConfig = tokenizerConfig
        self.tokenizer = tokenizer
        self.vocabularySize = vocabularySize
        self.chatEndOfTurn = chatEndOfTurn
        self.eosOverride = eosOverride
        self.bosOverride = bosOverride
    }
}

/// A special-token problem that makes scoring impossible (an id outside the vocabulary, a
/// name no vocabulary entry has, a malformed field).
public struct SpecialTokenError: Error, CustomStringConvertible, Equatable, Sendable {
    public let source: String
    public let message: String
    public var description: String { "\(source): \(message)" }
}

/// The resolved special tokens of a run: which ids end an episode, which EOS is appended to
/// text responses, which BOS starts a prompt and whether it is added — each with where it came
/// from, plus every contradiction between sources as a warning.
public struct SpecialTokens: Sendable, Equatable {
    public struct Entry: Sendable, Equatable {
        public var id: Int
        /// Where the id was named (`config.eos_token_id`, `generation_config.eos_token_id`, …).
        public var sources: [String]
    }

    /// The end-of-episode set, in order of authority.
    public var endOfEpisode: [Entry]
    /// The id appended to text responses (the config's first EOS when it names one).
    public var appendedEOS: Int?
    public var bosID: Int?
    public var bosSource: String?
    /// Whether prompts start with BOS, decided by the tokenizer alone.
    public var addBOS: Bool
    public var addBOSSource: String
    public var warnings: [String]
    /// Token texts for records and messages, where a tokenizer is known.
    public var texts: [Int: String]

    public var eosIDs: [Int] { endOfEpisode.map(\.id) }

    /// Whether a response ending in `id` reached a terminal state (terminal mode `eos`).
    public func endsEpisode(_ id: Int?) -> Bool {
        guard let id else { return false }
        return endOfEpisode.contains { $0.id == id }
    }

    /// `options.special_tokens` in summary.json.
    public var json: JSONValue {
        func text(_ id: Int) -> JSONValue { texts[id].map { .string($0) } ?? .null }
        return .object([
            ("eos_ids", .array(eosIDs.map { .int($0) })),
            ("eos_sources", .array(endOfEpisode.map { e in
                .object([("id", .int(e.id)), ("token", text(e.id)), ("sources", .array(e.sources.map { .string($0) }))])
            })),
            ("append_eos_id", appendedEOS.map { .int($0) } ?? .null),
            ("bos_id", bosID.map { .int($0) } ?? .null),
            ("bos_token", bosID.map(text) ?? .null),
            ("bos_source", bosSource.map { .string($0) } ?? .null),
            ("add_bos", .bool(addBOS)),
            ("add_bos_source", .string(addBOSSource)),
        ])
    }

    /// Lines for `softq inspect`.
    public var summaryLines: [String] {
        func named(_ id: Int) -> String { texts[id].map { "\(id) \($0.debugDescription)" } ?? String(id) }
        var out = ["end of episode: " + (endOfEpisode.isEmpty ? "none" : endOfEpisode.map { "\(named($0.id)) (\($0.sources.joined(separator: ", ")))" }.joined(separator: "; "))]
        out.append("appended EOS: " + (appendedEOS.map(named) ?? "none"))
        out.append("BOS: " + (bosID.map { "\(named($0)) (\(bosSource ?? "?"))" } ?? "none") + ", " + (addBOS ? "added" : "not added") + " (\(addBOSSource))")
        return out
    }
}

extension SpecialTokenSources {
    /// Names the guessers fall back on when no file names a token (last resort, with a warning).
    static let eosNames = ["<|end_of_text|>", "<|endoftext|>", "</s>", "<eos>", "<|eos|>", "<|im_end|>"]
    static let bosNames = ["<|begin_of_text|>", "<s>", "<bos>", "<|bos|>", "<|endoftext|>"]

    /// Applies the rules of docs/spec/special-tokens.md.
    public func resolve() throws -> SpecialTokens {
        var warnings: [String] = []
        var texts: [Int: String] = [:]
        func remember(_ id: Int) { if let t = tokenizer?.tokenText(id) { texts[id] = t } }

        // --- End of episode.
        let cfgEOS = try ids(config, "eos_token_id", source: "config.eos_token_id")
        let genEOS = try ids(generationConfig, "eos_token_id", source: "generation_config.eos_token_id")
        let tokCfgEOS = try named(tokenizerConfig, "eos_token", source: "tokenizer_config.json eos_token")
        let postEOS = tokenizer?.specialSuffixIDs.last
        var entries: [SpecialTokens.Entry] = []
        func add(_ id: Int, _ source: String) {
            if let k = entries.firstIndex(where: { $0.id == id }) { entries[k].sources.append(source) }
            else { entries.append(.init(id: id, sources: [source])) }
        }
        var appended: Int?
        if !eosOverride.isEmpty {
            for spec in eosOverride { add(try resolve(spec, option: "--eos-token"), "--eos-token") }
            appended = entries.first?.id
        } else {
            for id in cfgEOS { add(id, "config.eos_token_id") }
            for id in genEOS { add(id, "generation_config.eos_token_id") }
            if let eot = chatEndOfTurn { add(eot, "chat template end of turn") }
            appended = cfgEOS.first ?? genEOS.first ?? chatEndOfTurn
            if entries.isEmpty {
                if let id = tokCfgEOS { add(id, "tokenizer_config.json eos_token") }
                else if let id = postEOS { add(id, "tokenizer post-processor") }
                else if let id = guess(Self.eosNames) {
                    add(id, "guessed from the token's name")
                    warnings.append("no config, generation config or tokenizer file names an EOS token; guessed id \(id) (\(tokenizer?.tokenText(id)?.debugDescription ?? "?")) from its name — pass --eos-token to be sure")
                }
                appended = entries.first?.id
            }
            // Contradictions: a source naming an id the others do not (a superset is fine).
            let c = Set(cfgEOS), g = Set(genEOS)
            if !c.isEmpty, !g.isEmpty, !c.isSubset(of: g), !g.isSubset(of: c) {
                warnings.append("config.eos_token_id \(cfgEOS) and generation_config.eos_token_id \(genEOS) name different tokens; every one of them ends an episode")
            }
            let set = Set(entries.map(\.id))
            for (id, src) in [(tokCfgEOS, "tokenizer_config.json eos_token"), (postEOS, "the tokenizer's post-processor")] {
                if let id, !set.contains(id) {
                    warnings.append("\(src) names EOS id \(id) (\(tokenizer?.tokenText(id)?.debugDescription ?? "?")), which is not in the end-of-episode set \(entries.map(\.id)) from the model's config; it is ignored")
                }
            }
        }

        // --- BOS: named by the same order of authority; added only as the tokenizer says.
        let cfgBOS = try ids(config, "bos_token_id", source: "config.bos_token_id").first
        let genBOS = try ids(generationConfig, "bos_token_id", source: "generation_config.bos_token_id").first
        let tokCfgBOS = try named(tokenizerConfig, "bos_token", source: "tokenizer_config.json bos_token")
        let postBOS = tokenizer?.specialPrefixIDs.first
        var bos: Int?, bosSource: String?
        if let spec = bosOverride {
            bos = try resolve(spec, option: "--bos-token"); bosSource = "--bos-token"
        } else {
            let ordered: [(Int?, String)] = [(cfgBOS, "config.bos_token_id"), (genBOS, "generation_config.bos_token_id"),
                                             (tokCfgBOS, "tokenizer_config.json bos_token"), (postBOS, "tokenizer post-processor")]
            if let first = ordered.first(where: { $0.0 != nil }) {
                bos = first.0; bosSource = first.1
                for (id, src) in ordered where id != nil && id != bos {
                    warnings.append("\(src) names BOS id \(id!), but \(first.1) names \(bos!); softq uses \(bos!)")
                }
            } else if let id = guess(Self.bosNames) {
                bos = id; bosSource = "guessed from the token's name"
            }
        }
        var addBOS = false, addSource = "no tokenizer"
        if case .bool(let b)? = tokenizerConfig?["add_bos_token"] {
            addBOS = b; addSource = "tokenizer_config.json add_bos_token"
        } else if let tokenizer {
            addBOS = !tokenizer.specialPrefixIDs.isEmpty
            addSource = addBOS ? "the tokenizer's post-processor prepends it" : "the tokenizer's post-processor adds none"
        }
        if addBOS {
            guard bos != nil else {
                throw SpecialTokenError(source: addSource, message: "the tokenizer adds a BOS token but no source names its id; pass --bos-token")
            }
        }

        // --- Every id must be a row of the model's output.
        for e in entries where e.id < 0 || e.id >= vocabularySize {
            throw SpecialTokenError(source: e.sources.joined(separator: ", "), message: "EOS id \(e.id) is outside the model's vocabulary (0..<\(vocabularySize))")
        }
        if let b = bos, b < 0 || b >= vocabularySize {
            throw SpecialTokenError(source: bosSource ?? "BOS", message: "BOS id \(b) is outside the model's vocabulary (0..<\(vocabularySize))")
        }
        for e in entries { remember(e.id) }
        if let b = bos { remember(b) }
        return SpecialTokens(endOfEpisode: entries, appendedEOS: appended, bosID: bos, bosSource: bosSource,
                             addBOS: addBOS, addBOSSource: addSource, warnings: warnings, texts: texts)
    }

    /// `key` of a config object as a list of ids (an int, a list of ints, null or absent).
    func ids(_ object: JSONValue?, _ key: String, source: String) throws -> [Int] {
        guard let v = object?[key] else { return [] }
        switch v {
        case .null: return []
        case .int(let i): return [i]
        case .array(let items):
            return try items.map {
                guard let i = $0.intValue else { throw SpecialTokenError(source: source, message: "expected an integer or a list of integers, found \(v.serialized())") }
                return i
            }
        default: throw SpecialTokenError(source: source, message: "expected an integer or a list of integers, found \(v.typeName)")
        }
    }

    /// The id of a token a `tokenizer_config.json` names (a string or `{"content": …}`).
    func named(_ object: JSONValue?, _ key: String, source: String) throws -> Int? {
        guard let v = object?[key] else { return nil }
        let name: String
        switch v {
        case .null: return nil
        case .string(let s): name = s
        case .object:
            guard let s = v["content"]?.stringValue else { throw SpecialTokenError(source: source, message: "expected a string or an object with 'content'") }
            name = s
        default: throw SpecialTokenError(source: source, message: "expected a string or an object with 'content', found \(v.typeName)")
        }
        guard let tokenizer else { return nil }
        guard let id = tokenizer.id(forToken: name) else {
            throw SpecialTokenError(source: source, message: "names the token \(name.debugDescription), which the tokenizer's vocabulary does not contain")
        }
        return id
    }

    func resolve(_ spec: TokenSpec, option: String) throws -> Int {
        switch spec {
        case .id(let i): return i
        case .text(let t):
            guard let tokenizer else { throw SpecialTokenError(source: option, message: "\(t.debugDescription) is a token's text, but there is no tokenizer to look it up; give the id") }
            guard let id = tokenizer.id(forToken: t) else { throw SpecialTokenError(source: option, message: "the tokenizer has no token \(t.debugDescription)") }
            return id
        }
    }

    func guess(_ names: [String]) -> Int? {
        guard let tokenizer else { return nil }
        return names.lazy.compactMap { tokenizer.id(forToken: $0) }.first
    }
}
