import ArgumentParser
import Foundation
import SoftQAnalysis
import SoftQBase
import SoftQScoring

/// `softq analyze steps`: per-step rewards of step-labelled solutions (ProcessBench's labels).
struct StepsCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "steps",
        abstract: "Per-step rewards of step-labelled solutions: step AUROC (overall and by position) and ProcessBench first-error F1, against the step log-likelihood.",
        discussion: """
        Input and validation: JSONL with prompt, steps (strings; joined by "\\n" they form the \
        response) and label (the first wrong step, or -1), optional id. A token belongs to the step \
        holding its first byte (the "\\n" joining two steps belongs to the later one; the appended \
        EOS to the last step); a step's reward and log-likelihood are sums over its tokens. Steps \
        before the first error are correct (the positive class), the rest wrong. The first-error \
        threshold is chosen on --validation and applied to --input. Writes steps.json, \
        steps_rows.{jsonl,csv} and steps_solutions.{jsonl,csv} into --out.
        """)

    @OptionGroup var policy: PolicyOptions
    @Option(name: .long, help: "JSONL file of step-labelled solutions to evaluate.")
    var input: String
    @Option(name: .long, help: "JSONL file of step-labelled solutions on which the first-error thresholds are chosen.")
    var validation: String
    @Option(name: .long, help: "Output run directory (created if missing; see --force).")
    var out: String
    @Option(name: .long, help: "Use only the first N valid solutions of each file.")
    var limit: Int?
    @Flag(name: .customLong("skip-invalid"), help: "Skip (and count and report) invalid input lines instead of stopping at the first.")
    var skipInvalid = false
    @Option(name: .customLong("bootstrap-samples"), help: "Bootstrap resamples (of input solutions) for every confidence interval.")
    var bootstrapSamples: Int = 1000
    @OptionGroup var conventions: ConventionOptions
    @OptionGroup var runOptions: RunOptions
    @OptionGroup var runMode: ForceOption
    @OptionGroup var report: ReportFlag

    func validate() throws {
        if let l = limit, l < 1 { throw ValidationError("--limit must be at least 1") }
        if bootstrapSamples < 1 { throw ValidationError("--bootstrap-samples must be at least 1") }
    }

    func run() throws {
        CLI.bootstrapLogging(verbose: runOptions.verbose)
        let writer = try CLI.openRun(out: out, run: "analyze steps", inputs: [policy.checkpoint, policy.tokenizer, input, validation], mode: runMode.mode)
        defer { writer.close() }
        try writer.perform(analyze)
        try report.writeIfRequested(run: writer)
    }

    /// Reads and tokenizes a step file the one way every command does (CLI.prepareInputs).
    func prepare(_ path: String, _ loaded: LoadedPolicy) throws -> (TokenizationPolicy, [PreparedSteps], [InputError]) {
        try CLI.prepareInputs(path, read: { try InputReader.readSteps(path: $0, skipInvalid: $1) }, policy: loaded,
                              conventions: conventions, skipInvalid: skipInvalid, limit: limit, what: "step-labelled solutions") {
            try $0.prepareSteps($1)
        }
    }

    func analyze(into writer: RunWriter) throws {
        let loaded = try LoadedPolicy(path: policy.checkpoint, tokenizerPath: policy.tokenizer)
        let (tp, inputSteps, inputSkipped) = try prepare(input, loaded)
        let (_, validationSteps, validationSkipped) = try prepare(validation, loaded)
        for w in tp.special.warnings { CLI.logger.warning("\(w)") }
        let scorer = try PairScorer(model: loaded.model, options: ScoringOptions(
            rewards: conventions.rewardOptions(trained: loaded.trainedRewardOptions()), aggregate: .sum, threads: runOptions.threads))
        var scored: [[StepSolution]] = []
        for (label, prepared) in [("scoring input", inputSteps), ("scoring validation", validationSteps)] {
            let (line, progress) = AnalysisCLI.progress(label, total: prepared.count)
            scored.append(try StepAnalyses.score(prepared, scorer: scorer, progress: progress))
            line.finish()
        }
        let results = try stepAnalysis(input: scored[0], validation: scored[1], seed: runOptions.seed, resamples: bootstrapSamples)
        let r = scorer.options.rewards
        let options = JSONValue.object([
            ("temperature", .double(r.alpha)), ("gamma", .double(r.gamma)), ("terminal", .string(r.terminal.rawValue)),
            ("append_eos", .bool(tp.appendEOS)), ("special_tokens", tp.special.json),
            ("bootstrap_samples", .int(bootstrapSamples)), ("seed", .string(String(runOptions.seed))),
            ("limit", limit.map { .int($0) } ?? .null),
            ("skipped_inputs", .int(inputSkipped.count)), ("skipped_validation", .int(validationSkipped.count)),
        ])
        let files = stepsFiles(results, input: scored[0], validation: scored[1], options: options,
                               provenance: try AnalysisCLI.provenance(loaded, inputs: [("input", input), ("validation", validation)],
                                                                      command: writer.command))
        try AnalysisCLI.commit(files, into: writer)
        print(AnalysisCLI.table(["step score", "AUROC", "95% CI", "threshold", "acc. erroneous", "acc. correct", "F1", "95% CI"], results.map {
            [$0.score.rawValue, AnalysisCLI.f($0.auroc), AnalysisCLI.ci($0.aurocCI),
             $0.threshold.threshold.isFinite ? AnalysisCLI.f($0.threshold.threshold) : ($0.threshold.threshold < 0 ? "-inf" : "inf"),
             AnalysisCLI.f($0.firstError.accuracyErroneous), AnalysisCLI.f($0.firstError.accuracyCorrect),
             AnalysisCLI.f($0.firstError.f1), AnalysisCLI.ci($0.f1CI)]
        }), terminator: "")
        print("wrote \(out)/steps.json")
    }
}
