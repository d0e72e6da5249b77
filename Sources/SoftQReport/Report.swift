import Foundation
import SoftQBase

/// What goes into the tokens section, and how large plots may get.
public struct ReportOptions: Sendable {
    /// Pairs with the lowest margins (most wrong) to show token by token.
    public var worst = 3
    /// Pairs with the highest margins.
    public var best = 3
    /// Pairs drawn at random (seeded) from the rest.
    public var sample = 3
    public var seed: UInt64 = 0
    /// Pairs (or, for a rewards run, responses) to show by id, in addition to the above.
    public var pairIDs: [String] = []
    /// Responses shown for a run without pairs (`softq rewards` / `extract`).
    public var responses = 10
    /// Scatter plots keep at most this many points (a seeded subsample, stated in the caption).
    public var maxScatterPoints = 4000
    public var title: String?
    /// The folder the report is written to, so it can link each run's JSON/CSV files by a
    /// relative path (`Report.write` sets it; nil: files are named, not linked).
    public var reportDirectory: URL?
    public init() {}
}

/// The report as text, plus every plot as a standalone SVG document.
public struct RenderedReport: Sendable {
    public var html: String
    /// (file name, SVG document) in report order; written under `plots/` beside the report.
    public var plots: [(name: String, svg: String)]
}

/// `softq report`: renders whatever analyses run directories hold into one self-contained
/// HTML file. Output depends only on the inputs and options (no clock, no randomness beyond
/// `options.seed`), so the same runs give a byte-identical report.
public enum Report {
    /// Section ids in report order, with their navigation labels.
    public static let sections: [(id: String, label: String)] = [
        ("headline", "headline"), ("run", "the run"), ("agreement", "agreement"), ("margins", "margins"),
        ("length", "length"), ("robustness", "robustness"), ("correlation", "correlation"), ("steps", "steps"),
        ("tokens", "tokens"),
    ]

    public static func render(_ runs: [RunData], options: ReportOptions = ReportOptions()) throws -> RenderedReport {
        guard !runs.isEmpty else { throw ReportError.noRuns }
        let runs = uniquelyNamed(runs)
        for run in runs {
            for id in options.pairIDs where !run.pairs.isEmpty && !run.pairs.contains(where: { $0.id == id }) {
                throw ReportError.unknownPair(id: id, path: run.directory.path)
            }
        }
        let title = options.title ?? "softq report: " + runs.map(\.name).joined(separator: " vs ")
        var w = HTMLWriter()
        w.open("header")
        w.heading(1, title)
        w.open("nav")
        for s in sections { w.element("a", s.label, [("href", "#\(s.id)")]) }
        w.close("nav")
        w.close("header")

        // With several runs every section shows them together (one chart, series per run);
        // only what cannot be merged (scatter plots, token views) is repeated per run.
        let ctx = Sections.Context(runs: runs, options: options)
        for s in sections {
            w.open("section", [("id", s.id)])
            w.heading(2, s.label.prefix(1).uppercased() + s.label.dropFirst())
            switch s.id {
            case "headline": Sections.headline(&w, runs)
            case "run": Sections.run(&w, ctx)
            case "agreement": Sections.agreement(&w, ctx)
            case "margins": Sections.margins(&w, ctx)
            case "length": Sections.length(&w, ctx)
            case "robustness": Sections.robustness(&w, ctx)
            case "correlation": Sections.correlation(&w, ctx)
            case "steps": Sections.steps(&w, ctx)
            default: Sections.tokens(&w, ctx)
            }
            w.close("section")
        }
        return RenderedReport(html: HTMLWriter.document(title: title, body: w.out),
                              plots: w.plots.map { (name: $0.0, svg: $0.1) })
    }

    /// Runs are labelled by directory name; equal names (a/out, b/out) get their parent folder
    /// prepended, and any still equal get their position, so series never merge.
    static func uniquelyNamed(_ runs: [RunData]) -> [RunData] {
        var out = runs
        let names = runs.map(\.name)
        for k in out.indices where names.filter({ $0 == names[k] }).count > 1 {
            let dir = out[k].directory.standardizedFileURL
            out[k].name = dir.deletingLastPathComponent().lastPathComponent + "/" + dir.lastPathComponent
        }
        let second = out.map(\.name)
        for k in out.indices where second.filter({ $0 == second[k] }).count > 1 { out[k].name += " (\(k + 1))" }
        return out
    }

    /// `target` relative to the folder `base` (`../runs/a/summary.json`), from standardized paths.
    static func relativePath(from base: URL, to target: URL) -> String {
        let b = base.standardizedFileURL.pathComponents, t = target.standardizedFileURL.pathComponents
        var common = 0
        while common < b.count, common < t.count, b[common] == t[common] { common += 1 }
        let parts = Array(repeating: "..", count: b.count - common) + t[common...]
        return parts.joined(separator: "/")
    }

    /// Loads the run directories, renders, and writes `reportURL` plus `plots/*.svg` beside it,
    /// each file atomically.
    @discardableResult
    public static func write(runs directories: [URL], to reportURL: URL,
                             options: ReportOptions = ReportOptions()) throws -> RenderedReport {
        let runs = RunData.combiningAnalyses(try directories.map(RunData.load))
        var options = options
        options.reportDirectory = reportURL.deletingLastPathComponent()
        let rendered = try render(runs, options: options)
        let plotsDir = reportURL.deletingLastPathComponent().appendingPathComponent("plots")
        do {
            try FileManager.default.createDirectory(at: plotsDir, withIntermediateDirectories: true)
            for p in rendered.plots {
                try AtomicFile.write(p.svg, to: plotsDir.appendingPathComponent(p.name))
            }
            try AtomicFile.write(rendered.html, to: reportURL)
        } catch let e as AtomicFile.WriteError {
            throw ReportError.writeFailed(path: e.path, reason: e.reason)
        } catch {
            throw ReportError.writeFailed(path: plotsDir.path, reason: "\(error)")
        }
        return rendered
    }
}
