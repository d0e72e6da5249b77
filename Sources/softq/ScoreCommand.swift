import ArgumentParser
import Foundation
import SoftQBase
import SoftQEvaluation
import SoftQKernels
import SoftQRewards
import SoftQScoring

struct ScoreCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "score",
        abstract: "Score held-out preference pairs with a policy's implicit soft-Q reward.",
        discussion: """
        Writes pairs.jsonl, tokens.h5 (or tokens.jsonl), summary.json and last manifest.json into --out, \
        a run directory of its own (docs/spec/outputs.md), saving progress as it goes so --resume can \
        finish an interrupted run, \
        and prints accuracy with a bootstrap 95% CI, ties, the mean margin and per-subset accuracy. \
        Pairs are JSONL lines with prompt/chosen/rejected text, prompt_ids/chosen_ids/rejected_ids, \
        HH-RLHF-style full transcripts (chosen/rejected without prompt), or conversations: TRL's format \
        (prompt, chosen and rejected as lists of messages) or two full conversations sharing their \
        first turns — rendered with the checkpoint's chat template.
        """
    )

    @OptionGroup var policy: PolicyOptions

    @Option(name: .long, help: "A reference checkpoint: adds the DPO reward β·Σ(log π − log π_ref) to every response.")
    var reference: String?

    @Option(name: .long, help: "JSONL file of preference pairs.")
    var pairs: String

    @Option(name: .long, help: "Output run directory (created if missing; see --force and --resume).")
    var out: String

    @Option(name: .long, help: "The aggregate that decides margin and correctness; dpo needs --reference.")
    var score: Aggregate = .sum

    @OptionGroup var conventions: ConventionOptions

    @Option(name: .customLong("per-token"), help: "Per-token values: hdf5 (tokens.h5), jsonl (tokens.jsonl) or none.")
    var perToken: PerTokenFormat = .hdf5

    @Flag(name: .long, help: "Also write the per-pair table as pairs.csv.")
    var csv = false

    @Option(name: .long, help: "Score only the first N valid pairs.")
    var limit: Int?

    @Flag(name: .customLong("skip-invalid"), help: "Skip (and count and report) invalid pairs instead of stopping at the first.")
    var skipInvalid = false

    @Option(name: .customLong("bootstrap-samples"), help: "Bootstrap resamples for the accuracy CI.")
    var bootstrapSamples: Int = 1000

    @Flag(name: .customLong("stack-sequences"),
          help: "Stack several pairs' prompts, then their responses, into each matrix product: faster with OpenBLAS's SkylakeX kernels, more memory; ignored on kernel families where it is not shown batch-invariant (scores may differ from the default in low bits; docs/performance.md).")
    var stackSequences = false

    @OptionGroup var runOptions: RunOptions

    @OptionGroup var runMode: ResumeOptions

    @OptionGroup var shards: ShardOptions

    @OptionGroup var report: ReportFlag

    func validate() throws {
        if let l = limit, l < 1 { throw ValidationError("--limit must be at least 1") }
        if score == .dpo && reference == nil { throw ValidationError("--score dpo needs --reference") }
        if bootstrapSamples < 1 { throw ValidationError("--bootstrap-samples must be at least 1") }
    }

    func run() throws {
        CLI.bootstrapLogging(verbose: runOptions.verbose)
        let writer = try CLI.openRun(out: out, run: "score", inputs: [policy.checkpoint, policy.tokenizer, reference, pairs],
                                     mode: runMode.mode)
        defer { writer.close() }
        try writer.perform(scoreRun)
    }

    func scoreRun(into writer: RunWriter) throws {
        let loaded = try LoadedPolicy(path: policy.checkpoint, tokenizerPath: policy.tokenizer)
        var warnings = loaded.checkpoint.warnings
        let ref = try reference.map { try LoadedPolicy(path: $0, tokenizerPath: policy.tokenizer) }
        if let ref { warnings += try loaded.checkCompatible(reference: ref) }

        let (tp, prepared, allSkipped) = try CLI.preparePairs(pairs, policy: loaded, conventions: conventions, skipInvalid: skipInvalid,
                                                              limit: limit, what: "pairs to score")
        let selection = ShardSelection(prepared, shard: shards.shard, line: { $0.record.line }, skipped: allSkipped)
        let skipped = selection.skipped
        for s in skipped { CLI.logger.warning("skipped \(s.description)") }

        let options = ScoringOptions(rewards: conventions.rewardOptions(trained: loaded.trainedRewardOptions()),
                                     aggregate: score, threads: runOptions.threads, stackSequences: stackSequences)
        if stackSequences && BLAS.stacking == nil {
            CLI.logger.warning("--stack-sequences is ignored: stacking is not shown batch-invariant for OpenBLAS's \(BLAS.coreName) kernels")
        }
        let scorer = try PairScorer(model: loaded.model, reference: ref?.model, options: options)
        let job = try ResumeFingerprint.make(
            policies: [("checkpoint", loaded)] + (ref.map { [("reference", $0)] } ?? []), inputs: [("pairs", pairs)],
            options: fingerprintOptions(options) + [("special_tokens", tp.special.json), ("chat_template", tp.chat?.json ?? .null)])
        let saved = try writer.startProgress(fingerprint: shards.fingerprint(job))
        let progress = ProgressLine(label: CLI.progressLabel("scoring", resumed: saved.resumed), total: selection.items.count)
        let scored = try ResumableScoring.scorePairs(selection.items, scorer: scorer, progress: saved) { done, tokens in
            progress.update(done: done, extra: "\(ProgressLine.rate(done - saved.resumed, progress.elapsed)) pairs/s, \(ProgressLine.rate(tokens, progress.elapsed)) tok/s")
        }
        progress.finish()

        let provenance = shards.provenance(try Provenance.make(command: writer.command, checkpoint: try loaded.provenance(),
                                                               reference: try ref?.provenance(), inputs: [("pairs", pairs)]))
        let record = RunRecord(options: options, tokenization: tp, boundaryChanges: selection.items.reduce(0) { $0 + $1.boundaryChanges },
                               hasReference: ref != nil, perToken: perToken,
                               csv: csv, bootstrap: BootstrapOptions(samples: bootstrapSamples, seed: runOptions.seed),
                               provenance: provenance, warnings: warnings, skipped: skipped)
        // Indices count from the start of the whole input, so a shard's files hold the single run's indices.
        let global = scored.map { p -> ScoredPair in
            var p = p
            p.index += selection.start
            return p
        }
        let (evaluation, _) = try ScoreRunWriter.write(pairs: global, record: record, tokenizer: loaded.tokenizer, to: writer.directory)
        try writer.commit(options: shards.manifestOptions(record.optionsJSON, fingerprint: job), provenance: provenance)
        if let evaluation { print(ScoreRunWriter.table(evaluation, score: score, skipped: skipped.count), terminator: "") } else {
            print("shard \(shards.shard.map { "\($0.index)/\($0.count)" } ?? "") holds no pairs")
        }
        try report.writeIfRequested(run: writer)
        print("wrote \(writer.directory.path)/{pairs.jsonl,\(perToken == .none ? "" : perToken == .hdf5 ? "tokens.h5," : "tokens.jsonl,")\(csv ? "pairs.csv," : "")summary.json,manifest.json}")
    }

    /// Everything besides the input files that the saved scores depend on (checked by --resume).
    func fingerprintOptions(_ options: ScoringOptions) -> [(String, JSONValue)] {
        let r = options.rewards
        return [("score", .string(score.rawValue)), ("temperature", .double(r.alpha)), ("gamma", .double(r.gamma)),
                ("terminal", .string(r.terminal.rawValue)), ("beta", .double(r.beta)), ("append_eos", .bool(!conventions.noAppendEos)),
                ("limit", limit.map { .int($0) } ?? .null), ("skip_invalid", .bool(skipInvalid)),
                ("per_token", .string(perToken.rawValue)), ("csv", .bool(csv)), ("bootstrap_samples", .int(bootstrapSamples)),
                ("seed", .string(String(runOptions.seed)))]
            // Only when on, so the fingerprints of default runs stay what they were.
            + (stackSequences ? [("stack_sequences", .bool(true))] : [])
    }
}

extension PerTokenFormat: ExpressibleByArgument {}
