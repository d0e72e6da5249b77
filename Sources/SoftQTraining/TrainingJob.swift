import Foundation
import SoftQRewards
import SoftQBase
import SoftQCheckpoint

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

        var tokenizerJSON: String? = nil
        if let tokenizerPath {
            guard let data = FileManager.default.contents(atPath: tokenizerPath) else {
                throw TrainingError.option(name: "--tokenizer", message: "cannot read \(tokenizerPath)")
            }
            tokenizerJSON = String(decoding: data, as: UTF8.self)
        } else if let t = parent?.tokenizerJSON {
            tokenizerJSON = String(decoding: t, as: UTF8.self)
        }
        let encode = try tokenizerJSON.map { try makeEncoder(tokenizerJSON: $0, source: tokenizerPath ?? initCheckpoint!, config: config) }
        let loader = TrainingDataLoader(encode: encode, eosTokenID: config.eosTokenID, appendEOS: appendEOS,
                                        vocabSize: config.vocabSize, maxLength: config.nPositions)
        let examples = try loader.load(path: dataPath)
        let settings = TrainingRunSettings(
            outputDirectory: URL(fileURLWithPath: outputDirectory), checkpointEvery: checkpointEvery, resume: resume,
            data: dataPath, dataSHA256: try FileHash.sha256(path: dataPath),
            parent: try parent.map { (path: $0.path, sha256: try $0.sha256()) }, tokenizerJSON: tokenizerJSON,
            threads: threads)
        return try TrainingRun(config: config, configText: configText, initialWeights: parent, examples: examples,
                               options: options, settings: settings)
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
