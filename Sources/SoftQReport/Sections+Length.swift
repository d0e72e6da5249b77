import Foundation
import SoftQBase

/// The length section: reward against response length, and agreement by length.
extension Sections {
    /// Agreement by length for one run: length.json buckets, or (without length.json) whether
    /// the chosen response is longer, equal or shorter — the one length question pairs.jsonl
    /// answers exactly.
    struct LengthBuckets {
        var by: String
        var rows: [(label: String, n: Int?, accuracy: Double?, ci: (low: Double, high: Double)?)]
        var fromFile: Bool
    }

    static func lengthBuckets(_ run: RunData) -> LengthBuckets? {
        if let buckets = run.length?["buckets"]?.arrayValue, !buckets.isEmpty {
            return LengthBuckets(by: run.length?["bucket_by"]?.stringValue ?? "length", rows: buckets.map { b in
                (b["label"]?.cellText ?? "\(b["lo"]?.cellText ?? "")–\(b["hi"]?.cellText ?? "")", b["n"]?.intValue,
                 b["accuracy"]?.doubleValue, b["accuracy_ci95"]?.interval)
            }, fromFile: true)
        }
        guard !run.pairs.isEmpty else { return nil }
        let groups: [(String, (PairRecord) -> Bool)] = [
            ("chosen longer", { $0.chosen.tokens > $0.rejected.tokens }),
            ("same length", { $0.chosen.tokens == $0.rejected.tokens }),
            ("chosen shorter", { $0.chosen.tokens < $0.rejected.tokens }),
        ]
        return LengthBuckets(by: "chosen vs rejected length", rows: groups.map { name, f in
            let g = run.pairs.filter(f)
            return (name, g.count, g.isEmpty ? nil : Double(g.filter(\.correct).count) / Double(g.count), nil)
        }, fromFile: false)
    }

    static func length(_ w: inout HTMLWriter, _ c: Context) {
        absentIn(&w, c, c.runs.filter { $0.pairs.isEmpty && $0.length == nil }, "No pairs.jsonl or length.json: nothing about length")
        // Scatter plots cannot be merged without hiding one run behind another: one per run,
        // side by side.
        let scatterRuns = c.runs.enumerated().filter { !$0.element.pairs.isEmpty }
        if !scatterRuns.isEmpty {
            let scatters = scatterRuns.map { _, run -> Scatter in
                let score = run.scoreName
                var points: [Scatter.Point] = []
                for p in run.pairs {
                    if let v = p.chosen[score] { points.append(.init(x: Double(p.chosen.tokens), y: v, group: 0, label: "\(p.id) chosen")) }
                    if let v = p.rejected[score] { points.append(.init(x: Double(p.rejected.tokens), y: v, group: 1, label: "\(p.id) rejected")) }
                }
                return Scatter(points: points, groups: ["chosen", "rejected"])
            }
            let shared = Scatter.sharedDomains(scatters)
            w.open("div", [("class", "figures")])
            let layout = c.multi ? ChartLayout(width: 480, height: 320) : ChartLayout()
            for ((k, run), full) in zip(scatterRuns, scatters) {
                var shown = full.thinned(to: c.options.maxScatterPoints, seed: c.options.seed)
                if c.multi { shown.xDomain = shared.x; shown.yDomain = shared.y }
                w.figure(shown.svg(title: "Reward vs response length" + (c.multi ? ": \(run.name)" : ""), xLabel: "response tokens",
                                   yLabel: "reward (\(run.scoreName))", layout: layout),
                         name: c.prefix(k) + "length-scatter",
                         caption: (shown.points.count < full.points.count
                            ? "A seeded sample of \(shown.points.count) of \(full.points.count) responses."
                            : "\(full.points.count) responses.") + (c.multi ? " Same axes for every run." : ""))
            }
            w.close("div")
        }
        let buckets = c.runs.compactMap { r in lengthBuckets(r).map { (r, $0) } }
        if !buckets.isEmpty {
            var labels: [String] = []
            for (_, b) in buckets { for row in b.rows where !labels.contains(row.label) { labels.append(row.label) } }
            let by = Set(buckets.map(\.1.by)).sorted().joined(separator: " / ")
            let sub = Context(runs: buckets.map(\.0), options: c.options)
            w.table(header: header("bucket (\(by))", sub), cells: labels.map { l in
                [Cell(l)] + buckets.map { _, b -> Cell in
                    guard let row = b.rows.first(where: { $0.label == l }), let acc = row.accuracy else { return Cell("–") }
                    return Cell(Format.withCI(acc, row.ci) + (row.n.map { " (n = \($0))" } ?? ""), numeric: true)
                }
            }, caption: "Agreement by length" + (buckets.allSatisfy(\.1.fromFile) ? " (length.json)" : buckets.contains(where: \.1.fromFile) ? "" : " (computed from pairs.jsonl; no length.json)"))
            let series = buckets.map { r, b in
                BarChart.Series(name: sub.multi ? r.name : "", bars: labels.map { l in
                    b.rows.first { $0.label == l }.flatMap { row in row.accuracy.map { BarChart.Bar($0, ci: row.ci) } }
                })
            }
            w.figure(BarChart(categories: labels, series: series, domain: (0, 1), reference: 0.5)
                        .svg(title: "Agreement by length", xLabel: by, yLabel: "accuracy"),
                     name: "length-buckets",
                     caption: "Accuracy per length bucket" + (sub.multi ? ", one bar per run" : "") + "; whiskers: 95% CI where length.json gives one; dashed: chance.")
        }
        let corr = Context(runs: c.runs.filter { $0.length?["correlation"]?.objectValue != nil }, options: c.options)
        if !corr.runs.isEmpty {
            scalarTable(&w, corr, { $0.length?["correlation"] }, caption: "Reward–length correlation (length.json)")
        }
        let withLength = Context(runs: c.runs.filter { $0.length != nil }, options: c.options)
        if !withLength.runs.isEmpty {
            scalarTable(&w, withLength, \.length, caption: "Length statistics (length.json)")
        }
    }
}
