import ArgumentParser
import Foundation
import SoftQAnalysis
import SoftQBase
import SoftQEvaluation
import SoftQRewards
import SoftQScoring

/// `softq analyze …`: the pair analyses that need no perturbation or generations.
struct AnalyzeCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "analyze",
        abstract: "Reward-quality analyses: length bias, conventions sensitivity, stability across checkpoints, style-controlled sets (preference pairs), per-step rewards (step-labelled solutions).",
        subcommands: [LengthCommand.self, SensitivityCommand.self, StabilityCommand.self, StyleCommand.self, StepsCommand.self]
    )
}

/// What every analysis command shares: pairs file, output directory, aggregate, bootstrap.
struct AnalysisIOOptions: ParsableArguments {
    @Option(name: .long, help: "Output run directory (created if missing; see --force and, where offered, --resume).")
    var out: String

    @Option(name: .long, help: "The aggregate that decides margins; dpo is refused, since the analyses take no reference model.")
    var score: Aggregate = .sum

    @Option(name: .long, help: "Use only the first N valid input records.")
    var limit: Int?

    @Flag(name: .customLong("skip-invalid"), help: "Skip (and count and report) invalid input lines instead of stopping at the first.")
    var skipInvalid = false

    @Option(name: .customLong("bootstrap-samples"), help: "Bootstrap resamples for every confidence interval.")
    var bootstrapSamples: Int = 1000

    func validate() throws {
        if let l = limit, l < 1 { throw ValidationError("--limit must be at least 1") }
        if score == .dpo { throw ValidationError("--score dpo needs a reference model, which the analyses do not take; use softq score --reference") }
        if bootstrapSamples < 1 { throw ValidationError("--bootstrap-samples must be at least 1") }
    }
}

/// An analysis's saved progress and the job identity it was started with (a shard's manifest records it).
struct AnalysisProgress {
    var saved: RunProgress
    var job: JSONValue
}

enum AnalysisCLI {
    /// Reads and tokenizes pairs exactly as `softq score` does.
    static func preparePairs(_ path: String, policy: LoadedPolicy, conventions: ConventionOptions, io: AnalysisIOOptions) throws
        -> (TokenizationPolicy, [PreparedPair], [InputError]) {
        let r = try CLI.preparePairs(path, policy: policy, conventions: conventions, skipInvalid: io.skipInvalid, limit: io.limit, what: "pairs")
        for w in r.tokenization.special.warnings { CLI.logger.warning("\(w)") }
        return r
    }

    /// `preparePairs`, then this run's slice of the pairs (all of them without --shard) and the
    /// skipped lines it counts.
    static func preparePairs(_ path: String, policy: LoadedPolicy, conventions: ConventionOptions, io: AnalysisIOOptions,
                             shards: ShardOptions) throws -> (TokenizationPolicy, ShardSelection<PreparedPair>) {
        let (tp, prepared, skipped) = try preparePairs(path, policy: policy, conventions: conventions, io: io)
        let selection = ShardSelection(prepared, shard: shards.shard, line: { $0.record.line }, skipped: skipped)
        for s in selection.skipped { CLI.logger.warning("skipped \(s.description)") }
        return (tp, selection)
    }

    static func scorer(_ policy: LoadedPolicy, conventions: ConventionOptions, io: AnalysisIOOptions, run: RunOptions) throws -> PairScorer {
        try PairScorer(model: policy.model, options: ScoringOptions(rewards: conventions.rewardOptions(trained: policy.trainedRewardOptions()),
                                                                    aggregate: io.score, threads: run.threads))
    }

    /// The conventions and analysis settings, as each file's `options`.
    static func optionsJSON(_ s: PairScorer, tokenization tp: TokenizationPolicy, io: AnalysisIOOptions, seed: UInt64, skipped: Int,
                            extra: [(String, JSONValue)] = []) -> JSONValue {
        let r = s.options.rewards
        return .object([
            ("score", .string(s.options.aggregate.rawValue)), ("temperature", .double(r.alpha)), ("gamma", .double(r.gamma)),
            ("terminal", .string(r.terminal.rawValue)), ("append_eos", .bool(tp.appendEOS)),
            ("special_tokens", tp.special.json),
            ("bootstrap_samples", .int(io.bootstrapSamples)), ("seed", .string(String(seed))), ("skipped_inputs", .int(skipped)),
        ] + extra)
    }

    static func provenance(_ policy: LoadedPolicy, inputs: [(String, String)], others: [LoadedPolicy] = [],
                           command: [String] = CommandLine.arguments) throws -> JSONValue {
        var p = try Provenance.make(command: command, checkpoint: try policy.provenance(), reference: nil, inputs: inputs)
        if !others.isEmpty, case .object(var f) = p {
            f.insert(("checkpoints", .array(try ([policy] + others).map { try $0.provenance() })), at: 3)
            p = .object(f)
        }
        return p
    }

    /// Writes the analysis files into the run directory and commits it (manifest.json last).
    static func commit(_ files: AnalysisFiles, into writer: RunWriter) throws {
        try files.write(to: writer.directory.path)
        try writer.commit(options: files.summary["options"] ?? .null, provenance: files.summary["provenance"] ?? .null)
    }

    /// Ends a shardable analysis: without --shard, computes the statistics, writes the files,
    /// commits and returns the results to print; with --shard, writes the shard's records for
    /// softq merge, commits with the job's identity in the manifest and returns nil.
    static func finish<A: ShardableAnalysis>(_: A.Type, part: A.Part, parameters: A.Parameters, options: JSONValue,
                                             provenance: JSONValue, shards: ShardOptions, progress: AnalysisProgress,
                                             into writer: RunWriter) throws -> A.Results? {
        guard let shard = shards.shard else {
            let results = try A.analyze(part, parameters)
            try commit(A.files(results, part, parameters, options: options, provenance: provenance), into: writer)
            return results
        }
        let provenance = shards.provenance(provenance)
        try A.writeShard(part, parameters, shard: shard, options: options, provenance: provenance, to: writer.directory)
        try writer.commit(options: shards.manifestOptions(options, fingerprint: progress.job), provenance: provenance)
        print("shard \(shard.index)/\(shard.count): \(A.records(part)) records in \(writer.directory.path)/\(A.shardFileName); join the \(shard.count) shards with softq merge")
        return nil
    }

    /// Starts (or, with --resume, continues) the saved per-record progress of an analysis; a
    /// shard's progress resumes only the same shard.
    static func startProgress(_ writer: RunWriter, policy: LoadedPolicy, inputs: [(String, String)], scorer: PairScorer, tokenization: TokenizationPolicy,
                              io: AnalysisIOOptions, seed: UInt64, extra: [(String, JSONValue)], shards: ShardOptions)
        throws -> AnalysisProgress {
        let options = optionsJSON(scorer, tokenization: tokenization, io: io, seed: seed, skipped: 0, extra: extra)
        let fields = (options.objectValue ?? []).filter { $0.0 != "skipped_inputs" }
            + [("limit", io.limit.map { .int($0) } ?? .null), ("skip_invalid", .bool(io.skipInvalid))]
        let job = try ResumeFingerprint.make(policies: [("checkpoint", policy)], inputs: inputs, options: fields)
        return AnalysisProgress(saved: try writer.startProgress(fingerprint: shards.fingerprint(job)), job: job)
    }

    static func progress(_ label: String, total: Int) -> (ProgressLine, (Int, Int) -> Void) {
        let line = ProgressLine(label: label, total: total)
        return (line, { done, tokens in
            line.update(done: done, extra: "\(ProgressLine.rate(tokens, line.elapsed)) tok/s")
        })
    }

    /// A plain fixed-width table for the terminal.
    static func table(_ header: [String], _ rows: [[String]]) -> String {
        let widths = header.indices.map { c in ([header[c]] + rows.map { $0[c] }).map(\.count).max() ?? 0 }
        func line(_ cells: [String]) -> String {
            cells.enumerated().map { c, s in c == 0 ? s.padding(toLength: widths[c], withPad: " ", startingAt: 0)
                : String(repeating: " ", count: widths[c] - s.count) + s }.joined(separator: "  ")
        }
        return ([line(header), line(widths.map { String(repeating: "-", count: $0) })] + rows.map(line)).joined(separator: "\n") + "\n"
    }

    static func f(_ d: Double?, _ digits: Int = 3) -> String {
        guard let d, d.isFinite else { return "–" }
        return String(format: "%.\(digits)f", d)
    }

    static func ci(_ c: ConfidenceInterval?) -> String {
        guard let c else { return "–" }
        return "[\(f(c.low)), \(f(c.high))]"
    }
}
