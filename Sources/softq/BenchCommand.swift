import ArgumentParser
import Foundation
import SoftQBase
import SoftQScoring

struct BenchCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "bench",
        abstract: "Time the scoring of a pair set: tokens/s, pairs/s, GFLOP/s against the sgemm peak, load time, peak memory.",
        discussion: """
        Loads the checkpoint, scores the first pair (the time from process start to that result \
        is reported), measures the sgemm peak at the same thread count, then scores every pair \
        --repeats times and reports the median pass. Tokens count the prompt once per pair plus \
        both responses. The scores are exactly those of `softq score` (--out writes pairs.jsonl).

        The machine may be shared: compare ratios from one run (Scripts/bench/compare.py).
        """
    )

    @OptionGroup var policy: PolicyOptions

    @Option(name: .long, help: "JSONL file of preference pairs (text or token ids).")
    var pairs: String

    @Option(name: .long, help: "Timed passes over all pairs; the median is reported.")
    var repeats: Int = 3

    @Option(name: .customLong("chunk-size"), help: "Pairs per model call (results do not depend on it).")
    var chunkSize: Int = 16

    @Option(name: .long, help: "Benchmark only the first N valid pairs.")
    var limit: Int?

    @Option(name: .long, help: "Write pairs.jsonl (the scores of the last pass) into this directory.")
    var out: String?

    @Flag(name: .long, help: "Print the measurements as one JSON object instead of a table.")
    var json = false

    @Flag(name: .customLong("stack-sequences"),
          help: "Stack several pairs' prompts, then their responses, into each matrix product (on OpenBLAS kernel families where that is shown batch-invariant; scores may differ from the default in low bits).")
    var stackSequences = false

    @OptionGroup var conventions: ConventionOptions

    @OptionGroup var runOptions: RunOptions

    @OptionGroup var runMode: ForceOption

    func validate() throws {
        if repeats < 1 { throw ValidationError("--repeats must be at least 1") }
        if chunkSize < 1 { throw ValidationError("--chunk-size must be at least 1") }
        if let l = limit, l < 1 { throw ValidationError("--limit must be at least 1") }
    }

    func run() throws {
        CLI.bootstrapLogging(verbose: runOptions.verbose)
        guard let out else { return try bench(into: nil) }
        // Opened before the benchmark, so a refused --out fails at once, not after it.
        let writer = try CLI.openRun(out: out, run: "bench", inputs: [policy.checkpoint, policy.tokenizer, pairs], mode: runMode.mode)
        defer { writer.close() }
        try writer.perform(bench)
    }

    func bench(into writer: RunWriter?) throws {
        let loaded = try LoadedPolicy(path: policy.checkpoint, tokenizerPath: policy.tokenizer)
        let (records, _) = try InputReader.readPairs(path: pairs, skipInvalid: false)
        let tp = try loaded.tokenization(conventions.tokenization, inputPath: pairs,
                                         conversational: records.contains { $0.isConversational })
        var prepared: [PreparedPair] = []
        for r in records {
            prepared.append(try tp.prepare(r))
            if let limit, prepared.count >= limit { break }
        }
        try NoUsableInputError.require(prepared, path: pairs, what: "pairs to benchmark", skipped: [])
        let scoring = ScoringOptions(rewards: conventions.rewardOptions(trained: loaded.trainedRewardOptions()),
                                     threads: runOptions.threads, chunkSize: chunkSize, stackSequences: stackSequences)
        let report = try Bench.run(policy: loaded, pairs: prepared, scoring: scoring,
                                   options: BenchOptions(threads: runOptions.threads, chunkSize: chunkSize, repeats: repeats))
        if let writer {
            var lines = JSONLinesWriter()
            for p in report.scored { lines.append(ScoreRunWriter.pairJSON(p, score: scoring.aggregate)) }
            try lines.write(to: writer.directory.appendingPathComponent("pairs.jsonl"))
            let r = scoring.rewards
            try writer.commit(options: .object([("score", .string(scoring.aggregate.rawValue)), ("temperature", .double(r.alpha)),
                                                ("gamma", .double(r.gamma)), ("terminal", .string(r.terminal.rawValue)),
                                                ("append_eos", .bool(!conventions.noAppendEos)), ("limit", limit.map { .int($0) } ?? .null)]),
                              provenance: try Provenance.make(command: CommandLine.arguments, checkpoint: try loaded.provenance(),
                                                              reference: nil, inputs: [("pairs", pairs)]))
        }
        print(json ? report.json.serialized() : report.table, terminator: json ? "\n" : "")
    }
}
