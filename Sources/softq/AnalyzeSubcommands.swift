import ArgumentParser
import Foundation
import SoftQAnalysis
import SoftQBase
import SoftQRewards
import SoftQScoring

struct LengthCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "length",
        abstract: "Length bias: reward–length Spearman, accuracy by length bucket, length-matched accuracy, for each aggregate.",
        discussion: "Writes length.json and length_buckets.{jsonl,csv} into --out.")

    @OptionGroup var policy: PolicyOptions
    @Option(name: .long, help: "JSONL file of preference pairs.")
    var pairs: String
    @OptionGroup var io: AnalysisIOOptions
    @Option(name: .customLong("match-tolerance"), help: "Pairs count as length-matched when their lengths differ by at most this fraction of the longer one.")
    var matchTolerance: Double = 0.1
    @OptionGroup var conventions: ConventionOptions
    @OptionGroup var runOptions: RunOptions

    @OptionGroup var runMode: ResumeOptions

    @OptionGroup var shards: ShardOptions

    func validate() throws {
        if !(matchTolerance >= 0 && matchTolerance.isFinite) { throw ValidationError("--match-tolerance must be ≥ 0") }
    }

    func run() throws {
        CLI.bootstrapLogging(verbose: runOptions.verbose)
        let writer = try CLI.openRun(out: io.out, run: "analyze length", inputs: [policy.checkpoint, policy.tokenizer, pairs], mode: runMode.mode)
        defer { writer.close() }
        try writer.perform(analyze)
    }

    func analyze(into writer: RunWriter) throws {
        let loaded = try LoadedPolicy(path: policy.checkpoint, tokenizerPath: policy.tokenizer)
        let (tp, selection) = try AnalysisCLI.preparePairs(pairs, policy: loaded, conventions: conventions, io: io, shards: shards)
        let scorer = try AnalysisCLI.scorer(loaded, conventions: conventions, io: io, run: runOptions)
        let progress = try AnalysisCLI.startProgress(writer, policy: loaded, inputs: [("pairs", pairs)], scorer: scorer, tokenization: tp, io: io,
                                                     seed: runOptions.seed, extra: [("match_tolerance", .double(matchTolerance))], shards: shards)
        let (line, report) = AnalysisCLI.progress(CLI.progressLabel("scoring", resumed: progress.saved.resumed), total: selection.items.count)
        let scored = try ResumableScoring.scorePairs(selection.items, scorer: scorer, progress: progress.saved, report: report)
        line.finish()
        let parameters = LengthAnalysis.Parameters(aggregates: [io.score] + Aggregate.allCases.filter { $0 != io.score && $0 != .dpo },
                                                   tolerance: matchTolerance, seed: runOptions.seed, resamples: io.bootstrapSamples)
        guard let results = try AnalysisCLI.finish(
            LengthAnalysis.self, part: PairAnalyses.lengthPairs(scored), parameters: parameters,
            options: AnalysisCLI.optionsJSON(scorer, tokenization: tp, io: io, seed: runOptions.seed, skipped: selection.skipped.count,
                                             extra: [("match_tolerance", .double(matchTolerance))]),
            provenance: try AnalysisCLI.provenance(loaded, inputs: [("pairs", pairs)], command: writer.command),
            shards: shards, progress: progress, into: writer) else { return }
        print(AnalysisCLI.table(["aggregate", "ρ(reward, length)", "shorter", "same", "longer", "matched", "balanced"], results.map { r in
            [r.aggregate, AnalysisCLI.f(r.rewardLengthSpearman)] + r.buckets.map { "\(AnalysisCLI.f($0.accuracy)) (\($0.n))" }
                + ["\(AnalysisCLI.f(r.matched.accuracy)) (\(r.matched.n))", AnalysisCLI.f(r.balancedAccuracy)]
        }), terminator: "")
        print("wrote \(io.out)/length.json")
    }
}

struct SensitivityCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "sensitivity",
        abstract: "Agreement and margins across γ, terminal mode and aggregate, and the shaping-invariance demonstration.",
        discussion: "Writes sensitivity.json and sensitivity_variants.{jsonl,csv} into --out. The base variant is the run's own conventions.")

    @OptionGroup var policy: PolicyOptions
    @Option(name: .long, help: "JSONL file of preference pairs.")
    var pairs: String
    @OptionGroup var io: AnalysisIOOptions
    @Option(name: .customLong("gammas"), parsing: .upToNextOption, help: "The discounts of the grid.")
    var gammas: [Double] = [1, 0.99, 0.9]
    @Option(name: .customLong("offset-scale"), help: "Standard deviation of the random per-state logit offsets of the shaping demonstration (0 turns it off).")
    var offsetScale: Double = 1
    @OptionGroup var conventions: ConventionOptions
    @OptionGroup var runOptions: RunOptions

    @OptionGroup var runMode: ResumeOptions

    @OptionGroup var shards: ShardOptions

    func validate() throws {
        if gammas.isEmpty || gammas.contains(where: { !($0 >= 0 && $0 <= 1) }) { throw ValidationError("--gammas must be numbers in [0, 1]") }
        if !(offsetScale >= 0 && offsetScale.isFinite) { throw ValidationError("--offset-scale must be ≥ 0") }
    }

    func run() throws {
        CLI.bootstrapLogging(verbose: runOptions.verbose)
        let writer = try CLI.openRun(out: io.out, run: "analyze sensitivity", inputs: [policy.checkpoint, policy.tokenizer, pairs], mode: runMode.mode)
        defer { writer.close() }
        try writer.perform(analyze)
    }

    func analyze(into writer: RunWriter) throws {
        let loaded = try LoadedPolicy(path: policy.checkpoint, tokenizerPath: policy.tokenizer)
        let (tp, selection) = try AnalysisCLI.preparePairs(pairs, policy: loaded, conventions: conventions, io: io, shards: shards)
        let scorer = try AnalysisCLI.scorer(loaded, conventions: conventions, io: io, run: runOptions)
        let progress = try AnalysisCLI.startProgress(writer, policy: loaded, inputs: [("pairs", pairs)], scorer: scorer, tokenization: tp, io: io,
                                                     seed: runOptions.seed, extra: [("offset_scale", .double(offsetScale)),
                                                                                    ("gammas", .array(gammas.map { .double($0) }))],
                                                     shards: shards)
        let (line, report) = AnalysisCLI.progress(CLI.progressLabel("scoring", resumed: progress.saved.resumed), total: selection.items.count)
        let raw = try PairAnalyses.rawPairs(selection.items, scorer: scorer, saved: progress.saved, progress: report)
        line.finish()
        let r = scorer.options.rewards
        let parameters = SensitivityAnalysis.Parameters(base: ConventionVariant(gamma: r.gamma, terminal: r.terminal, aggregate: io.score),
                                                        gammas: gammas, alpha: r.alpha, offsetScale: offsetScale, seed: runOptions.seed,
                                                        resamples: io.bootstrapSamples)
        guard let (rows, shaping) = try AnalysisCLI.finish(
            SensitivityAnalysis.self, part: raw, parameters: parameters,
            options: AnalysisCLI.optionsJSON(scorer, tokenization: tp, io: io, seed: runOptions.seed, skipped: selection.skipped.count,
                                             extra: [("offset_scale", .double(offsetScale))]),
            provenance: try AnalysisCLI.provenance(loaded, inputs: [("pairs", pairs)], command: writer.command),
            shards: shards, progress: progress, into: writer) else { return }
        print(AnalysisCLI.table(["variant", "accuracy", "95% CI", "mean margin", "agree w/ base"], rows.map {
            [$0.variant.name, AnalysisCLI.f($0.accuracy), AnalysisCLI.ci($0.accuracyCI), AnalysisCLI.f($0.meanMargin), AnalysisCLI.f($0.agreementWithBase)]
        }), terminator: "")
        if let s = shaping {
            print("shaping (offsets σ = \(s.offsetScale)): max |Δ log π| = \(s.maxLogprobChange), mean |Δ r| = \(AnalysisCLI.f(s.meanRewardChange)), shaping identity residual = \(s.maxShapingResidual), γ = 1 identity residual = \(s.maxIdentityResidual)")
            for b in s.blocks {
                print("  γ = \(b.gamma), terminal \(b.terminal.rawValue): max |Δ margin| = \(b.maxMarginChange), decisions changed: \(b.decisionsChanged) of \(b.pairs)")
            }
        }
        print("wrote \(io.out)/sensitivity.json")
    }
}

struct StabilityCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "stability",
        abstract: "Stability across checkpoints: Spearman and Kendall of margins and per-token rewards, agreement of decisions.",
        discussion: "Give --checkpoint twice or more (training steps, seeds, objectives; one tokenizer). Writes stability.json and stability_comparisons.{jsonl,csv}.")

    @Option(name: .long, help: "A softq checkpoint; repeat for each one to compare (at least two).")
    var checkpoint: [String]
    @Option(name: .long, help: "A tokenizer.json to use instead of the ones embedded in the checkpoints.")
    var tokenizer: String?
    @Option(name: .long, help: "JSONL file of preference pairs.")
    var pairs: String
    @OptionGroup var io: AnalysisIOOptions
    @Option(name: .customLong("max-tokens"), help: "Per-token correlations use at most this many tokens (a seeded sample).")
    var maxTokens: Int = 20000
    @OptionGroup var conventions: ConventionOptions
    @OptionGroup var runOptions: RunOptions

    @OptionGroup var runMode: ForceOption

    func validate() throws {
        if checkpoint.count < 2 { throw ValidationError("give at least two --checkpoint options") }
        if maxTokens < 2 { throw ValidationError("--max-tokens must be at least 2") }
    }

    func run() throws {
        CLI.bootstrapLogging(verbose: runOptions.verbose)
        let writer = try CLI.openRun(out: io.out, run: "analyze stability", inputs: checkpoint.map { Optional($0) } + [tokenizer, pairs], mode: runMode.mode)
        defer { writer.close() }
        try writer.perform(analyze)
    }

    func analyze(into writer: RunWriter) throws {
        let loaded = try checkpoint.map { try LoadedPolicy(path: $0, tokenizerPath: tokenizer) }
        for other in loaded.dropFirst() {
            for w in try loaded[0].checkCompatible(reference: other) { CLI.logger.warning("\(w)") }
        }
        var all: [CheckpointScores] = []
        var optionsJSON: JSONValue = .null
        var pairCount = 0
        for (k, policy) in loaded.enumerated() {
            let (tp, prepared, skipped) = try AnalysisCLI.preparePairs(pairs, policy: policy, conventions: conventions, io: io)
            let scorer = try AnalysisCLI.scorer(policy, conventions: conventions, io: io, run: runOptions)
            let (line, report) = AnalysisCLI.progress("scoring \(k + 1)/\(loaded.count)", total: prepared.count)
            let scored = try scorer.scorePairs(prepared, progress: report)
            line.finish()
            all.append(PairAnalyses.checkpointScores(name: checkpoint[k], scored: scored, aggregate: io.score))
            if k == 0 {
                pairCount = prepared.count
                optionsJSON = AnalysisCLI.optionsJSON(scorer, tokenization: tp, io: io, seed: runOptions.seed,
                                                      skipped: skipped.count, extra: [("max_tokens", .int(maxTokens))])
            } else if prepared.count != pairCount {
                throw DataError(message: "\(checkpoint[k]) accepts \(prepared.count) pairs of \(pairs), \(checkpoint[0]) \(pairCount): the checkpoints must tokenize the pairs alike")
            }
        }
        let rows = try stability(all, maxTokens: maxTokens, seed: runOptions.seed, resamples: io.bootstrapSamples)
        let files = stabilityFiles(rows, checkpoints: checkpoint, pairs: pairCount, options: optionsJSON,
                                   provenance: try AnalysisCLI.provenance(loaded[0], inputs: [("pairs", pairs)], others: Array(loaded.dropFirst())))
        try AnalysisCLI.commit(files, into: writer)
        print(AnalysisCLI.table(["first", "second", "margin ρ", "margin τ", "token ρ", "token τ", "agreement", "κ"], rows.map {
            [$0.first, $0.second, AnalysisCLI.f($0.marginSpearman.value), AnalysisCLI.f($0.marginKendall.value),
             AnalysisCLI.f($0.tokenSpearman.value), AnalysisCLI.f($0.tokenKendall.value), AnalysisCLI.f($0.decisionAgreement), AnalysisCLI.f($0.kappa)]
        }), terminator: "")
        print("wrote \(io.out)/stability.json")
    }
}

struct StyleCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "style",
        abstract: "Style-controlled sets (RM-Bench's shape): the k×k chosen-vs-rejected accuracy and easy/normal/hard accuracy.",
        discussion: "Each line: prompt, chosen and rejected as arrays of k variants, least to most styled. Writes style.json and style_matrix.{jsonl,csv}.")

    @OptionGroup var policy: PolicyOptions
    @Option(name: .long, help: "JSONL file of style sets.")
    var sets: String
    @OptionGroup var io: AnalysisIOOptions
    @OptionGroup var conventions: ConventionOptions
    @OptionGroup var runOptions: RunOptions

    @OptionGroup var runMode: ForceOption

    func run() throws {
        CLI.bootstrapLogging(verbose: runOptions.verbose)
        let writer = try CLI.openRun(out: io.out, run: "analyze style", inputs: [policy.checkpoint, policy.tokenizer, sets], mode: runMode.mode)
        defer { writer.close() }
        try writer.perform(analyze)
    }

    func analyze(into writer: RunWriter) throws {
        let loaded = try LoadedPolicy(path: policy.checkpoint, tokenizerPath: policy.tokenizer)
        var styleSets = try readStyleSets(path: sets)
        if let l = io.limit { styleSets = Array(styleSets.prefix(l)) }
        let tp = try loaded.tokenization(conventions.tokenization, inputPath: sets, conversational: false)
        let scorer = try AnalysisCLI.scorer(loaded, conventions: conventions, io: io, run: runOptions)
        let (line, report) = AnalysisCLI.progress("scoring", total: styleSets.reduce(0) { $0 + 2 * $1.chosen.count })
        let (c, r) = try GenerationAnalyses.styleRewards(styleSets, path: sets, tokenization: tp, scorer: scorer, progress: report)
        line.finish()
        let m = try styleAccuracy(chosen: c, rejected: r)
        let files = styleFiles(m, aggregate: io.score.rawValue,
                               options: AnalysisCLI.optionsJSON(scorer, tokenization: tp, io: io, seed: runOptions.seed, skipped: 0),
                               provenance: try AnalysisCLI.provenance(loaded, inputs: [("sets", sets)]))
        try AnalysisCLI.commit(files, into: writer)
        print(AnalysisCLI.table(["chosen \\ rejected"] + (0..<m.k).map { "style \($0)" },
                                (0..<m.k).map { i in ["style \(i)"] + m.accuracy[i].map { AnalysisCLI.f($0) } }), terminator: "")
        print("easy \(AnalysisCLI.f(m.easy))  normal \(AnalysisCLI.f(m.normal))  hard \(AnalysisCLI.f(m.hard))  (\(m.n) prompts)")
        print("wrote \(io.out)/style.json")
    }
}
