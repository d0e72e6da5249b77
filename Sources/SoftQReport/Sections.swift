import Foundation
import SoftQBase
import SoftQEvaluation

/// One function per report section. Each renders what the runs hold, all runs together
/// (a column or a series per run), and says plainly what a run does not hold ("no
/// robustness.json in this run"), so a reader never mistakes absence for zero.
enum Sections {
    struct Context {
        var runs: [RunData]
        var options: ReportOptions
        var multi: Bool { runs.count > 1 }
        /// Plot file prefix of run k: "" for a single run, "runK-" (1-based) otherwise.
        func prefix(_ k: Int) -> String { multi ? "run\(k + 1)-" : "" }
    }

    static func absent(_ w: inout HTMLWriter, _ text: String) { w.element("p", text, [("class", "absent")]) }

    /// "No X in this run" for one run, "No X in run a, b" for some of several.
    static func absentIn(_ w: inout HTMLWriter, _ c: Context, _ missing: [RunData], _ what: String) {
        guard !missing.isEmpty else { return }
        absent(&w, c.multi ? "\(what) in \(missing.map(\.name).joined(separator: ", "))." : "\(what) in this run.")
    }

    /// Header `[first] + run names` when several runs are shown, `[first, "value"]` for one.
    static func header(_ first: String, _ c: Context) -> [String] {
        [first] + (c.multi ? c.runs.map(\.name) : ["value"])
    }

    /// The top-level numbers and strings of an analysis file not drawn elsewhere (such as
    /// correlations and balanced accuracies), one column per run, so no headline number is hidden.
    static func scalarTable(_ w: inout HTMLWriter, _ c: Context, _ file: (RunData) -> JSONValue?, caption: String) {
        var keys: [String] = []
        for r in c.runs {
            for (k, v) in file(r)?.objectValue ?? [] where k != "schema_version"
                && (v.doubleValue != nil || v.stringValue != nil || v.interval != nil) && !keys.contains(k) {
                keys.append(k)
            }
        }
        guard !keys.isEmpty else { return }
        let rows = keys.map { k in
            [Cell(k)] + c.runs.map { r -> Cell in
                guard let v = file(r)?[k] else { return Cell("–") }
                if v.doubleValue == nil, let i = v.interval { return Cell(Format.interval(i.low, i.high), numeric: true) }
                return Cell(v.statText, numeric: v.doubleValue != nil)
            }
        }
        w.table(header: header("field", c), cells: rows, caption: caption)
    }

    /// `data-json` (and `data-run` when several runs are shown) of a cell showing a file's value.
    static func source(_ pointer: String?, _ run: RunData, _ c: Context) -> [(String, String)] {
        guard let pointer else { return [] }
        return [("data-json", pointer)] + (c.multi ? [("data-run", run.name)] : [])
    }

    // MARK: the run

    static let trainingNote = "From the checkpoint's /training, as summary.json records it (provenance.checkpoint.training)."

    static func run(_ w: inout HTMLWriter, _ c: Context) {
        let present = ["summary.json", "pairs.jsonl", "pairs.csv", "tokens.jsonl", "tokens.h5", "responses.jsonl"] + RunData.analysisFiles
        func value(_ v: JSONValue?) -> Cell { v.map(Cell.json) ?? Cell("–") }
        func number(_ d: Double?) -> Cell { d.map { Cell(Format.setting($0), numeric: true) } ?? Cell("–") }
        let rows: [(String, (RunData) -> Cell)] = [
            ("objective (training)", { Cell($0.training.objective ?? "–") }),
            ("td_weight (training)", { number($0.training.tdWeight) }),
            ("γ (training)", { number($0.training.gamma) }),
            ("α (training)", { number($0.training.alpha) }),
            ("aggregate (scoring)", { Cell($0.scoreName) }),
            ("γ (scoring)", { value($0.summary?["options"]?["gamma"]) }),
            ("α (scoring)", { value($0.summary?["options"]?["temperature"] ?? $0.summary?["options"]?["alpha"]) }),
            ("terminal (scoring)", { value($0.summary?["options"]?["terminal"]) }),
            ("checkpoint", { value($0.summary?["provenance"]?["checkpoint"]?["path"]) }),
            ("checkpoint SHA-256", { value($0.summary?["provenance"]?["checkpoint"]?["sha256"]) }),
            ("pairs file SHA-256", { value($0.summary?["provenance"]?["pairs"]?["sha256"]) }),
            ("softq version", { value($0.summary?["provenance"]?["softq_version"]) }),
        ]
        w.table(header: header("", c), cells: rows.map { label, f in [Cell(label)] + c.runs.map(f) },
                caption: "Training and scoring conventions")
        w.element("p", trainingNote + " α is the soft-Q temperature, γ the discount; scoring may use other values than training.",
                  [("class", "legend-note")])
        for run in c.runs {
            let label = c.multi ? " of \(run.name)" : ""
            if run.summary == nil { absent(&w, "No summary.json in \(c.multi ? run.name : "this run"): conventions and provenance are unknown.") }
            let warnings = (run.summary?["warnings"]?.arrayValue ?? []).map(\.cellText) + run.notes
            if !warnings.isEmpty {
                w.open("ul", [("class", "warnings")])
                for m in warnings { w.element("li", (c.multi ? run.name + ": " : "") + m, [("class", "note")]) }
                w.close("ul")
            }
            w.details("Files and provenance" + label, [("class", "provenance"), ("data-run", run.name)])
            let files = present.filter { FileManager.default.fileExists(atPath: run.directory.appendingPathComponent($0).path) }
            w.open("p")
            w.raw(Format.escape("Run directory \(run.directory.path): "))
            for (k, f) in files.enumerated() {
                if k > 0 { w.raw(", ") }
                if let base = c.options.reportDirectory {
                    let href = Report.relativePath(from: base, to: run.directory.appendingPathComponent(f))
                    w.inline("a", f, [("href", href.addingPercentEncoding(withAllowedCharacters: .urlPathAllowed) ?? href)])
                } else {
                    w.inline("code", f)
                }
            }
            w.close("p")
            flatTable(&w, run.summary?["options"], caption: "Conventions (summary.json options)")
            flatTable(&w, run.summary?["provenance"], caption: "Provenance (summary.json provenance)")
            w.close("details")
        }
        if c.runs.allSatisfy({ (($0.summary?["warnings"]?.arrayValue ?? []).isEmpty) && $0.notes.isEmpty }) {
            w.paragraph("Warnings: none.")
        }
    }

    /// An object as `key.sub.key → value` rows: nested objects flattened, arrays joined,
    /// hashes shortened (full value on hover).
    static func flatTable(_ w: inout HTMLWriter, _ json: JSONValue?, caption: String) {
        var rows: [[Cell]] = []
        func walk(_ v: JSONValue, _ path: String) {
            if let o = v.objectValue, !o.isEmpty {
                for (k, x) in o { walk(x, path.isEmpty ? k : path + "." + k) }
            } else {
                rows.append([Cell(path), Cell.json(v)])
            }
        }
        guard let json, json.objectValue != nil else { return }
        walk(json, "")
        w.table(header: ["field", "value"], cells: rows, caption: caption)
    }

    // MARK: agreement

    static func agreement(_ w: inout HTMLWriter, _ c: Context) {
        let runs = c.runs.filter { $0.agreement != nil }
        absentIn(&w, c, c.runs.filter { $0.agreement == nil }, "No summary.json or pairs.jsonl: no preference pairs were scored")
        guard !runs.isEmpty else { return }
        let sub = Context(runs: runs, options: c.options)
        var rows: [[Cell]] = []
        func row(_ label: String, _ f: (RunData) -> Cell) { rows.append([Cell(label)] + runs.map(f)) }
        row("pairs") { Cell($0.agreement.map { String($0.n) } ?? "–", numeric: true) }
        row("accuracy [95% CI]") { r in
            r.agreement.map { Cell(Format.withCI($0.accuracy, $0.ci), numeric: true, source($0.fromSummary ? "summary.json#accuracy" : nil, r, c)) } ?? Cell("–")
        }
        row("correct (margin > 0)") { Cell($0.summary?["correct"]?.intValue.map(String.init) ?? "–", numeric: true) }
        row("ties (margin = 0, not correct)") { Cell($0.agreement.map { String($0.ties) } ?? "–", numeric: true) }
        let computed = runs.filter { !($0.agreement?.fromSummary ?? true) }
        w.table(header: header("", sub), cells: rows,
                caption: "Agreement with human preferences" + (computed.isEmpty ? " (summary.json)" : " (computed from pairs.jsonl for \(sub.multi ? computed.map(\.name).joined(separator: ", ") : "this run"); no summary.json)"))

        var subsets: [String] = []
        for r in runs { for s in r.subsetRows.rows where !subsets.contains(s.name) { subsets.append(s.name) } }
        if !subsets.isEmpty {
            let cells = subsets.map { s in
                [Cell(s)] + runs.map { r -> Cell in
                    guard let x = r.subsetRows.rows.first(where: { $0.name == s }) else { return Cell("–") }
                    return Cell(Format.withCI(x.accuracy, x.ci) + (x.n.map { " (n = \($0))" } ?? ""), numeric: true)
                }
            }
            let fromPairs = runs.filter { !$0.subsetRows.fromSummary }
            w.table(header: header("subset", sub), cells: cells,
                    caption: "Accuracy per subset" + (fromPairs.isEmpty ? "" : " (computed from pairs.jsonl for \(fromPairs.map(\.name).joined(separator: ", ")))"))
            // One chart: a group per subset (plus all pairs when comparing), a bar per run.
            let categories = (sub.multi ? ["all pairs"] : []) + subsets
            let series = runs.map { r in
                BarChart.Series(name: sub.multi ? r.name : "", bars: (sub.multi ? [r.agreement.map { BarChart.Bar($0.accuracy, ci: $0.ci) }] : [])
                    + subsets.map { s in r.subsetRows.rows.first { $0.name == s }.map { BarChart.Bar($0.accuracy, ci: $0.ci) } })
            }
            w.figure(BarChart(categories: categories, series: series, domain: (0, 1), reference: 0.5)
                        .svg(title: "Accuracy per subset", xLabel: "subset", yLabel: "accuracy"),
                     name: "subset-accuracy",
                     caption: "Fraction of pairs with margin > 0" + (sub.multi ? ", one bar per run" : "") + "; whiskers: 95% CI where the summary gives one; dashed: chance.")
        }
        rewardBench(&w, sub)
    }

    /// SoftQEvaluation's shape: `sections` {name: {score, pairs, subsets}}, `overall`, `complete`,
    /// `missing_subsets`; one column per run.
    static func rewardBench(_ w: inout HTMLWriter, _ c: Context) {
        let runs = c.runs.filter { $0.summary?["rewardbench"]?["sections"]?.objectValue != nil }
        guard !runs.isEmpty else { return }
        var names: [String] = []
        for r in runs { for (n, _) in r.summary?["rewardbench"]?["sections"]?.objectValue ?? [] where !names.contains(n) { names.append(n) } }
        var rows = names.map { n in
            [Cell(n)] + runs.map { r -> Cell in
                guard let s = r.summary?["rewardbench"]?["sections"]?[n] else { return Cell("–") }
                let subsets = (s["subsets"]?.arrayValue ?? []).map(\.cellText).joined(separator: ", ")
                return Cell("\(s["score"]?.statText ?? "–") (\(s["pairs"]?.cellText ?? "?") pairs: \(subsets))", numeric: true)
            }
        }
        rows.append([Cell("overall (mean of sections)")] + runs.map { Cell($0.summary?["rewardbench"]?["overall"]?.statText ?? "–", numeric: true) })
        let sub = Context(runs: runs, options: c.options)
        w.table(header: header("RewardBench section", sub), cells: rows, caption: "RewardBench sections")
        for r in runs {
            let rb = r.summary?["rewardbench"]
            if case .bool(false)? = rb?["complete"] {
                let missing = (rb?["missing_subsets"]?.arrayValue ?? []).map(\.cellText).joined(separator: ", ")
                w.note((c.multi ? r.name + ": " : "") + "Not every RewardBench subset is present, so the overall score is not RewardBench's" + (missing.isEmpty ? "." : "; missing: \(missing)."))
            }
        }
    }

    // MARK: margins

    static func margins(_ w: inout HTMLWriter, _ c: Context) {
        let withStats = c.runs.filter { !$0.marginStats.isEmpty }
        absentIn(&w, c, c.runs.filter { $0.marginStats.isEmpty && $0.pairs.isEmpty }, "No pairs.jsonl or summary.json margins: no margins to show")
        if !withStats.isEmpty {
            var keys: [String] = []
            for r in withStats { for (k, _) in r.marginStats where !keys.contains(k) { keys.append(k) } }
            let sub = Context(runs: withStats, options: c.options)
            w.table(header: header("margin statistic", sub), cells: keys.map { k in
                [Cell(k)] + withStats.map { r in
                    r.marginStats.first { $0.0 == k }.map { Cell(k == "count" ? Format.exact($0.1) : Format.stat($0.1), numeric: true) } ?? Cell("–")
                }
            }, caption: "Margins R(chosen) − R(rejected), aggregate " + Set(withStats.map(\.scoreName)).sorted().joined(separator: " / "))
        }
        // Histograms on shared axes: the same bins and the same count scale for every run.
        let withPairs = c.runs.enumerated().filter { !$0.element.pairs.isEmpty }
        if !withPairs.isEmpty {
            let edges = Histogram.edges(for: withPairs.flatMap { $0.element.pairs.map(\.margin) }, bins: 20)
            let hists = withPairs.map { Histogram(values: $0.element.pairs.map(\.margin), edges: edges) }
            let yMax = hists.flatMap(\.counts).max() ?? 1
            let layout = c.multi ? ChartLayout(width: 480, height: 300) : ChartLayout()
            w.open("div", [("class", "figures")])
            for ((k, run), h) in zip(withPairs, hists) {
                w.figure(h.svg(title: "Histogram of margins" + (c.multi ? ": \(run.name)" : ""), xLabel: "margin (\(run.scoreName))",
                               marker: 0, color: Palette.runs[k % Palette.runs.count], yMax: yMax, layout: layout),
                         name: c.prefix(k) + "margins-histogram",
                         caption: "\(run.pairs.count) pairs; dashed line: margin 0 (right of it = correct)."
                            + (c.multi ? " Same bins and count axis for every run." : "")
                            + (h.dropped > 0 ? " \(h.dropped) non-finite margins left out." : ""))
            }
            w.close("div")
        }
        let cal = c.runs.compactMap { r in r.calibration.map { (r, $0) } }
        if !cal.isEmpty {
            let sub = Context(runs: cal.map(\.0), options: c.options)
            let rows: [(String, String, (Calibration) -> Double)] = [("brier", "Brier score ↓", \.brier), ("ece", "ECE ↓", \.ece)]
            w.table(header: header("calibration of sigmoid(margin)", sub), cells: rows.map { key, label, f in
                [Cell(label)] + cal.map { r, cal in Cell(Format.stat(f(cal)), numeric: true, source("summary.json#calibration/\(key)", r, c)) }
            }, caption: "Calibration (summary.json)")
        }
        let diagrams = c.runs.compactMap { r in r.reliability.map { (r, $0.0, $0.fromSummary) } }
        if !diagrams.isEmpty {
            let chart = ReliabilityChart(series: diagrams.map { (c.multi ? $0.0.name : "", $0.1) })
            let computed = diagrams.filter { !$0.2 }.map(\.0.name)
            w.figure(chart.svg(title: "Reliability of sigmoid(margin)"), name: "calibration",
                     caption: "Per probability bin, how often the predicted preference holds (each pair counted in both orders), at the bin's mean probability; dot area ∝ predictions in the bin" + (c.multi ? "; one series per run" : "") + "; dashed: perfect calibration."
                        + (computed.isEmpty ? "" : " Computed from pairs.jsonl for \(c.multi ? computed.joined(separator: ", ") : "this run")."))
            w.details("Reliability table" + (c.multi ? "s" : ""))
            for (r, d, _) in diagrams {
                w.table(header: ["p from", "p to", "predictions", "mean p", "observed frequency"], rows: d.bins.map {
                    [Format.setting($0.lo), Format.setting($0.hi), String($0.count), Format.stat($0.meanP), Format.stat($0.accuracy)]
                }, caption: c.multi ? r.name : nil)
            }
            w.close("details")
        }
    }
}
