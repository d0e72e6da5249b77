import ArgumentParser
import Foundation
import SoftQBase
import SoftQEvaluation
import SoftQScoring

struct ExtractCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "extract",
        abstract: "Extract per-token and per-response rewards for responses without pairs (e.g. generations).",
        discussion: """
        Reads JSONL lines with prompt and response (or text), or prompt_ids and response_ids, and \
        writes responses.jsonl (every aggregate per line), tokens.h5 (or tokens.jsonl) and summary.json.
        """
    )

    @OptionGroup var policy: PolicyOptions

    @Option(name: .long, help: "JSONL file of prompt/response lines.")
    var inputs: String

    @Option(name: .long, help: "Output run directory (created if missing; see --force and --resume).")
    var out: String

    @OptionGroup var conventions: ConventionOptions

    @Option(name: .customLong("per-token"), help: "Per-token values: hdf5 (tokens.h5), jsonl (tokens.jsonl) or none.")
    var perToken: PerTokenFormat = .hdf5

    @Option(name: .long, help: "Extract only the first N valid lines.")
    var limit: Int?

    @Flag(name: .customLong("skip-invalid"), help: "Skip (and count and report) invalid lines instead of stopping at the first.")
    var skipInvalid = false

    @OptionGroup var runOptions: RunOptions

    @OptionGroup var runMode: ResumeOptions

    @OptionGroup var shards: ShardOptions

    func run() throws {
        CLI.bootstrapLogging(verbose: runOptions.verbose)
        let writer = try CLI.openRun(out: out, run: "extract", inputs: [policy.checkpoint, policy.tokenizer, inputs], mode: runMode.mode)
        defer { writer.close() }
        try writer.perform(extract)
    }

    func extract(into writer: RunWriter) throws {
        let loaded = try LoadedPolicy(path: policy.checkpoint, tokenizerPath: policy.tokenizer)
        let (tp, prepared, allSkipped) = try CLI.prepareInputs(inputs, read: { try InputReader.readResponses(path: $0, skipInvalid: $1) },
                                                               policy: loaded, conventions: conventions, skipInvalid: skipInvalid,
                                                               limit: limit, what: "lines to score") { try $0.prepare($1) }
        let selection = ShardSelection(prepared, shard: shards.shard, line: { $0.record.line }, skipped: allSkipped)
        let skipped = selection.skipped
        for s in skipped { CLI.logger.warning("skipped \(s.description)") }
        let options = ScoringOptions(rewards: conventions.rewardOptions(trained: loaded.trainedRewardOptions()), threads: runOptions.threads)
        let scorer = try PairScorer(model: loaded.model, options: options)
        let r = options.rewards
        let job = try ResumeFingerprint.make(
            policies: [("checkpoint", loaded)], inputs: [("inputs", inputs)],
            options: [("temperature", .double(r.alpha)), ("gamma", .double(r.gamma)), ("terminal", .string(r.terminal.rawValue)),
                      ("append_eos", .bool(!conventions.noAppendEos)), ("limit", limit.map { .int($0) } ?? .null),
                      ("skip_invalid", .bool(skipInvalid)), ("per_token", .string(perToken.rawValue)), ("seed", .string(String(runOptions.seed))),
                      ("special_tokens", tp.special.json), ("chat_template", tp.chat?.json ?? .null)])
        let saved = try writer.startProgress(fingerprint: shards.fingerprint(job))
        let progress = ProgressLine(label: CLI.progressLabel("extracting", resumed: saved.resumed), total: selection.items.count)
        let scored = try ResumableScoring.scoreSingles(selection.items, scorer: scorer, progress: saved) { done, tokens in
            progress.update(done: done, extra: "\(ProgressLine.rate(tokens, progress.elapsed)) tok/s")
        }
        progress.finish()
        let provenance = shards.provenance(try Provenance.make(command: writer.command, checkpoint: try loaded.provenance(),
                                                               reference: nil, inputs: [("inputs", inputs)]))
        let record = RunRecord(options: options, tokenization: tp, hasReference: false, perToken: perToken,
                               csv: false, bootstrap: BootstrapOptions(samples: 0, seed: runOptions.seed),
                               provenance: provenance, warnings: loaded.checkpoint.warnings, skipped: skipped)
        // Indices count from the start of the whole input, as in the single-process run.
        let global = scored.map { s -> ScoredSingle in
            var s = s
            s.index += selection.start
            return s
        }
        try ExtractRunWriter.write(global, record: record, tokenizer: loaded.tokenizer, to: writer.directory)
        try writer.commit(options: shards.manifestOptions(record.optionsJSON, fingerprint: job), provenance: provenance)
        print("extracted \(scored.count) responses" + (skipped.isEmpty ? "" : " (\(skipped.count) skipped)") + " into \(writer.directory.path)")
    }
}
