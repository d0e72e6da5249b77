import ArgumentParser
import Foundation
import SoftQAnalysis
import SoftQBase
import SoftQScoring

struct CorrelateCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "correlate",
        abstract: "Correlate the extracted sequence reward with a task metric per generation, and rerank best-of-N.",
        discussion: """
        Generations: JSONL with prompt_id, the response in text (or response), the metric \
        (Scripts/demo/grade.py adds `metric`), and prompt (or --prompts FILE mapping prompt ids to \
        prompts); softq sample's prompt_ids/token_ids are scored verbatim when present.

        Spearman, Pearson and Kendall τ-b with bootstrap 95% CIs, pooled and within prompt \
        (mean over prompts with ≥ 2 generations); best-of-N picks by reward, log-likelihood, \
        length-normalised log-likelihood, at random (expected) and by the oracle. Writes \
        correlation.json and correlation_{rows,best_of_n,generations}.{jsonl,csv} into --out.
        """
    )

    @OptionGroup var policy: PolicyOptions
    @Option(name: .long, help: "JSONL file of graded generations.")
    var generations: String
    @Option(name: .long, help: "JSONL with `id` and `prompt` for generations that give only prompt_id.")
    var prompts: String?
    @Option(name: .customLong("metric-field"), help: "The field holding the task metric.")
    var metricField: String = "metric"
    @Option(name: .customLong("best-of-n"), parsing: .upToNextOption, help: "Candidate counts N (default 1, 2, 4, … up to the largest prompt group).")
    var bestOfNSizes: [Int] = []
    @Option(name: .long, help: "Random N-subsets per prompt when a prompt has more than N generations.")
    var draws: Int = 20
    @OptionGroup var io: AnalysisIOOptions
    @OptionGroup var conventions: ConventionOptions
    @OptionGroup var runOptions: RunOptions

    @OptionGroup var runMode: ResumeOptions

    @OptionGroup var shards: ShardOptions

    func validate() throws {
        if draws < 1 { throw ValidationError("--draws must be at least 1") }
        if bestOfNSizes.contains(where: { $0 < 1 }) { throw ValidationError("--best-of-n sizes must be at least 1") }
    }

    func run() throws {
        CLI.bootstrapLogging(verbose: runOptions.verbose)
        let writer = try CLI.openRun(out: io.out, run: "correlate", inputs: [policy.checkpoint, policy.tokenizer, generations, prompts], mode: runMode.mode)
        defer { writer.close() }
        try writer.perform(analyze)
    }

    func analyze(into writer: RunWriter) throws {
        let loaded = try LoadedPolicy(path: policy.checkpoint, tokenizerPath: policy.tokenizer)
        var lines = try GenerationAnalyses.read(path: generations, promptsPath: prompts, metricField: metricField)
        if let l = io.limit { lines = Array(lines.prefix(l)) }
        // A record is a generation line: a shard may hold part of a prompt's generations (the merge
        // computes the within-prompt statistics and best-of-N over all of them).
        let selection = ShardSelection(lines, shard: shards.shard, line: \.line, skipped: [])
        let tp = try loaded.tokenization(conventions.tokenization, inputPath: generations, conversational: false)
        let scorer = try AnalysisCLI.scorer(loaded, conventions: conventions, io: io, run: runOptions)
        var inputs = [("generations", generations)]
        if let prompts { inputs.append(("prompts", prompts)) }
        let progress = try AnalysisCLI.startProgress(writer, policy: loaded, inputs: inputs, scorer: scorer, tokenization: tp, io: io,
                                                     seed: runOptions.seed, extra: [("draws", .int(draws)), ("metric_field", .string(metricField)),
                                                                                    ("best_of_n", .array(bestOfNSizes.map { .int($0) }))],
                                                     shards: shards)
        let (line, report) = AnalysisCLI.progress(CLI.progressLabel("scoring", resumed: progress.saved.resumed), total: selection.items.count)
        let graded = try GenerationAnalyses.grade(selection.items, path: generations, tokenization: tp, scorer: scorer, saved: progress.saved,
                                                  progress: report)
        line.finish()
        let parameters = CorrelationAnalysis.Parameters(sizes: bestOfNSizes.isEmpty ? nil : bestOfNSizes, draws: draws, seed: runOptions.seed,
                                                        resamples: io.bootstrapSamples, aggregate: io.score.rawValue, metric: metricField)
        guard let (rows, bon) = try AnalysisCLI.finish(
            CorrelationAnalysis.self, part: graded, parameters: parameters,
            options: AnalysisCLI.optionsJSON(scorer, tokenization: tp, io: io, seed: runOptions.seed, skipped: 0, extra: [("draws", .int(draws))]),
            provenance: try AnalysisCLI.provenance(loaded, inputs: inputs, command: writer.command),
            shards: shards, progress: progress, into: writer) else { return }
        print(AnalysisCLI.table(["correlation", "value", "95% CI", "n"], rows.map {
            [$0.name, AnalysisCLI.f($0.value), AnalysisCLI.ci($0.ci), String($0.n)]
        }), terminator: "")
        print(AnalysisCLI.table(["N", "selector", "mean \(metricField)", "95% CI", "prompts"], bon.map {
            [String($0.n), $0.selector, AnalysisCLI.f($0.metricMean), AnalysisCLI.ci($0.ci), String($0.prompts)]
        }), terminator: "")
        print("wrote \(io.out)/correlation.json")
    }
}
