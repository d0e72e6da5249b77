import ArgumentParser
import Foundation
import SoftQAnalysis
import SoftQBase
import SoftQRewards
import SoftQScoring

struct MergeCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "merge",
        abstract: "Join the N shard runs of one job (--shard K/N) into the run one process would have written.",
        discussion: """
        Verifies every shard against its manifest, refuses a missing or repeated shard and shards of \
        another job (another checkpoint, input, options or shard count), and writes into --out the \
        single-process run's files: for score and extract the same pairs.jsonl bytes, the same \
        tokens.h5 datasets and summary.json's statistics recomputed over all records with the \
        job's seed; for robustness, correlate and analyze length|sensitivity the analysis files, \
        their statistics (bootstrap intervals included) computed over every shard's records \
        (docs/spec/run-directories.md). Shards may be given in any order.
        """
    )

    @Argument(help: ArgumentHelp("The shard run directories.", valueName: "dir"))
    var shards: [String]

    @Option(name: .long, help: "Output run directory for the merged run.")
    var out: String

    @OptionGroup var runMode: ForceOption

    @OptionGroup var report: ReportFlag

    func run() throws {
        CLI.bootstrapLogging(verbose: false, runsModel: false)
        let set = try ShardSet.load(shards)
        let run = set[0].manifest.run
        guard ShardMerge.runs.contains(run) || AnalysisMerge.runs[run] != nil else { throw ShardMergeError.unsupported(run: run) }
        let inputs = set.flatMap { s in s.manifest.files.map { s.directory.appendingPathComponent($0.path).path } }
        let writer = try CLI.openRun(out: out, run: run, inputs: inputs, mode: runMode.mode)
        defer { writer.close() }
        try writer.perform { writer in
            if AnalysisMerge.runs[run] != nil {
                let r = try AnalysisMerge.write(shards: set, to: writer.directory, out: out)
                try writer.commit(options: r.options, provenance: r.provenance)
                print("\(r.records) records; wrote \(r.files.name).json and its tables")
            } else {
                let r = try ShardMerge.write(shards: set, to: writer.directory, out: out)
                try writer.commit(options: r.options, provenance: r.provenance)
                if let e = r.evaluation {
                    let score = Aggregate(rawValue: r.options["score"]?.stringValue ?? "") ?? .sum
                    print(ScoreRunWriter.table(e, score: score, skipped: r.skipped), terminator: "")
                } else {
                    print("\(r.records) records" + (r.skipped == 0 ? "" : " (\(r.skipped) skipped)"))
                }
            }
            try report.writeIfRequested(run: writer)
            print("merged \(set.count) shards into \(writer.directory.path)")
        }
    }
}
