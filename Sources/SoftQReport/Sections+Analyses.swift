import Foundation
import SoftQBase

/// Sections drawn from the analysis files (shapes in docs/spec/outputs.md) and the comparison.
extension Sections {
    static func ci(_ v: JSONValue?) -> String {
        guard let (lo, hi) = v?.interval else { return "–" }
        return "[\(Format.exact(lo)), \(Format.exact(hi))]"
    }

    // MARK: robustness

    static func robustness(_ w: inout HTMLWriter, _ c: Context) {
        let run = c.run
        scalarTable(&w, run.robustness, caption: "robustness.json")
        if let entries = run.robustness?["perturbations"]?.arrayValue, !entries.isEmpty {
            w.table(header: ["perturbation", "strength", "pairs", "win rate", "95% CI", "mean reward drop"], rows: entries.map {
                [$0["type"]?.cellText ?? "?", $0["strength"]?.cellText ?? "–", $0["n"]?.cellText ?? "–",
                 $0["win_rate"]?.cellText ?? "–", ci($0["win_rate_ci95"]), $0["mean_reward_drop"]?.cellText ?? "–"]
            }, caption: "Does the reward prefer the original response over its perturbed copy? (robustness.json)")
            // Bars per type: the pooled `by_type` rows when given, else one bar per entry.
            let byType = run.robustness?["by_type"]?.arrayValue ?? []
            let bars = byType.isEmpty ? entries : byType
            let labels = bars.map { e -> String in
                let t = e["type"]?.cellText ?? "?"
                return byType.isEmpty && e["strength"] != nil ? "\(t) @ \(e["strength"]!.cellText)" : t
            }
            let chart = BarChart(categories: labels, series: [.init(name: "", bars: bars.map { e in
                e["win_rate"]?.doubleValue.map { BarChart.Bar($0, ci: e["win_rate_ci95"]?.interval) }
            })], domain: (0, 1), reference: 0.5)
            w.figure(chart.svg(title: "Win rate per perturbation", xLabel: "perturbation", yLabel: "win rate of original"),
                     name: "robustness-win-rate", caption: "Fraction of responses whose reward beats their perturbed copy; whiskers: 95% CI; dashed: chance.")
            var types: [String] = []
            for e in entries { let t = e["type"]?.cellText ?? "?"; if !types.contains(t) { types.append(t) } }
            let series = types.map { t in
                LineChart.Series(name: t, points: entries.filter { ($0["type"]?.cellText ?? "?") == t }.compactMap { e in
                    guard let s = e["strength"]?.doubleValue, let v = e["win_rate"]?.doubleValue else { return nil }
                    let i = e["win_rate_ci95"]?.interval
                    return (x: s, y: v, lo: i?.0, hi: i?.1)
                })
            }
            if series.contains(where: { $0.points.count > 1 }) {
                w.figure(LineChart(series: series, yDomain: (0, 1), reference: 0.5)
                            .svg(title: "Win rate vs perturbation strength", xLabel: "strength", yLabel: "win rate of original"),
                         name: "robustness-vs-strength", caption: "One line per perturbation type; bars: 95% CI.")
            }
        } else {
            absent(&w, "No robustness.json in this run (softq robustness writes it).")
        }
        if let variants = run.sensitivity?["variants"]?.arrayValue, !variants.isEmpty {
            w.table(header: ["variant", "options", "accuracy", "95% CI", "agreement with base"], rows: variants.map {
                [$0["name"]?.cellText ?? "?", $0["options"]?.serialized() ?? "", $0["accuracy"]?.cellText ?? "–",
                 ci($0["accuracy_ci95"]), $0["agreement_with_base"]?.cellText ?? "–"]
            }, caption: "Sensitivity to conventions (sensitivity.json)")
            let chart = BarChart(categories: variants.map { $0["name"]?.cellText ?? "?" }, series: [.init(name: "", bars: variants.map { e in
                e["accuracy"]?.doubleValue.map { BarChart.Bar($0, ci: e["accuracy_ci95"]?.interval) }
            })], domain: (0, 1), reference: 0.5)
            w.figure(chart.svg(title: "Accuracy under each convention", xLabel: "variant", yLabel: "accuracy"),
                     name: "sensitivity", caption: "Accuracy when α, γ, terminal mode or aggregate change; whiskers: 95% CI.")
        }
    }

    // MARK: correlation

    static func correlation(_ w: inout HTMLWriter, _ c: Context) {
        guard let corr = c.run.correlation else { return absent(&w, "No correlation.json in this run (softq correlate writes it).") }
        let metric = corr["metric"]?.stringValue ?? "task metric"
        scalarTable(&w, corr, caption: "correlation.json")
        if let pts = corr["points"]?.arrayValue, !pts.isEmpty {
            let full = Scatter(points: pts.compactMap { p in
                guard let r = p["reward"]?.doubleValue, let m = p["metric"]?.doubleValue else { return nil }
                return .init(x: r, y: m, label: p["id"]?.cellText ?? "")
            })
            let shown = full.thinned(to: c.options.maxScatterPoints, seed: c.options.seed)
            w.figure(shown.svg(title: "Reward vs \(metric)", xLabel: "reward", yLabel: metric), name: "correlation-scatter",
                     caption: shown.points.count < full.points.count
                        ? "A seeded sample of \(shown.points.count) of \(full.points.count) points." : "\(full.points.count) points.")
        }
        if let rows = corr["correlations"]?.arrayValue, !rows.isEmpty {
            w.table(header: ["correlation", "value", "95% CI", "n"], rows: rows.map {
                [($0["name"] ?? $0["method"])?.cellText ?? "?", $0["value"]?.cellText ?? "–", ci($0["ci95"] ?? $0["ci"]), $0["n"]?.cellText ?? "–"]
            }, caption: "Reward vs \(metric)")
        }
        if let bon = corr["best_of_n"]?.arrayValue, !bon.isEmpty {
            var ns: [String] = [], selectors: [String] = []
            for e in bon {
                let n = e["n"]?.cellText ?? "?", s = e["selector"]?.cellText ?? "reward"
                if !ns.contains(n) { ns.append(n) }
                if !selectors.contains(s) { selectors.append(s) }
            }
            let series = selectors.map { s in
                BarChart.Series(name: s, bars: ns.map { n in
                    bon.first { ($0["n"]?.cellText ?? "?") == n && ($0["selector"]?.cellText ?? "reward") == s }
                        .flatMap { e in e["metric_mean"]?.doubleValue.map { BarChart.Bar($0, ci: e["ci95"]?.interval) } }
                })
            }
            w.table(header: ["N", "selector", "mean \(metric)", "95% CI"], rows: bon.map {
                [$0["n"]?.cellText ?? "?", $0["selector"]?.cellText ?? "reward", $0["metric_mean"]?.cellText ?? "–", ci($0["ci95"])]
            }, caption: "Best of N")
            w.figure(BarChart(categories: ns.map { "N = \($0)" }, series: series)
                        .svg(title: "Best-of-N: mean \(metric) of the selected response", xLabel: "candidates", yLabel: metric),
                     name: "best-of-n", caption: "Per N, the response picked by each selector; whiskers: 95% CI.")
        }
    }

    // MARK: comparison

    static func comparison(_ w: inout HTMLWriter, _ runs: [RunData]) {
        let names = runs.map(\.name)
        var rows: [[String]] = []
        func row(_ label: String, _ f: (RunData) -> String) { rows.append([label] + runs.map(f)) }
        row("objective") { $0.summary?["provenance"]?["training"]?["objective"]?.cellText ?? $0.summary?["provenance"]?["objective"]?.cellText ?? "–" }
        row("pairs") { $0.agreement.map { String($0.n) } ?? "–" }
        row("accuracy") { $0.agreement.map { Format.exact($0.accuracy) } ?? "–" }
        row("accuracy 95% CI") { r in r.agreement?.ci.map { "[\(Format.exact($0.0)), \(Format.exact($0.1))]" } ?? "–" }
        row("ties") { $0.agreement.map { String($0.ties) } ?? "–" }
        for key in ["brier", "ece"] {
            row("calibration \(key)") { $0.summary?["calibration"]?[key]?.cellText ?? "–" }
        }
        row("mean margin") { r in r.marginStats.first { $0.0 == "mean" }.map { Format.exact($0.1) } ?? "–" }
        var subsets: [String] = []
        for r in runs { for s in r.subsetRows.rows where !subsets.contains(s.name) { subsets.append(s.name) } }
        for s in subsets {
            row("accuracy: \(s)") { r in r.subsetRows.rows.first { $0.name == s }.map { Format.exact($0.accuracy) } ?? "–" }
        }
        var types: [String] = []
        for r in runs {
            for e in r.robustness?["by_type"]?.arrayValue ?? [] { if let t = e["type"]?.cellText, !types.contains(t) { types.append(t) } }
        }
        for t in types {
            row("win rate: \(t)") { r in (r.robustness?["by_type"]?.arrayValue ?? []).first { $0["type"]?.cellText == t }?["win_rate"]?.cellText ?? "–" }
        }
        w.table(header: [""] + names, rows: rows, caption: "The runs side by side")
        let categories = ["all"] + subsets
        let series = runs.map { r in
            BarChart.Series(name: r.name, bars: [r.agreement.map { BarChart.Bar($0.accuracy, ci: $0.ci) }] + subsets.map { s in
                r.subsetRows.rows.first { $0.name == s }.map { BarChart.Bar($0.accuracy, ci: $0.ci) }
            })
        }
        w.figure(BarChart(categories: categories, series: series, domain: (0, 1), reference: 0.5)
                    .svg(title: "Accuracy by run", xLabel: "subset", yLabel: "accuracy", layout: ChartLayout(width: 900, height: 380)),
                 name: "comparison-accuracy", caption: "One bar per run; whiskers: 95% CI where the summaries give one; dashed: chance.")
    }
}
