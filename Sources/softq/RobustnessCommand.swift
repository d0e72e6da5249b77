import ArgumentParser
import Foundation
import SoftQAnalysis
import SoftQBase
import SoftQScoring

struct RobustnessCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "robustness",
        abstract: "Perturb each pair's chosen response and ask whether the reward still prefers the original.",
        discussion: """
        Per perturbation type and strength: win rate (original beats its perturbed copy) with a \
        bootstrap 95% CI, mean reward drop, and how the drop grows with strength. Every copy is a \
        seeded, pure function of (pair, type, strength, --seed). Writes robustness.json, \
        robustness_rows.{jsonl,csv} and robustness_instances.{jsonl,csv} into --out.

        Types (strength = fraction of the response touched): \
        \(PerturbationRegistry.all.map { "  \($0.name): \($0.summary) (default \($0.defaultStrengths.map { String($0) }.joined(separator: ", ")))" }.joined(separator: "\n"))
        """
    )

    @OptionGroup var policy: PolicyOptions
    @Option(name: .long, help: "JSONL file of preference pairs (held out).")
    var pairs: String
    @OptionGroup var io: AnalysisIOOptions
    @Option(name: .customLong("perturbation"),
            help: "A type to run, as NAME or NAME=S1,S2 (strengths in (0, 1]); repeat for more. Default: every type at its default strengths.")
    var perturbations: [String] = []
    @OptionGroup var conventions: ConventionOptions
    @OptionGroup var runOptions: RunOptions

    @OptionGroup var runMode: ResumeOptions

    @OptionGroup var shards: ShardOptions

    func validate() throws {
        do { _ = try PerturbationSelection.parse(perturbations) } catch { throw ValidationError("--perturbation: \(error)") }
    }

    func run() throws {
        CLI.bootstrapLogging(verbose: runOptions.verbose)
        let writer = try CLI.openRun(out: io.out, run: "robustness", inputs: [policy.checkpoint, policy.tokenizer, pairs], mode: runMode.mode)
        defer { writer.close() }
        try writer.perform(analyze)
    }

    func analyze(into writer: RunWriter) throws {
        let selections = try PerturbationSelection.parse(perturbations)
        let loaded = try LoadedPolicy(path: policy.checkpoint, tokenizerPath: policy.tokenizer)
        let (tp, selection) = try AnalysisCLI.preparePairs(pairs, policy: loaded, conventions: conventions, io: io, shards: shards)
        let scorer = try AnalysisCLI.scorer(loaded, conventions: conventions, io: io, run: runOptions)
        let runner = RobustnessRunner(tokenization: tp, scorer: scorer, selections: selections, seed: runOptions.seed, resamples: io.bootstrapSamples)
        let total = selection.items.count * (1 + selections.reduce(0) { $0 + $1.strengths.count })
        let selJSON = JSONValue.array(selections.map {
            .object([("type", .string($0.perturbation.name)), ("strengths", .array($0.strengths.map { .double($0) }))])
        })
        let progress = try AnalysisCLI.startProgress(writer, policy: loaded, inputs: [("pairs", pairs)], scorer: scorer, tokenization: tp,
                                                     io: io, seed: runOptions.seed,
                                                     // Records are saved pair by pair (original, then its copies): a log of
                                                     // the older order (every original first) must not be resumed.
                                                     extra: [("perturbations", selJSON), ("record_order", .string("pair-major"))],
                                                     shards: shards)
        let (line, report) = AnalysisCLI.progress(CLI.progressLabel("perturbations", resumed: progress.saved.resumed), total: total)
        let part = try runner.records(selection.items, firstPairIndex: selection.start, saved: progress.saved, progress: report)
        line.finish()
        let parameters = RobustnessAnalysis.Parameters(typeOrder: selections.map(\.perturbation.name), seed: runOptions.seed,
                                                       resamples: io.bootstrapSamples, aggregate: io.score.rawValue)
        guard let summary = try AnalysisCLI.finish(
            RobustnessAnalysis.self, part: part, parameters: parameters,
            options: AnalysisCLI.optionsJSON(scorer, tokenization: tp, io: io, seed: runOptions.seed, skipped: selection.skipped.count,
                                             extra: [("perturbations", selJSON)]),
            provenance: try AnalysisCLI.provenance(loaded, inputs: [("pairs", pairs)], command: writer.command),
            shards: shards, progress: progress, into: writer) else { return }
        print(AnalysisCLI.table(["perturbation", "strength", "n", "win rate", "95% CI", "mean drop", "skipped"], summary.rows.map {
            [$0.type, String($0.strength), String($0.stats.n), AnalysisCLI.f($0.stats.winRate), AnalysisCLI.ci($0.stats.winRateCI),
             AnalysisCLI.f($0.stats.meanDrop), String($0.skipped)]
        }), terminator: "")
        print("wrote \(io.out)/robustness.json")
    }
}
