import ArgumentParser
import Foundation
import SoftQBase
import SoftQReport

struct ReportCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "report",
        abstract: "Render run directories into one self-contained report.html (inline CSS and SVG, no network).",
        discussion: """
        Renders whatever a run directory holds (summary.json, pairs.jsonl, tokens.jsonl, robustness.json, \
        length.json, correlation.json, sensitivity.json) and writes every plot also as plots/NAME.svg beside \
        the report. With several directories the report adds a side-by-side comparison.
        """
    )

    @Argument(help: "One or more run directories written by softq (score, rewards, robustness, correlate).")
    var directories: [String]

    @Option(name: .shortAndLong, help: "The report file to write (default: DIR/report.html for one run; required for several).")
    var out: String?

    @Option(name: .customLong("pair"), help: "Show this pair (or response) id token by token; repeatable.")
    var pairs: [String] = []

    @Option(help: "How many pairs with the lowest margins to show token by token.")
    var worst: Int = 3

    @Option(help: "How many pairs with the highest margins to show token by token.")
    var best: Int = 3

    @Option(help: "How many further pairs to draw at random (seeded) to show token by token.")
    var sample: Int = 3

    @Option(help: "Seed for the random sample of pairs and for thinning large scatter plots.")
    var seed: UInt64 = 0

    @Option(help: "How many responses to show for a run without pairs (softq rewards).")
    var responses: Int = 10

    @Option(help: "The report's title (default: softq report: RUN names).")
    var title: String?

    func validate() throws {
        if directories.isEmpty { throw ValidationError("give at least one run directory") }
        if directories.count > 1 && out == nil {
            throw ValidationError("several run directories need --out PATH for the report")
        }
        for (name, v) in [("--worst", worst), ("--best", best), ("--sample", sample), ("--responses", responses)] where v < 0 {
            throw ValidationError("\(name) must be ≥ 0, got \(v)")
        }
        // The report never replaces a file of a run (summary.json, pairs.jsonl, …): a usage
        // error, found before anything runs.
        if target.lastPathComponent != "report.html" && RunWriter.isKnownOutputName(target.lastPathComponent) {
            throw ValidationError("refusing to write the report over \(target.path): that name belongs to a run's outputs; choose another --out")
        }
    }

    /// The report file: --out, else report.html in the (only) run directory.
    var target: URL {
        out.map { URL(fileURLWithPath: $0) } ?? URL(fileURLWithPath: directories[0]).appendingPathComponent("report.html")
    }

    func run() throws {
        var options = ReportOptions()
        options.worst = worst
        options.best = best
        options.sample = sample
        options.seed = seed
        options.pairIDs = pairs
        options.responses = responses
        options.title = title
        let dirs = directories.map { URL(fileURLWithPath: $0) }
        let target = self.target
        // A report written into a run directory becomes part of that run: the directory is
        // locked and verified first, and its manifest lists the report and plots afterwards.
        let targetDir = target.deletingLastPathComponent()
        let run = try RunWriter.appending(to: targetDir)
        defer { run?.close() }
        // ReportError describes itself (file, line, field); ArgumentParser prints it and exits 1.
        let r = try Report.write(runs: dirs, to: target, options: options)
        for d in dirs where (try? RunManifest.read(d)) == nil {
            FileHandle.standardError.write(Data("warning: \(d.path) has no manifest.json (an older softq's run?): its files are unverified\n".utf8))
        }
        if let run {
            let prefix = run.directory.path + "/"
            let written = [target.standardizedFileURL.path] + r.plots.map { targetDir.appendingPathComponent("plots/\($0.name)").standardizedFileURL.path }
            try run.add(written.compactMap { $0.hasPrefix(prefix) ? String($0.dropFirst(prefix.count)) : nil })
        }
        print("wrote \(target.path) and \(r.plots.count) plots in \(target.deletingLastPathComponent().appendingPathComponent("plots").path)")
    }
}

/// `--report` for commands that write a run directory (score, robustness, correlate): add
/// `@OptionGroup var report: ReportFlag` and call `try report.writeIfRequested(run:)` after
/// the run is committed; the report and its plots join the run's manifest.
struct ReportFlag: ParsableArguments {
    @Flag(name: .customLong("report"), help: "Also render the run directory into report.html (see softq report).")
    var enabled = false

    func writeIfRequested(run: RunWriter) throws {
        guard enabled else { return }
        let target = run.directory.appendingPathComponent("report.html")
        let r = try Report.write(runs: [run.directory], to: target)
        try run.add(["report.html"] + r.plots.map { "plots/\($0.name)" })
        print("wrote \(target.path)")
    }
}
