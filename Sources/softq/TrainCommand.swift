import ArgumentParser
import Foundation
import SoftQRewards
import SoftQScoring
import SoftQTraining

extension TrainingObjective: ExpressibleByArgument {}

struct TrainCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "train",
        abstract: "Train a GPT-2 policy on demonstrations with MLE or offline IQLearn.",
        discussion: """
        Minimises mean_j [ −log π(x_j|s_{j−1}) + λ·(r_j/α)² ] over response tokens, with \
        r_j = α·ℓ_{j−1}[x_j] − γ·V′(s_j) as in extraction (λ = 0 for --objective mle). \
        Writes OUT/model.h5, OUT/checkpoints/step-N.h5 (with AdamW state, for --resume) and \
        OUT/train_log.jsonl.
        """
    )

    @Option(help: "Hugging Face GPT-2 config.json to train from scratch (exclusive with --init).")
    var config: String?

    @Option(name: .customLong("init"), help: "softq checkpoint to fine-tune (its weights, config and tokenizer).")
    var initCheckpoint: String?

    @Option(help: "Demonstrations, JSONL: prompt/response strings or prompt_ids/response_ids arrays.")
    var data: String

    @Option(help: "tokenizer.json for text data (default: the one inside --init); embedded into every checkpoint.")
    var tokenizer: String?

    @Flag(name: .customLong("no-append-eos"), help: "Do not append EOS to text responses (they are then bootstrapped, not terminal).")
    var noAppendEos = false

    /// The flag's earlier name, kept working.
    @Flag(name: .customLong("no-eos"), help: .hidden)
    var noEosAlias = false

    @Option(name: .customLong("eos-token"), help: ArgumentHelp("An end-of-episode token, as an id or the token's text (repeatable); replaces the model's set, and the first is appended to text responses.", valueName: "id|text"))
    var eosToken: [String] = []

    @Option(name: .customLong("bos-token"), help: ArgumentHelp("The BOS token, as an id or the token's text; whether it is added is still the tokenizer's decision.", valueName: "id|text"))
    var bosToken: String?

    @Option(help: "Training objective.")
    var objective: TrainingObjective = .mle

    @Option(help: "λ, weight of the TD term (r/α)² for --objective iqlearn (default 0.1).")
    var tdWeight: Double?

    @Option(help: "Discount γ of r = Q − γ·V′.")
    var gamma: Double = 1

    @Option(name: [.customLong("alpha"), .customLong("temperature")],
            help: ArgumentHelp("Temperature α: Q = α·logits; --temperature is an alias. At least 2.2e-308.", valueName: "α"))
    var alpha: Double = 1

    @Option(help: "When the last state is terminal: eos (default), always, never.")
    var terminal: String = "eos"

    @Option(help: "Number of optimisation steps.")
    var steps: Int = 1000

    @Option(help: "Examples per step (each run on its own, without padding).")
    var batchSize: Int = 16

    @Option(help: "Peak learning rate.")
    var lr: Double = 1e-3

    @Option(help: "Linear warm-up steps before the cosine decay.")
    var warmup: Int = 50

    @Option(help: "Final learning rate as a fraction of --lr.")
    var minLrFraction: Double = 0.1

    @Option(help: "AdamW decoupled weight decay (matrices and embeddings only).")
    var weightDecay: Double = 0.01

    @Option(help: "Clip the global gradient norm to this value (0: no clipping).")
    var gradClip: Double = 1

    @Option(help: "Seed of the initialisation and the data order.")
    var seed: UInt64 = 0

    @Option(help: "Output directory.")
    var out: String

    @Option(help: "Save a resumable checkpoint every N steps (0: only the final model).")
    var checkpointEvery: Int = 100

    @Flag(help: "Continue from the newest checkpoint in --out (same options required).")
    var resume = false

    @Option(help: "Print a progress line every N steps.")
    var logEvery: Int = 10

    @Option(help: "Examples trained in parallel (default: all cores); results do not depend on it.")
    var threads: Int?

    func validate() throws {
        if (config == nil) == (initCheckpoint == nil) {
            throw ValidationError("give exactly one of --config (train from scratch) or --init (fine-tune)")
        }
        if objective == .mle, let tdWeight, tdWeight != 0 {
            throw ValidationError("--td-weight applies to --objective iqlearn; MLE is λ = 0")
        }
        if TerminalMode(rawValue: terminal) == nil {
            throw ValidationError("--terminal must be one of \(TerminalMode.allCases.map(\.rawValue).joined(separator: ", "))")
        }
        if logEvery < 1 { throw ValidationError("--log-every must be at least 1") }
        if let threads, threads < 1 { throw ValidationError("--threads must be at least 1") }
    }

    func run() throws {
        var o = TrainingOptions()
        o.objective = objective
        o.tdWeight = objective == .mle ? 0 : (tdWeight ?? 0.1)
        o.rewards = RewardOptions(alpha: alpha, gamma: gamma, terminal: TerminalMode(rawValue: terminal)!)
        o.steps = steps
        o.batchSize = batchSize
        o.learningRate = lr
        o.warmupSteps = warmup
        o.minLearningRateFraction = minLrFraction
        o.adamW.weightDecay = weightDecay
        o.gradClip = gradClip
        o.seed = seed
        var job = TrainingJob(configPath: config, initCheckpoint: initCheckpoint, dataPath: data, tokenizerPath: tokenizer,
                              appendEOS: !(noAppendEos || noEosAlias), options: o, outputDirectory: out, checkpointEvery: checkpointEvery,
                              resume: resume, threads: threads ?? ProcessInfo.processInfo.activeProcessorCount)
        job.specialTokens = SpecialTokenOptions(eos: eosToken.map(TokenSpec.init), bos: bosToken.map(TokenSpec.init))
        let run = try job.prepare()
        for w in run.warnings { FileHandle.standardError.write(Data("warning: \(w)\n".utf8)) }
        if run.resumedFrom > 0 { print("resuming at step \(run.resumedFrom) from \(out)/checkpoints") }
        print("training \(run.trainer.model.layout.count) parameters on \(run.trainer.examples.count) examples, objective \(objective.rawValue)"
              + (objective == .iqlearn ? " (λ \(o.tdWeight), γ \(gamma), α \(alpha))" : ""))
        try run.run { report in
            if report.step % logEvery == 0 || report.step == steps {
                print(report.progressLine(totalSteps: steps))
                fflush(nil)  // every C output stream: stdout itself is a global var Swift 6 will not read
            }
        }
        print("wrote \(out)/model.h5")
    }
}
