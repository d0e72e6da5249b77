import Foundation
import SoftQBase

/// Sections drawn from the analysis files (shapes in docs/spec/outputs.md), all runs together.
extension Sections {
    /// Labels in first-seen order over all runs.
    static func union(_ runs: [RunData], _ labels: (RunData) -> [String]) -> [String] {
        var out: [String] = []
        for r in runs { for l in labels(r) where !out.contains(l) { out.append(l) } }
        return out
    }

    /// A label as a file-name part: letters, digits, `-` and `_` kept, anything else `_`.
    static func fileSafe(_ s: String) -> String {
        String(s.map { $0.isASCII && ($0.isLetter || $0.isNumber || $0 == "-" || $0 == "_") ? $0 : "_" })
    }

    /// `value [CI]` of a row's field, `–` when missing.
    static func statCell(_ row: JSONValue?, _ key: String, _ ciKey: String) -> Cell {
        guard let row, let v = row[key]?.doubleValue else { return Cell("–") }
        return Cell(Format.withCI(v, row[ciKey]?.interval), numeric: true)
    }

    // MARK: robustness

    static func robustness(_ w: inout HTMLWriter, _ c: Context) {
        let runs = c.runs.filter { !($0.robustness?["perturbations"]?.arrayValue ?? []).isEmpty }
        absentIn(&w, c, c.runs.filter { r in !runs.contains { $0.directory == r.directory } },
                 "No robustness.json (softq robustness writes it)")
        if !runs.isEmpty {
            let sub = Context(runs: runs, options: c.options)
            func entries(_ r: RunData) -> [JSONValue] { r.robustness?["perturbations"]?.arrayValue ?? [] }
            func key(_ e: JSONValue) -> String { "\(e["type"]?.cellText ?? "?") @ \(e["strength"]?.cellText ?? "–")" }
            let keys = union(runs) { entries($0).map(key) }
            w.table(header: header("perturbation @ strength", sub), cells: keys.map { k in
                [Cell(k)] + runs.map { r in statCell(entries(r).first { key($0) == k }, "win_rate", "win_rate_ci95") }
            }, caption: "Win rate of the original over its perturbed copy [95% CI] (robustness.json)")

            // One bar chart: a group per perturbation type (pooled over strengths when the file
            // has `by_type`), a bar per run.
            func pooled(_ r: RunData) -> [(String, JSONValue)] {
                let byType = r.robustness?["by_type"]?.arrayValue ?? []
                return byType.isEmpty ? entries(r).map { (key($0), $0) } : byType.map { ($0["type"]?.cellText ?? "?", $0) }
            }
            let types = union(runs) { pooled($0).map(\.0) }
            let series = runs.map { r in
                BarChart.Series(name: sub.multi ? r.name : "", bars: types.map { t in
                    pooled(r).first { $0.0 == t }.flatMap { _, e in e["win_rate"]?.doubleValue.map { BarChart.Bar($0, ci: e["win_rate_ci95"]?.interval) } }
                })
            }
            w.figure(BarChart(categories: types, series: series, domain: (0, 1), reference: 0.5)
                        .svg(title: "Win rate per perturbation", xLabel: "perturbation", yLabel: "win rate of original"),
                     name: "robustness-win-rate",
                     caption: "Fraction of responses whose reward beats their perturbed copy" + (sub.multi ? ", one bar per run" : "") + "; whiskers: 95% CI; dashed: chance.")

            // Against strength: one chart with a line per type for one run; with several runs,
            // small multiples (one chart per type, a line per run, the same axes).
            func line(_ r: RunData, _ t: String, _ name: String) -> LineChart.Series {
                LineChart.Series(name: name, points: entries(r).filter { ($0["type"]?.cellText ?? "?") == t }.compactMap { e in
                    guard let s = e["strength"]?.doubleValue, let v = e["win_rate"]?.doubleValue else { return nil }
                    let i = e["win_rate_ci95"]?.interval
                    return (x: s, y: v, lo: i?.low, hi: i?.high)
                })
            }
            let lineTypes = union(runs) { entries($0).map { $0["type"]?.cellText ?? "?" } }
            if !sub.multi, let r = runs.first {
                let lines = lineTypes.map { line(r, $0, $0) }
                if lines.contains(where: { $0.points.count > 1 }) {
                    w.figure(LineChart(series: lines, yDomain: (0, 1), reference: 0.5)
                                .svg(title: "Win rate vs perturbation strength", xLabel: "strength", yLabel: "win rate of original"),
                             name: "robustness-vs-strength", caption: "One line per perturbation type; bars: 95% CI.")
                }
            } else {
                w.open("div", [("class", "figures")])
                for t in lineTypes {
                    let lines = runs.map { line($0, t, $0.name) }
                    guard lines.contains(where: { $0.points.count > 1 }) else { continue }
                    w.figure(LineChart(series: lines, yDomain: (0, 1), reference: 0.5)
                                .svg(title: t, xLabel: "strength", yLabel: "win rate", layout: ChartLayout(width: 300, height: 230)),
                             name: "robustness-vs-strength-" + fileSafe(t), caption: "\(t): a line per run; bars: 95% CI.")
                }
                w.close("div")
            }
            w.details("Full robustness tables" + (sub.multi ? " per run" : ""))
            for r in runs {
                w.table(header: ["perturbation", "strength", "pairs", "win rate [95% CI]", "mean reward drop"], cells: entries(r).map { e in
                    [Cell(e["type"]?.cellText ?? "?"), Cell(e["strength"]?.cellText ?? "–", numeric: true), Cell(e["n"]?.cellText ?? "–", numeric: true),
                     statCell(e, "win_rate", "win_rate_ci95"), statCell(e, "mean_reward_drop", "mean_reward_drop_ci95")]
                }, caption: sub.multi ? r.name : nil)
            }
            scalarTable(&w, sub, \.robustness, caption: "Other fields of robustness.json")
            w.close("details")
        }

        let sens = c.runs.filter { !($0.sensitivity?["variants"]?.arrayValue ?? []).isEmpty }
        if !sens.isEmpty {
            let sub = Context(runs: sens, options: c.options)
            func variants(_ r: RunData) -> [JSONValue] { r.sensitivity?["variants"]?.arrayValue ?? [] }
            let names = union(sens) { variants($0).map { $0["name"]?.cellText ?? "?" } }
            func variant(_ r: RunData, _ n: String) -> JSONValue? { variants(r).first { ($0["name"]?.cellText ?? "?") == n } }
            w.table(header: header("variant", sub), cells: names.map { n in
                [Cell(n)] + sens.map { r in
                    guard let v = variant(r, n) else { return Cell("–") }
                    var cell = statCell(v, "accuracy", "accuracy_ci95")
                    if let a = v["agreement_with_base"]?.doubleValue { cell.text += "; agrees with base on " + Format.stat(a) }
                    return cell
                }
            }, caption: "Accuracy [95% CI] under other conventions (sensitivity.json)")
            let series = sens.map { r in
                BarChart.Series(name: sub.multi ? r.name : "", bars: names.map { n in
                    variant(r, n).flatMap { e in e["accuracy"]?.doubleValue.map { BarChart.Bar($0, ci: e["accuracy_ci95"]?.interval) } }
                })
            }
            w.figure(BarChart(categories: names, series: series, domain: (0, 1), reference: 0.5)
                        .svg(title: "Accuracy under each convention", xLabel: "variant", yLabel: "accuracy"),
                     name: "sensitivity", caption: "Accuracy when α, γ, terminal mode or aggregate change" + (sub.multi ? ", one bar per run" : "") + "; whiskers: 95% CI.")
        }
    }

    // MARK: correlation

    static func correlation(_ w: inout HTMLWriter, _ c: Context) {
        let runs = c.runs.enumerated().filter { $0.element.correlation != nil }
        absentIn(&w, c, c.runs.filter { $0.correlation == nil }, "No correlation.json (softq correlate writes it)")
        guard !runs.isEmpty else { return }
        let sub = Context(runs: runs.map(\.element), options: c.options)
        func rows(_ r: RunData) -> [JSONValue] { r.correlation?["correlations"]?.arrayValue ?? [] }
        func key(_ e: JSONValue) -> String {
            if let name = e["name"]?.stringValue { return name }
            let m = (e["kind"] ?? e["method"])?.cellText ?? "?"
            return e["scope"].map { "\(m) (\($0.cellText))" } ?? m
        }
        let keys = union(sub.runs) { rows($0).map(key) }
        if !keys.isEmpty {
            let metrics = Set(sub.runs.map { $0.correlation?["metric"]?.stringValue ?? "task metric" }).sorted().joined(separator: " / ")
            w.table(header: header("correlation with \(metrics)", sub), cells: keys.map { k in
                [Cell(k)] + sub.runs.map { r in
                    guard let e = rows(r).first(where: { key($0) == k }) else { return Cell("–") }
                    var cell = statCell(e, "value", e["ci95"] != nil ? "ci95" : "ci")
                    if let n = e["n"]?.intValue { cell.text += " (n = \(n))" }
                    return cell
                }
            }, caption: "Reward vs task metric [95% CI] (correlation.json)")
        }
        w.open("div", [("class", "figures")])
        let layout = c.multi ? ChartLayout(width: 480, height: 320) : ChartLayout()
        let scatters = runs.map { _, run in
            Scatter(points: (run.correlation?["points"]?.arrayValue ?? []).compactMap { p in
                guard let r = p["reward"]?.doubleValue, let m = p["metric"]?.doubleValue else { return nil }
                return .init(x: r, y: m, label: p["id"]?.cellText ?? "")
            }, palette: [Palette.runs[0]])
        }
        let shared = Scatter.sharedDomains(scatters)
        for ((k, run), full) in zip(runs, scatters) where !full.points.isEmpty {
            let metric = run.correlation?["metric"]?.stringValue ?? "task metric"
            var shown = full.thinned(to: c.options.maxScatterPoints, seed: c.options.seed)
            shown.palette = [Palette.runs[k % Palette.runs.count]]
            if c.multi { shown.xDomain = shared.x; shown.yDomain = shared.y }
            w.figure(shown.svg(title: "Reward vs \(metric)" + (c.multi ? ": \(run.name)" : ""), xLabel: "reward", yLabel: metric, layout: layout),
                     name: c.prefix(k) + "correlation-scatter",
                     caption: shown.points.count < full.points.count
                        ? "A seeded sample of \(shown.points.count) of \(full.points.count) points." : "\(full.points.count) points.")
        }
        for (k, run) in runs {
            guard let corr = run.correlation, let bon = corr["best_of_n"]?.arrayValue, !bon.isEmpty else { continue }
            let metric = corr["metric"]?.stringValue ?? "task metric"
            let ns = union([run]) { _ in bon.map { $0["n"]?.cellText ?? "?" } }
            let selectors = union([run]) { _ in bon.map { $0["selector"]?.cellText ?? "reward" } }
            let series = selectors.map { s in
                BarChart.Series(name: s, bars: ns.map { n in
                    bon.first { ($0["n"]?.cellText ?? "?") == n && ($0["selector"]?.cellText ?? "reward") == s }
                        .flatMap { e in e["metric_mean"]?.doubleValue.map { BarChart.Bar($0, ci: e["ci95"]?.interval) } }
                })
            }
            w.figure(BarChart(categories: ns.map { "N = \($0)" }, series: series)
                        .svg(title: "Best-of-N: mean \(metric)" + (c.multi ? ": \(run.name)" : ""), xLabel: "candidates", yLabel: metric, layout: layout),
                     name: c.prefix(k) + "best-of-n", caption: "Per N, the mean \(metric) of the response each selector picks; whiskers: 95% CI.")
        }
        w.close("div")
        w.details("Best-of-N tables and other fields of correlation.json")
        for (_, run) in runs {
            guard let bon = run.correlation?["best_of_n"]?.arrayValue, !bon.isEmpty else { continue }
            let metric = run.correlation?["metric"]?.stringValue ?? "task metric"
            w.table(header: ["N", "selector", "mean \(metric) [95% CI]", "prompts"], cells: bon.map { e in
                [Cell(e["n"]?.cellText ?? "?"), Cell(e["selector"]?.cellText ?? "reward"), statCell(e, "metric_mean", "ci95"),
                 Cell(e["prompts"]?.cellText ?? "–", numeric: true)]
            }, caption: "Best of N" + (c.multi ? ": \(run.name)" : ""))
        }
        scalarTable(&w, sub, \.correlation, caption: "correlation.json")
        w.close("details")
    }
}
