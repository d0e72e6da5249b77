import Foundation
import SoftQRewards
import SoftQBase
import SoftQCheckpoint
import SoftQScoring
import SoftQTokenizers

/// What `softq train` was asked to do, before any file is read.
public struct TrainingJob {
    /// A Hugging Face GPT-2 config.json: train from scratch (exclusive with `initCheckpoint`).
    public var configPath: String?
    /// A softq checkpoint to fine-tune (its config, weights and tokenizer).
    public var initCheckpoint: String?
    public var dataPath: String
    /// A tokenizer.json; defaults to the one inside `initCheckpoint`.
    public var tokenizerPath: String?
    /// Append the tokenizer's EOS to every text response (the scoring default).
    public var appendEOS = true
    public var options: TrainingOptions
    public var outputDirectory: String
    public var checkpointEvery: Int
    public var resume: Bool
    /// Examples processed in parallel (the results do not depend on it).
    public var threads: Int = 1
    /// `--eos-token` / `--bos-token`, as for scoring.
    public var specialTokens = SpecialTokenOptions()

    public init(configPath: String?, initCheckpoint: String?, dataPath: String, tokenizerPath: String?,
                appendEOS: Bool = true, options: TrainingOptions, outputDirectory: String,
                checkpointEvery: Int, resume: Bool, threads: Int = 1) {
        self.configPath = configPath
        self.initCheckpoint = initCheckpoint
        self.dataPath = dataPath
        self.tokenizerPath = tokenizerPath
        self.appendEOS = appendEOS
        self.options = options
        self.outputDirectory = outputDirectory
        self.checkpointEvery = checkpointEvery
        self.resume = resume
        self.threads = threads
    }

    /// Reads config, parent weights, tokenizer and data, and opens (or resumes) the run.
    public func prepare() throws -> TrainingRun {
        if (configPath == nil) == (initCheckpoint == nil) {
            throw TrainingError.option(name: "--config/--init", message: "give exactly one: --config FILE to train from scratch, or --init CHECKPOINT to fine-tune")
        }
        try options.validate()
        if checkpointEvery < 0 { throw TrainingError.option(name: "--checkpoint-every", message: "must be ≥ 0, got \(checkpointEvery)") }
        var configText: String
        var parent: Checkpoint? = nil
        if let configPath {
            guard let data = FileManager.default.contents(atPath: configPath) else {
                throw TrainingError.config(key: "(file)", message: "cannot read the file", source: configPath)
            }
            configText = String(decoding: data, as: UTF8.self)
        } else {
            let ckpt = try Checkpoint(path: initCheckpoint!)
            guard ckpt.modelType == "gpt2" else {
                throw TrainingError.config(key: "model_type", message: "training supports 'gpt2', the checkpoint is '\(ckpt.modelType)'", source: ckpt.path)
            }
            configText = ckpt.configText
            parent = ckpt
        }
        let source = configPath ?? initCheckpoint!
        let configJSON: JSONValue
        do { configJSON = try JSONParser.parse(configText) } catch {
            throw TrainingError.config(key: "(file)", message: "not valid JSON: \(error)", source: source)
        }
        let config = try GPT2TrainingConfig(json: configJSON, source: source)

        // The tokenizer and its side files: from --tokenizer (with a tokenizer_config.json beside
        // it, if any), else the parent checkpoint's.
        var tokenizerJSON: String? = nil
        var tokenizerFiles: [(String, String)] = []
        var tokenizerConfig: JSONValue? = nil
        if let tokenizerPath {
            guard let data = FileManager.default.contents(atPath: tokenizerPath) else {
                throw TrainingError.option(name: "--tokenizer", message: "cannot read \(tokenizerPath)")
            }
            tokenizerJSON = String(decoding: data, as: UTF8.self)
            let beside = URL(fileURLWithPath: tokenizerPath).deletingLastPathComponent().appendingPathComponent("tokenizer_config.json").path
            if let c = FileManager.default.contents(atPath: beside) {
                let text = String(decoding: c, as: UTF8.self)
                do { tokenizerConfig = try JSONParser.parse(text) } catch {
                    throw TrainingError.option(name: "--tokenizer", message: "\(beside): \(error)")
                }
                tokenizerFiles.append(("tokenizer_config.json", text))
            }
        } else if let parent {
            tokenizerJSON = parent.tokenizerJSON.map { String(decoding: $0, as: UTF8.self) }
            tokenizerConfig = try parent.tokenizerConfig()
            for name in ["tokenizer_config.json"] + (try parent.chatTemplates().keys.sorted().map { $0.isEmpty ? "chat_template.jinja" : "chat_template.\($0).jinja" }) {
                if let text = try parent.tokenizerFile(name) { tokenizerFiles.append((name, text)) }
            }
        }
        let tokenizer: Tokenizer?
        do { tokenizer = try tokenizerJSON.map { try Tokenizer(tokenizerJSON: Data($0.utf8)) } } catch {
            throw TrainingError.option(name: "--tokenizer", message: "\(tokenizerPath ?? initCheckpoint!): \(error)")
        }
        if let tokenizer, tokenizer.vocabularySize > config.vocabSize {
            throw TrainingError.option(name: "--tokenizer", message: "\(tokenizerPath ?? initCheckpoint!) has \(tokenizer.vocabularySize) ids, the model's vocab_size is \(config.vocabSize)")
        }
        let generationConfig = try parent?.generationConfig()
        let special: SpecialTokens
        do {
            special = try SpecialTokenSources(config: configJSON, generationConfig: generationConfig, tokenizerConfig: tokenizerConfig,
                                              tokenizer: tokenizer, vocabularySize: config.vocabSize,
                                              eosOverride: specialTokens.eos, bosOverride: specialTokens.bos).resolve()
        } catch let e as SpecialTokenError {
            throw TrainingError.option(name: "special tokens", message: "\(source): \(e)")
        }
        // The one tokenization policy: what `softq extract` would score for the same lines.
        let tokenization = TokenizationPolicy(tokenizer: tokenizer, appendEOS: appendEOS, special: special,
                                              vocabularySize: config.vocabSize, contextLength: config.nPositions, inputPath: dataPath)
        let examples = try TrainingData.load(path: dataPath, tokenization: tokenization)
        var settings = TrainingRunSettings(
            outputDirectory: URL(fileURLWithPath: outputDirectory), checkpointEvery: checkpointEvery, resume: resume,
            data: dataPath, dataSHA256: try FileHash.sha256(path: dataPath),
            parent: try parent.map { (path: $0.path, sha256: try $0.sha256()) }, tokenizerJSON: tokenizerJSON,
            threads: threads)
        settings.tokenizerFiles = tokenizerFiles
        settings.generationConfig = generationConfig?.serialized()
        let run = try TrainingRun(config: config, configText: configText, initialWeights: parent, examples: examples,
                                  options: options, settings: settings)
        run.warnings = special.warnings
        return run
    }
}

extension StepReport {
    /// "step 10/200  loss 2.3456  mle 2.3012  td 0.4440  lr 1.00e-03  |g| 0.873  1234 tok/s"
    public func progressLine(totalSteps: Int) -> String {
        func f(_ x: Double, _ digits: Int) -> String { String(format: "%.\(digits)f", x) }
        return "step \(step)/\(totalSteps)  loss \(f(loss, 4))  mle \(f(mle, 4))  td \(f(td, 4))  "
            + "lr \(String(format: "%.2e", learningRate))  |g| \(f(gradNorm, 3))  \(Int((Double(tokens) / max(seconds, 1e-9)).rounded())) tok/s"
    }
}
