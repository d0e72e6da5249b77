import Foundation
import SoftQBase
import SoftQCheckpoint
import SoftQModels
import SoftQRewards
import SoftQTokenizers

/// A checkpoint turned into everything scoring needs: the model, its tokenizer (embedded or
/// given), the special token ids, and the conventions it was trained with.
public final class LoadedPolicy {
    public let path: String
    public let checkpoint: Checkpoint
    public let model: any CausalLanguageModel
    public let tokenizer: Tokenizer?
    /// SHA-256 of the tokenizer.json bytes used (embedded or from --tokenizer).
    public let tokenizerHash: String?
    public let tokenizerSource: String?
    /// Seconds spent opening the file and binding weights.
    public let loadSeconds: Double

    public enum LoadError: Error, CustomStringConvertible {
        case tokenizer(path: String, detail: String)
        case referenceMismatch(String)
        case specialTokens(path: String, detail: String)

        public var description: String {
            switch self {
            case let .tokenizer(p, d): return "\(p): cannot read the tokenizer: \(d)"
            case let .specialTokens(p, d): return "\(p): special tokens: \(d)"
            case .referenceMismatch(let s): return s
            }
        }
    }

    public init(path: String, tokenizerPath: String? = nil) throws {
        let t0 = Date()
        self.path = path
        checkpoint = try Checkpoint(path: path)
        model = try ModelRegistry.makeModel(modelType: checkpoint.modelType, config: checkpoint.config, weights: checkpoint)
        var tokData: Data? = checkpoint.tokenizerJSON
        var source: String? = tokData == nil ? nil : "\(path):/tokenizer/tokenizer.json"
        var tokConfig = try checkpoint.tokenizerConfig()
        if let tp = tokenizerPath {
            guard let d = FileManager.default.contents(atPath: tp) else {
                throw LoadError.tokenizer(path: tp, detail: "cannot read the file")
            }
            tokData = d
            source = tp
            // A tokenizer given on the command line brings its own tokenizer_config.json, if any.
            let beside = URL(fileURLWithPath: tp).deletingLastPathComponent().appendingPathComponent("tokenizer_config.json").path
            tokConfig = nil
            if let c = FileManager.default.contents(atPath: beside) {
                do { tokConfig = try JSONParser.parse(String(decoding: c, as: UTF8.self)) } catch {
                    throw LoadError.tokenizer(path: beside, detail: "\(error)")
                }
            }
        }
        tokenizerConfig = tokConfig
        if let d = tokData {
            do { tokenizer = try Tokenizer(tokenizerJSON: d) } catch {
                throw LoadError.tokenizer(path: source ?? path, detail: "\(error)")
            }
            tokenizerHash = FileHash.sha256(data: d)
        } else {
            tokenizer = nil
            tokenizerHash = nil
        }
        tokenizerSource = source
        loadSeconds = Date().timeIntervalSince(t0)
    }

    /// `tokenizer_config.json`: the checkpoint's, or the one beside a `--tokenizer` file.
    public let tokenizerConfig: JSONValue?

    /// The special tokens under the rules of docs/spec/special-tokens.md; `chatEndOfTurn` is the
    /// end-of-turn token of the chat template in use, if one is.
    public func specialTokens(_ options: SpecialTokenOptions, chatEndOfTurn: Int? = nil) throws -> SpecialTokens {
        let sources = SpecialTokenSources(config: checkpoint.config, generationConfig: try checkpoint.generationConfig(),
                                          tokenizerConfig: tokenizerConfig, tokenizer: tokenizer,
                                          vocabularySize: model.vocabularySize, chatEndOfTurn: chatEndOfTurn,
                                          eosOverride: options.eos, bosOverride: options.bos)
        do { return try sources.resolve() } catch let e as SpecialTokenError {
            throw LoadError.specialTokens(path: path, detail: e.description)
        }
    }

    /// The reward conventions this policy was trained with (`/training`), else the defaults.
    public func trainedRewardOptions() -> RewardOptions {
        var o = RewardOptions()
        if let a = checkpoint.training.temperature { o.alpha = a }
        if let g = checkpoint.training.gamma { o.gamma = g }
        return o
    }

    /// The one way records become ids for this policy (special tokens resolved, chat template
    /// attached when given).
    public func tokenizationPolicy(appendEOS: Bool, inputPath: String, special: SpecialTokens,
                                   chat: ChatFormat? = nil) -> TokenizationPolicy {
        TokenizationPolicy(tokenizer: tokenizer, appendEOS: appendEOS, special: special, chat: chat,
                           vocabularySize: model.vocabularySize, contextLength: model.contextLength, inputPath: inputPath)
    }

    /// DPO needs the same tokenizer for both models: checked through the tokenizer hashes and
    /// the vocabulary sizes; a reference without any tokenizer is accepted only when the vocabulary matches
    /// (and reported as a warning).
    public func checkCompatible(reference: LoadedPolicy) throws -> [String] {
        if reference.model.vocabularySize != model.vocabularySize {
            throw LoadError.referenceMismatch("\(reference.path): the reference model's vocabulary (\(reference.model.vocabularySize)) differs from the policy's (\(model.vocabularySize)); both must share the tokenizer")
        }
        switch (tokenizerHash, reference.tokenizerHash) {
        case let (a?, b?) where a != b:
            throw LoadError.referenceMismatch("\(reference.path): the reference model's tokenizer (sha256 \(b.prefix(12))…) differs from the policy's (sha256 \(a.prefix(12))…); both must share the tokenizer")
        case (_?, nil), (nil, _?):
            return ["only one of the policy and reference checkpoints embeds a tokenizer; their vocabulary sizes match (\(model.vocabularySize)) but the tokenizers could not be compared"]
        default:
            return []
        }
    }

    /// Provenance of this checkpoint for exports.
    public func provenance() throws -> JSONValue {
        var f: [(String, JSONValue)] = [
            ("path", .string(path)),
            ("sha256", .string(try checkpoint.sha256())),
            ("model_type", .string(checkpoint.modelType)),
            ("parameters", .int(model.parameterCount)),
        ]
        if !checkpoint.training.isEmpty { f.append(("training", checkpoint.training.json)) }
        if let h = tokenizerHash { f.append(("tokenizer_sha256", .string(h))) }
        if let s = tokenizerSource { f.append(("tokenizer_source", .string(s))) }
        return .object(f)
    }
}
