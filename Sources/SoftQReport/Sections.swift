import Foundation
import SoftQBase

/// One function per report section. Each renders what the run holds and says plainly what
/// it does not ("no robustness.json in this run"), so a reader never mistakes absence for zero.
enum Sections {
    struct Context {
        var run: RunData
        var options: ReportOptions
    }

    static func absent(_ w: inout HTMLWriter, _ text: String) { w.element("p", text, [("class", "absent")]) }

    static func keyValueTable(_ w: inout HTMLWriter, _ json: JSONValue?, caption: String) {
        guard let fields = json?.objectValue, !fields.isEmpty else { return }
        w.table(header: ["field", "value"], rows: fields.map { [$0.0, $0.1.cellText] }, caption: caption)
    }

    /// The top-level numbers and strings of an analysis file (everything the sections do not
    /// draw, such as correlations and balanced accuracies), so no headline number is hidden.
    static func scalarTable(_ w: inout HTMLWriter, _ json: JSONValue?, caption: String) {
        let rows = (json?.objectValue ?? []).filter { k, v in
            k != "schema_version" && (v.doubleValue != nil || v.stringValue != nil || v.interval != nil)
        }.map { k, v in [k, v.interval != nil && v.doubleValue == nil ? ci(v) : v.cellText] }
        if !rows.isEmpty { w.table(header: ["field", "value"], rows: rows, caption: caption) }
    }

    // MARK: the run

    static func run(_ w: inout HTMLWriter, _ c: Context) {
        let run = c.run
        let present = ["summary.json", "pairs.jsonl", "tokens.jsonl", "tokens.h5", "responses.jsonl"] + RunData.analysisFiles
        let files = present.filter { FileManager.default.fileExists(atPath: run.directory.appendingPathComponent($0).path) }
        w.table(header: ["run directory", "files"], rows: [[run.directory.path, files.joined(separator: ", ")]])
        let prov = run.summary?["provenance"]
        var checkpoints: [[String]] = []
        for key in ["checkpoint", "reference"] {
            guard let v = prov?[key] else { continue }
            let hash = prov?[key + "_sha256"]?.cellText ?? v["sha256"]?.cellText ?? ""
            checkpoints.append([key, v["path"]?.cellText ?? v.cellText, hash])
        }
        if !checkpoints.isEmpty { w.table(header: ["role", "checkpoint", "SHA-256"], rows: checkpoints, caption: "Checkpoints") }
        if run.summary == nil { absent(&w, "No summary.json in this run: conventions and provenance are unknown.") }
        keyValueTable(&w, run.summary?["options"], caption: "Conventions (options)")
        keyValueTable(&w, prov, caption: "Provenance")
        let warnings = (run.summary?["warnings"]?.arrayValue ?? []).map(\.cellText) + run.notes
        if warnings.isEmpty {
            w.paragraph("Warnings: none.")
        } else {
            w.open("ul", [("class", "warnings")])
            for m in warnings { w.element("li", m, [("class", "note")]) }
            w.close("ul")
        }
    }

    // MARK: agreement

    static func agreement(_ w: inout HTMLWriter, _ c: Context) {
        guard let a = c.run.agreement else { return absent(&w, "No summary.json or pairs.jsonl: no preference pairs were scored in this run.") }
        var rows = [["pairs", String(a.n)], ["accuracy", Format.exact(a.accuracy)], ["accuracy (percent)", Format.percent(a.accuracy)]]
        if let ci = a.ci { rows.append(["accuracy 95% CI", "[\(Format.exact(ci.0)), \(Format.exact(ci.1))]"]) }
        if let correct = c.run.summary?["correct"]?.intValue { rows.append(["correct (margin > 0)", String(correct)]) }
        rows.append(["ties (margin = 0, counted as not correct)", String(a.ties)])
        w.table(header: ["", "value"], rows: rows,
                caption: a.fromSummary ? "Agreement with human preferences (summary.json)" : "Agreement (computed from pairs.jsonl; no summary.json)")
        let (subsets, fromSummary) = c.run.subsetRows
        if !subsets.isEmpty {
            w.table(header: ["subset", "pairs", "accuracy", "95% CI", "ties"], rows: subsets.map {
                [$0.name, $0.n.map(String.init) ?? "–", Format.exact($0.accuracy),
                 $0.ci.map { "[\(Format.exact($0.0)), \(Format.exact($0.1))]" } ?? "–", $0.ties.map(String.init) ?? "–"]
            }, caption: "Per subset" + (fromSummary ? "" : " (computed from pairs.jsonl)"))
            let chart = BarChart(categories: subsets.map(\.name),
                                 series: [.init(name: "", bars: subsets.map { BarChart.Bar($0.accuracy, ci: $0.ci) })],
                                 domain: (0, 1), reference: 0.5)
            w.figure(chart.svg(title: "Accuracy per subset", xLabel: "subset", yLabel: "accuracy"),
                     name: "subset-accuracy", caption: "Fraction of pairs with margin > 0 per subset; whiskers: 95% CI when the summary has one; dashed: chance.")
        }
        if let rb = c.run.summary?["rewardbench"] { rewardBench(&w, rb) }
    }

    /// SoftQEvaluation's shape: `sections` {name: {score, pairs, subsets}}, `overall`, `complete`,
    /// `missing_subsets`; a flat object of name → score is read too.
    static func rewardBench(_ w: inout HTMLWriter, _ rb: JSONValue) {
        var rows: [[String]] = []
        if let sections = rb["sections"]?.objectValue {
            rows = sections.map { name, v in
                [name, v["score"]?.cellText ?? "–", v["pairs"]?.cellText ?? "–",
                 (v["subsets"]?.arrayValue ?? []).map(\.cellText).joined(separator: ", ")]
            }
            if let overall = rb["overall"] { rows.append(["overall (mean of sections)", overall.cellText, "", ""]) }
        } else if let fields = rb.objectValue {
            rows = fields.compactMap { name, v in v.doubleValue.map { [name, Format.exact($0), "", ""] } }
        }
        guard !rows.isEmpty else { return }
        w.table(header: ["RewardBench section", "score", "pairs", "subsets"], rows: rows, caption: "RewardBench sections")
        if case .bool(false)? = rb["complete"] {
            let missing = (rb["missing_subsets"]?.arrayValue ?? []).map(\.cellText).joined(separator: ", ")
            w.note("Not every RewardBench subset is present, so the overall score is not RewardBench's" + (missing.isEmpty ? "." : "; missing: \(missing)."))
        }
    }

    // MARK: margins

    static func margins(_ w: inout HTMLWriter, _ c: Context) {
        let run = c.run
        let stats = run.marginStats
        if !stats.isEmpty {
            w.table(header: ["margin statistic", "value"], rows: stats.map { [$0.0, Format.exact($0.1)] },
                    caption: "Margins R(chosen) − R(rejected), aggregate \(run.scoreName)")
        }
        if !run.pairs.isEmpty {
            let h = Histogram(values: run.pairs.map(\.margin), bins: 20)
            w.figure(h.svg(title: "Histogram of margins", xLabel: "margin (\(run.scoreName))", marker: 0),
                     name: "margins-histogram",
                     caption: "\(run.pairs.count) pairs; dashed line: margin 0 (right of it = correct)." + (h.dropped > 0 ? " \(h.dropped) non-finite margins left out." : ""))
        } else if stats.isEmpty {
            return absent(&w, "No pairs.jsonl: no margins to show.")
        }
        if let cal = run.summary?["calibration"] {
            let f = cal.numericFields
            if !f.isEmpty { w.table(header: ["calibration of sigmoid(margin)", "value"], rows: f.map { [$0.0, Format.exact($0.1)] }) }
        }
        if let (diagram, fromSummary) = run.reliability {
            w.figure(diagram.svg(title: "Reliability of sigmoid(margin)"), name: "calibration",
                     caption: "Bars: how often the predicted preference holds per probability bin, each pair counted in both orders (darker = more predictions); dots at the bin's mean probability; dashed: perfect calibration."
                        + (fromSummary ? "" : " Computed from pairs.jsonl."))
            w.table(header: ["p from", "p to", "predictions", "mean p", "observed frequency"], rows: diagram.bins.map {
                [Format.exact($0.lo), Format.exact($0.hi), String($0.count),
                 $0.meanP.isFinite ? Format.exact($0.meanP) : "–", $0.accuracy.isFinite ? Format.exact($0.accuracy) : "–"]
            }, caption: "Reliability table")
        }
    }

    // MARK: length

    static func length(_ w: inout HTMLWriter, _ c: Context) {
        let run = c.run
        let score = run.scoreName
        if !run.pairs.isEmpty {
            var points: [Scatter.Point] = []
            for p in run.pairs {
                if let v = p.chosen[score] { points.append(.init(x: Double(p.chosen.tokens), y: v, group: 0, label: "\(p.id) chosen")) }
                if let v = p.rejected[score] { points.append(.init(x: Double(p.rejected.tokens), y: v, group: 1, label: "\(p.id) rejected")) }
            }
            let full = Scatter(points: points, groups: ["chosen", "rejected"])
            let shown = full.thinned(to: c.options.maxScatterPoints, seed: c.options.seed)
            w.figure(shown.svg(title: "Reward vs response length", xLabel: "response tokens", yLabel: "reward (\(score))"),
                     name: "length-scatter",
                     caption: shown.points.count < full.points.count
                        ? "A seeded sample of \(shown.points.count) of \(full.points.count) responses."
                        : "\(full.points.count) responses.")
        }
        if let buckets = run.length?["buckets"]?.arrayValue, !buckets.isEmpty {
            let by = run.length?["bucket_by"]?.stringValue ?? "length"
            let rows = buckets.map { b in
                [b["label"]?.cellText ?? "\(b["lo"]?.cellText ?? "")–\(b["hi"]?.cellText ?? "")", b["n"]?.cellText ?? "–",
                 b["accuracy"]?.cellText ?? "–", ci(b["accuracy_ci95"])]
            }
            w.table(header: ["bucket (\(by))", "pairs", "accuracy", "95% CI"], rows: rows, caption: "Agreement by length bucket (length.json)")
            let chart = BarChart(categories: rows.map { $0[0] }, series: [.init(name: "", bars: buckets.map { b in
                b["accuracy"]?.doubleValue.map { BarChart.Bar($0, ci: b["accuracy_ci95"]?.interval) }
            })], domain: (0, 1), reference: 0.5)
            w.figure(chart.svg(title: "Agreement by length bucket", xLabel: by, yLabel: "accuracy"), name: "length-buckets",
                     caption: "From length.json; whiskers: 95% CI; dashed: chance.")
        } else if !run.pairs.isEmpty {
            // Without length.json, the one length question pairs.jsonl answers exactly: does
            // the reward prefer the longer response?
            let groups: [(String, (PairRecord) -> Bool)] = [
                ("chosen longer", { $0.chosen.tokens > $0.rejected.tokens }),
                ("same length", { $0.chosen.tokens == $0.rejected.tokens }),
                ("chosen shorter", { $0.chosen.tokens < $0.rejected.tokens }),
            ]
            let stats = groups.map { name, f -> (String, Int, Double) in
                let g = run.pairs.filter(f)
                return (name, g.count, g.isEmpty ? .nan : Double(g.filter(\.correct).count) / Double(g.count))
            }
            w.table(header: ["bucket", "pairs", "accuracy"], rows: stats.map { [$0.0, String($0.1), $0.2.isFinite ? Format.exact($0.2) : "–"] },
                    caption: "Agreement by length difference (computed from pairs.jsonl; no length.json)")
            let chart = BarChart(categories: stats.map(\.0), series: [.init(name: "", bars: stats.map { $0.1 > 0 ? BarChart.Bar($0.2) : nil })],
                                 domain: (0, 1), reference: 0.5)
            w.figure(chart.svg(title: "Agreement by length difference", xLabel: "chosen vs rejected length", yLabel: "accuracy"),
                     name: "length-buckets", caption: "Accuracy among pairs whose chosen response is longer, equal or shorter.")
        } else if run.length == nil {
            absent(&w, "No pairs.jsonl or length.json: nothing about length in this run.")
        }
        keyValueTable(&w, run.length?["correlation"], caption: "Reward–length correlation (length.json)")
        scalarTable(&w, run.length, caption: "Length statistics (length.json)")
    }
}
