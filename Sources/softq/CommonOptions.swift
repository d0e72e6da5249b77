import ArgumentParser
import Foundation
import Logging
import SoftQBase
import SoftQKernels
import SoftQRewards
import SoftQScoring

/// Which policy to load, shared by every command that runs a model.
struct PolicyOptions: ParsableArguments {
    @Option(name: .long, help: "Path to the policy's softq HDF5 checkpoint.")
    var checkpoint: String

    @Option(name: .long, help: "A tokenizer.json to use instead of the one embedded in the checkpoint.")
    var tokenizer: String?
}

extension TerminalMode: ExpressibleByArgument {}
extension Aggregate: ExpressibleByArgument {}

/// The soft-Q conventions (docs/spec/conventions.md). Unset values default to the checkpoint's
/// `/training` metadata, then to α = 1, γ = 1, terminal `eos`.
struct ConventionOptions: ParsableArguments {
    @Option(name: .long, help: "Discount γ in [0, 1] (default: the checkpoint's training γ, else 1).")
    var gamma: Double?

    @Option(name: [.customLong("alpha"), .customLong("temperature")],
            help: ArgumentHelp("Temperature α that scales Q, V and r (default: the checkpoint's training α, else 1); --temperature is an alias. α must be at least 2.2e-308, and every α·logit a normal double.", valueName: "α"))
    var alpha: Double?

    @Option(name: .long, help: "When the last state is terminal: eos (after an EOS token), always, never.")
    var terminal: TerminalMode = .eos

    @Flag(name: .long, help: "Do not append the tokenizer's EOS token to text responses.")
    var noAppendEos = false

    @Option(name: .long, help: "β of the DPO reward β·Σ(log π − log π_ref) when a reference model is given.")
    var beta: Double = 1

    @OptionGroup var tokens: TokenOptions

    /// How records become tokens under these conventions.
    var tokenization: TokenizationSettings { tokens.settings(appendEOS: !noAppendEos) }

    func rewardOptions(trained: RewardOptions) -> RewardOptions {
        RewardOptions(alpha: alpha ?? trained.alpha, gamma: gamma ?? trained.gamma, terminal: terminal, beta: beta)
    }

    func validate() throws {
        // The rule of the reward math itself (RewardOptions.validate), with the flag's name.
        do {
            try RewardOptions(alpha: alpha ?? 1, gamma: gamma ?? 1, terminal: terminal, beta: beta).validate()
        } catch let RewardError.invalidOption(name, value, rule) {
            throw ValidationError("--\(name) \(rule), got \(value)")
        }
    }
}

/// Special tokens and chat templates (docs/spec/special-tokens.md), shared by every command
/// that turns text into tokens.
struct TokenOptions: ParsableArguments {
    @Option(name: .customLong("eos-token"), help: ArgumentHelp("An end-of-episode token, as an id or the token's text (repeatable); replaces the model's set, and the first is appended to text responses.", valueName: "id|text"))
    var eosToken: [String] = []

    @Option(name: .customLong("bos-token"), help: ArgumentHelp("The BOS token, as an id or the token's text; whether it is added is still the tokenizer's decision.", valueName: "id|text"))
    var bosToken: String?

    @Option(name: .customLong("chat-template"), help: ArgumentHelp("auto (the checkpoint's template for conversational lines), none, always (text lines too, as one user and one assistant turn), a template file, or name:NAME (a named template of the checkpoint).", valueName: "mode"))
    var chatTemplate: String = "auto"

    @Option(name: .customLong("template-date"), help: ArgumentHelp("The date strftime_now renders in chat templates (default: SOURCE_DATE_EPOCH when set, else today, UTC).", valueName: "YYYY-MM-DD"))
    var templateDate: String?

    func settings(appendEOS: Bool) -> TokenizationSettings {
        TokenizationSettings(appendEOS: appendEOS,
                             special: SpecialTokenOptions(eos: eosToken.map(TokenSpec.init), bos: bosToken.map(TokenSpec.init)),
                             chatTemplate: ChatTemplateChoice(argument: chatTemplate), templateDate: templateDate)
    }

    func validate() throws {
        if chatTemplate.isEmpty { throw ValidationError("--chat-template needs a value: auto, none, always, a file, or name:NAME") }
        if let d = templateDate { _ = try TokenizationSettings(templateDate: d).resolvedTemplateDate() }
    }
}

struct RunOptions: ParsableArguments {
    @Option(name: .long, help: "Worker threads for the forward pass (results do not depend on it).")
    var threads: Int = max(1, min(2, ProcessInfo.processInfo.activeProcessorCount))

    @Option(name: .long, help: "Seed for every random choice (bootstrap resamples, sampling).")
    var seed: UInt64 = 0

    @Flag(name: .shortAndLong, help: "Log more detail to stderr.")
    var verbose = false

    func validate() throws {
        if threads < 1 { throw ValidationError("--threads must be at least 1") }
    }
}

/// `--force` for commands that write a run directory (docs/spec/outputs.md, "A run directory is one unit").
struct ForceOption: ParsableArguments {
    @Flag(name: .long, help: "Replace the run already in --out as a whole (its files are removed first).")
    var force = false

    var mode: RunMode { force ? .force : .fresh }
}

/// `--force` and `--resume` for commands whose progress is saved as they go.
struct ResumeOptions: ParsableArguments {
    @Flag(name: .long, help: "Replace the run already in --out as a whole (its files are removed first).")
    var force = false

    @Flag(name: .long, help: "Continue the interrupted run in --out from its saved progress (the same inputs and options are required).")
    var resume = false

    var mode: RunMode { force ? .force : resume ? .resume : .fresh }

    func validate() throws {
        if force && resume { throw ValidationError("--force and --resume exclude each other: --force starts over, --resume continues") }
    }
}

enum CLI {
    /// swift-log to stderr, once per process. `runsModel`: the command runs matrix products,
    /// so OpenBLAS's kernel family matters to it.
    static func bootstrapLogging(verbose: Bool, runsModel: Bool = true) {
        LoggingSystem.bootstrap { label in
            var h = StreamLogHandler.standardError(label: label)
            h.logLevel = verbose ? .debug : .notice
            return h
        }
        // Said on a terminal only (like the progress line), so piped output and tests stay as
        // they are: OpenBLAS's slow fallback kernels cost a user 2-4x without any other sign.
        if runsModel, isatty(STDERR_FILENO) != 0, let advice = BLAS.kernelAdvice {
            logger.notice("\(advice)")
        }
    }

    static let logger = Logger(label: "softq")

    /// Opens `out` as the run directory of `run`, refusing to write over any of `inputs`.
    static func openRun(out: String, run: String, inputs: [String?], mode: RunMode) throws -> RunWriter {
        let w = try RunWriter(out: out, run: run, inputs: inputs, mode: mode)
        if !w.removedTemporaries.isEmpty {
            logger.notice("removed \(w.removedTemporaries.count) temporary file(s) left by killed runs in \(w.directory.path)")
        }
        return w
    }

    /// The progress label, with how many records a resumed run found saved.
    static func progressLabel(_ label: String, resumed: Int) -> String {
        guard resumed > 0 else { return label }
        FileHandle.standardError.write(Data("resuming: \(resumed) records already done\n".utf8))
        return "\(label) (resumed \(resumed))"
    }
}
