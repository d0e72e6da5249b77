import Foundation
import SoftQRewards
import HDF5Kit
import SoftQBase
import SoftQCheckpoint

/// Where a run writes, how often it checkpoints, and the provenance it records.
public struct TrainingRunSettings {
    public var outputDirectory: URL
    /// Save a resumable checkpoint every this many steps (0: only the final model).
    public var checkpointEvery: Int
    /// Continue from the newest checkpoint in `outputDirectory/checkpoints` if there is one.
    public var resume: Bool
    /// The data file as the user gave it, and its SHA-256.
    public var data: String
    public var dataSHA256: String
    /// The checkpoint fine-tuned from (path as given, SHA-256), nil when training from scratch.
    public var parent: (path: String, sha256: String)?
    /// Embedded into every checkpoint so each one is self-contained.
    public var tokenizerJSON: String?
    /// The parent's other tokenizer files and generation config, carried into every checkpoint
    /// so the trained policy resolves the same special tokens and chat template.
    public var tokenizerFiles: [(String, String)] = []
    public var generationConfig: String?
    /// Stop after this many steps *of this process* (tests simulate an interruption with it).
    public var stopAfter: Int?
    /// Examples processed in parallel (the results do not depend on it).
    public var threads: Int = 1

    public init(outputDirectory: URL, checkpointEvery: Int = 0, resume: Bool = false, data: String,
                dataSHA256: String, parent: (path: String, sha256: String)? = nil, tokenizerJSON: String? = nil,
                stopAfter: Int? = nil, threads: Int = 1) {
        self.outputDirectory = outputDirectory
        self.checkpointEvery = checkpointEvery
        self.resume = resume
        self.data = data
        self.dataSHA256 = dataSHA256
        self.parent = parent
        self.tokenizerJSON = tokenizerJSON
        self.stopAfter = stopAfter
        self.threads = threads
    }
}

/// A training run on disk:
/// - `checkpoints/step-NNNNNNNN.h5`: weights, tokenizer, `/training` and the AdamW state under
///   `/optimizer` (datasets `m`, `v` [P] float32 in layout order; attribute `step`). Keeping the
///   moments inside the checkpoint makes weights and optimiser state one atomic file: a crash can
///   never leave a pair that disagrees. Scoring ignores `/optimizer` (a reserved group).
/// - `model.h5`: the final policy, without optimiser state (a third of the size; for sharing).
/// - `train_log.jsonl`: one line per step (loss, mle, td, tokens, grad_norm, lr, tokens_per_s).
public final class TrainingRun {
    public let trainer: Trainer
    public let settings: TrainingRunSettings
    public let configText: String
    /// Steps already done when this process started (the resumed checkpoint's step, else 0).
    public let resumedFrom: Int
    /// Special-token observations of the job (contradicting sources), for the command to print.
    public var warnings: [String] = []
    private var log: [String] = []

    /// `initialWeights` nil trains from scratch (GPT-2 initialisation seeded with `options.seed`).
    public init(config: GPT2TrainingConfig, configText: String, initialWeights: WeightSource?,
                examples: [TrainingExample], options: TrainingOptions, settings: TrainingRunSettings) throws {
        self.settings = settings
        self.configText = configText
        try options.validate()
        let maxLength = examples.map(\.length).max() ?? 1
        let model = GPT2TrainingModel<Float>(config: config, maxSequenceLength: maxLength)
        let fm = FileManager.default
        let checkpoints = settings.outputDirectory.appendingPathComponent("checkpoints")
        let existing = TrainingRun.checkpointSteps(in: checkpoints)
        var optimizer: AdamWState<Float>? = nil
        var resumed = 0
        if let last = existing.last {
            guard settings.resume else {
                throw TrainingError.option(name: "--out", message: "\(settings.outputDirectory.path) already holds checkpoints (last: step \(last)); pass --resume to continue that run, or choose another directory")
            }
            let url = checkpoints.appendingPathComponent(TrainingRun.checkpointName(step: last))
            let ckpt = try Checkpoint(path: url.path)
            let expected = TrainingRun.runIdentity(options: options, settings: settings)
            for (key, value) in expected where ckpt.training[key] != value {
                throw TrainingError.state(file: url.path, message: "cannot resume: '\(key)' was \(ckpt.training[key]?.serialized() ?? "absent") in that run, now \(value.serialized()); use the same options or another --out")
            }
            try model.layout.load(from: ckpt, into: model.params)
            optimizer = try TrainingRun.readOptimizer(ckpt, count: model.layout.count, path: url.path)
            resumed = optimizer!.step
            if let logText = try? String(contentsOf: settings.outputDirectory.appendingPathComponent("train_log.jsonl"), encoding: .utf8) {
                // Keep the lines of the steps the checkpoint includes; later ones are redone.
                log = logText.split(separator: "\n").map(String.init).filter {
                    (try? JSONParser.parse($0))?["step"]?.intValue.map { $0 <= resumed } ?? false
                }
            }
        } else {
            if !settings.resume, fm.fileExists(atPath: settings.outputDirectory.appendingPathComponent("model.h5").path) {
                throw TrainingError.option(name: "--out", message: "\(settings.outputDirectory.path) already holds a trained model.h5; choose another directory (or --resume to redo the run there)")
            }
            if let initialWeights {
                try model.layout.load(from: initialWeights, into: model.params)
            } else {
                initializeGPT2Parameters(model.params, layout: model.layout, nLayer: config.nLayer, seed: options.seed)
            }
        }
        try fm.createDirectory(at: checkpoints, withIntermediateDirectories: true)
        trainer = try Trainer(model: model, examples: examples, options: options, optimizer: optimizer,
                              threads: settings.threads)
        resumedFrom = resumed
    }

    /// Trains to `options.steps` (or `stopAfter` more steps), checkpointing on the way.
    /// `progress` sees every step's report. Returns the reports of this process's steps.
    @discardableResult
    public func run(progress: (StepReport) -> Void = { _ in }) throws -> [StepReport] {
        var reports: [StepReport] = []
        let total = trainer.options.steps
        while trainer.step < total {
            if let stop = settings.stopAfter, reports.count >= stop { return reports }
            let r = try trainer.trainStep()
            reports.append(r)
            log.append(TrainingRun.logLine(r).serialized())
            progress(r)
            if settings.checkpointEvery > 0, r.step % settings.checkpointEvery == 0, r.step < total {
                try writeCheckpoint(to: settings.outputDirectory.appendingPathComponent("checkpoints")
                    .appendingPathComponent(TrainingRun.checkpointName(step: r.step)), withOptimizer: true)
                try writeLog()
            }
        }
        try writeCheckpoint(to: settings.outputDirectory.appendingPathComponent("model.h5"), withOptimizer: false)
        try writeLog()
        return reports
    }

    /// The `/training` attributes of a checkpoint at the current step.
    public var trainingMetadata: [(String, JSONValue)] {
        var m = TrainingRun.runIdentity(options: trainer.options, settings: settings)
        m.insert(("steps", .int(trainer.step)), at: 5)
        m.append(("data", .string(settings.data)))
        if let parent = settings.parent { m.append(("parent", .string(parent.path))) }
        m.append(("softq_version", .string(SoftQVersion.string)))
        return m
    }

    public func writeCheckpoint(to url: URL, withOptimizer: Bool) throws {
        let model = trainer.model, opt = trainer.optimizer
        let extra: ((H5File) throws -> Void)? = withOptimizer ? { f in
            let g = try f.root.createGroup("optimizer")
            try g.attributes.write("format", .string("adamw"))
            try g.attributes.write("step", .int(opt.step))
            for (name, buf) in [("m", opt.m), ("v", opt.v)] {
                let ds = try g.createDataset(name, shape: [buf.count], type: .float32)
                try ds.writeRaw(UnsafeRawBufferPointer(start: buf.pointer, count: buf.count * 4))
            }
        } : nil
        var writer = CheckpointWriter(modelType: "gpt2", configText: configText,
                                      tensors: model.layout.tensors(from: model.params),
                                      tokenizerJSON: settings.tokenizerJSON, training: trainingMetadata, extra: extra)
        writer.tokenizerFiles = settings.tokenizerFiles
        writer.generationConfig = settings.generationConfig
        try writer.write(to: url.path)
    }

    private func writeLog() throws {
        try AtomicFile.write(log.map { $0 + "\n" }.joined(), to: settings.outputDirectory.appendingPathComponent("train_log.jsonl"))
    }

    static func logLine(_ r: StepReport) -> JSONValue {
        .object([("step", .int(r.step)), ("loss", .double(r.loss)), ("mle", .double(r.mle)), ("td", .double(r.td)),
                 ("tokens", .int(r.tokens)), ("grad_norm", .double(r.gradNorm)), ("lr", .double(r.learningRate)),
                 ("tokens_per_s", .double((Double(r.tokens) / max(r.seconds, 1e-9)).rounded()))])
    }

    /// Everything that must agree for a checkpoint to be continued by the current options.
    static func runIdentity(options o: TrainingOptions, settings: TrainingRunSettings) -> [(String, JSONValue)] {
        var m: [(String, JSONValue)] = [
            ("objective", .string(o.objective.rawValue)),
            ("td_weight", .double(o.effectiveTDWeight)),
            ("gamma", .double(o.rewards.gamma)),
            ("temperature", .double(o.rewards.alpha)),
            ("terminal", .string(o.rewards.terminal.rawValue)),
            ("total_steps", .int(o.steps)),
            ("seed", .int(Int(truncatingIfNeeded: o.seed))),
            ("batch_size", .int(o.batchSize)),
            ("learning_rate", .double(o.learningRate)),
            ("warmup_steps", .int(o.warmupSteps)),
            ("min_lr_fraction", .double(o.minLearningRateFraction)),
            ("weight_decay", .double(o.adamW.weightDecay)),
            ("beta1", .double(o.adamW.beta1)),
            ("beta2", .double(o.adamW.beta2)),
            ("adam_epsilon", .double(o.adamW.epsilon)),
            ("grad_clip", .double(o.gradClip)),
            ("data_sha256", .string(settings.dataSHA256)),
        ]
        if let parent = settings.parent { m.append(("parent_sha256", .string(parent.sha256))) }
        return m
    }

    static func checkpointName(step: Int) -> String {
        "step-" + String(repeating: "0", count: max(0, 8 - String(step).count)) + String(step) + ".h5"
    }

    /// Steps of the complete checkpoints in `directory`, ascending (temporary files are ignored).
    static func checkpointSteps(in directory: URL) -> [Int] {
        let names = (try? FileManager.default.contentsOfDirectory(atPath: directory.path)) ?? []
        return names.compactMap { name -> Int? in
            guard name.hasPrefix("step-"), name.hasSuffix(".h5") else { return nil }
            return Int(name.dropFirst(5).dropLast(3))
        }.sorted()
    }

    static func readOptimizer(_ ckpt: Checkpoint, count: Int, path: String) throws -> AdamWState<Float> {
        guard ckpt.file.contains("optimizer") else {
            throw TrainingError.state(file: path, message: "has no /optimizer group, so it cannot be resumed (is it a final model.h5?)")
        }
        let g = try ckpt.file.group("optimizer")
        guard let step = try g.attributes.read("step").intValue else {
            throw TrainingError.state(file: path, message: "/optimizer attribute 'step' is not an integer")
        }
        let state = AdamWState<Float>(count: count)
        state.step = step
        for (name, buf) in [("m", state.m), ("v", state.v)] {
            let values = try g.dataset(name).read(as: Float.self)
            guard values.count == count else {
                throw TrainingError.state(file: path, message: "/optimizer/\(name) has \(values.count) values, the model \(count) parameters")
            }
            values.withUnsafeBufferPointer { buf.pointer.update(from: $0.baseAddress!, count: count) }
        }
        return state
    }
}
