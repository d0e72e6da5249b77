import Foundation
import SoftQBase
import SoftQEvaluation

/// The few numbers a reader looks for first, each tied to the field of the file it shows.
///
/// Every value carries `source`, a reference `FILE#POINTER` where POINTER is an RFC 6901 JSON
/// Pointer without its leading `/` (`summary.json#accuracy`, `summary.json#calibration/ece`,
/// `robustness.json#by_type/1/win_rate`); the report writes it in `data-json` so a reader (or
/// a test) can find the exact value behind a rounded number. A value computed from pairs.jsonl
/// because summary.json lacks it has no source and says so.
struct HeadlineValue: Sendable {
    var value: Double
    var ci: (low: Double, high: Double)?
    /// `FILE#POINTER` of the value (nil: computed, see `computedFrom`).
    var source: String?
    var ciSource: String?
    /// What the value is about when the metric picks one of several (the worst subset's name).
    var detail: String?
    var computedFrom: String?
    /// Counts (ties) print as integers.
    var isCount = false

    var text: String { isCount ? String(Int(value)) : Format.stat(value) }
}

/// Which way is better, for marking the best run per metric.
enum Direction: String, Sendable {
    case higher, lower
}

struct HeadlineMetric: Sendable {
    var id: String
    var label: String
    var direction: Direction?
    var read: @Sendable (RunData) -> HeadlineValue?

    static func pointer(_ parts: [String]) -> String {
        parts.map { $0.replacingOccurrences(of: "~", with: "~0").replacingOccurrences(of: "/", with: "~1") }
            .joined(separator: "/")
    }

    /// In display order. Directions: accuracy, worst subset, robustness and Spearman higher;
    /// ties, Brier and ECE lower; the mean margin has none (its scale is the reward's).
    static let all: [HeadlineMetric] = [
        HeadlineMetric(id: "accuracy", label: "accuracy (95% CI)", direction: .higher) { run in
            guard let a = run.agreement else { return nil }
            return HeadlineValue(value: a.accuracy, ci: a.ci, source: a.fromSummary ? "summary.json#accuracy" : nil,
                                 ciSource: a.ci == nil ? nil : "summary.json#accuracy_ci95",
                                 computedFrom: a.fromSummary ? nil : "pairs.jsonl")
        },
        HeadlineMetric(id: "ties", label: "ties (margin = 0)", direction: .lower) { run in
            guard let a = run.agreement else { return nil }
            let inSummary = run.summary?["ties"]?.intValue != nil
            return HeadlineValue(value: Double(a.ties), source: inSummary ? "summary.json#ties" : nil,
                                 computedFrom: inSummary ? nil : "pairs.jsonl", isCount: true)
        },
        HeadlineMetric(id: "mean-margin", label: "mean margin", direction: nil) { run in
            if let m = run.summary?["margin"].flatMap(MarginStatistics.init(json:)) {
                return HeadlineValue(value: m.mean, source: "summary.json#margin/mean")
            }
            return run.marginStats.first { $0.0 == "mean" }.map { HeadlineValue(value: $0.1, computedFrom: "pairs.jsonl") }
        },
        HeadlineMetric(id: "brier", label: "Brier score", direction: .lower) { run in
            run.calibration.map { HeadlineValue(value: $0.brier, source: "summary.json#calibration/brier") }
        },
        HeadlineMetric(id: "ece", label: "calibration error (ECE)", direction: .lower) { run in
            run.calibration.map { HeadlineValue(value: $0.ece, source: "summary.json#calibration/ece") }
        },
        HeadlineMetric(id: "worst-subset", label: "worst subset accuracy", direction: .higher) { run in
            let (rows, fromSummary) = run.subsetRows
            // The first of equally bad subsets, in file order.
            guard let w = rows.filter({ $0.accuracy.isFinite }).min(by: { $0.accuracy < $1.accuracy }) else { return nil }
            return HeadlineValue(value: w.accuracy, ci: w.ci,
                                 source: fromSummary ? "summary.json#" + pointer(["subsets", w.name, "accuracy"]) : nil,
                                 ciSource: fromSummary && w.ci != nil ? "summary.json#" + pointer(["subsets", w.name, "accuracy_ci95"]) : nil,
                                 detail: w.name, computedFrom: fromSummary ? nil : "pairs.jsonl")
        },
        HeadlineMetric(id: "robustness", label: "robustness: worst win rate", direction: .higher) { run in
            // Pooled per type when the file has it, else per (type, strength).
            for key in ["by_type", "perturbations"] {
                guard let rows = run.robustness?[key]?.arrayValue, !rows.isEmpty else { continue }
                var worst: (Int, Double)?
                for (k, r) in rows.enumerated() {
                    if let v = r["win_rate"]?.doubleValue, v.isFinite, worst.map({ v < $0.1 }) ?? true { worst = (k, v) }
                }
                guard let (k, v) = worst else { return nil }
                let r = rows[k]
                var detail = r["type"]?.cellText ?? "?"
                if key == "perturbations", let s = r["strength"] { detail += " @ " + s.cellText }
                let ci = r["win_rate_ci95"]?.interval
                return HeadlineValue(value: v, ci: ci, source: "robustness.json#" + pointer([key, String(k), "win_rate"]),
                                     ciSource: ci == nil ? nil : "robustness.json#" + pointer([key, String(k), "win_rate_ci95"]),
                                     detail: detail)
            }
            return nil
        },
        HeadlineMetric(id: "spearman", label: "Spearman(reward, task metric)", direction: .higher) { run in
            guard let rows = run.correlation?["correlations"]?.arrayValue else { return nil }
            // Spearman over all points (`scope` pooled, or no scope), else the first Spearman.
            let spearman = rows.enumerated().filter { (($0.element["kind"] ?? $0.element["method"] ?? $0.element["name"])?.stringValue ?? "") == "spearman" }
            guard let (k, r) = spearman.first(where: { ($0.element["scope"]?.stringValue ?? "pooled") == "pooled" }) ?? spearman.first,
                  let v = r["value"]?.doubleValue else { return nil }
            let ciKey = r["ci95"] != nil ? "ci95" : "ci"
            let ci = r[ciKey]?.interval
            return HeadlineValue(value: v, ci: ci, source: "correlation.json#" + pointer(["correlations", String(k), "value"]),
                                 ciSource: ci == nil ? nil : "correlation.json#" + pointer(["correlations", String(k), ciKey]))
        },
    ]

    /// Indices of the runs holding the best value, by `direction`; empty when there is no
    /// direction, fewer than two runs have the metric, or all of them are equal.
    static func best(_ values: [HeadlineValue?], _ direction: Direction?) -> Set<Int> {
        guard let direction else { return [] }
        let present = values.enumerated().compactMap { k, v in v.flatMap { $0.value.isFinite ? (k, $0.value) : nil } }
        guard present.count >= 2, let lo = present.map(\.1).min(), let hi = present.map(\.1).max(), lo < hi else { return [] }
        let target = direction == .higher ? hi : lo
        return Set(present.filter { $0.1 == target }.map(\.0))
    }
}

extension Sections {
    /// The headline: a card row for one run; a table with a column per run (best marked) for several.
    static func headline(_ w: inout HTMLWriter, _ runs: [RunData]) {
        let metrics = HeadlineMetric.all
        let values = metrics.map { m in runs.map { m.read($0) } }
        if runs.count == 1 {
            w.open("div", [("class", "cards")])
            for (m, v) in zip(metrics, values) {
                guard let v = v[0] else { continue }
                w.open("div", [("class", "card"), ("data-metric", m.id)])
                w.element("div", m.label + (m.direction.map { $0 == .higher ? " ↑" : " ↓" } ?? ""), [("class", "card-label")])
                w.element("div", v.text, valueAttributes(v, run: nil, extra: [("class", "card-value"), ("data-metric", m.id)]))
                if let ci = v.ci {
                    w.element("div", Format.interval(ci.low, ci.high),
                              [("class", "card-sub")] + (v.ciSource.map { [("data-json", $0)] } ?? []))
                }
                if let d = v.detail { w.element("div", d, [("class", "card-sub")]) }
                if let c = v.computedFrom { w.element("div", "computed from \(c)", [("class", "card-sub")]) }
                w.close("div")
            }
            w.close("div")
            w.element("p", "↑ higher is better, ↓ lower is better. Numbers are rounded to 3 significant digits; hover one for the file field it comes from and its exact value.",
                      [("class", "legend-note")])
        } else {
            var rows: [[Cell]] = []
            for (m, vs) in zip(metrics, values) where vs.contains(where: { $0 != nil }) {
                let best = HeadlineMetric.best(vs, m.direction)
                var row = [Cell(m.label + (m.direction.map { $0 == .higher ? " ↑" : " ↓" } ?? ""))]
                for (k, v) in vs.enumerated() {
                    guard let v else { row.append(Cell("–")); continue }
                    var text = v.text
                    if let ci = v.ci { text += " " + Format.interval(ci.low, ci.high) }
                    if let d = v.detail { text += " (\(d))" }
                    var extra: [(String, String)] = [("data-metric", m.id)]
                    if best.contains(k) { extra.append(("class", "best")) }
                    if let s = v.ciSource { extra.append(("data-json-ci", s)) }
                    row.append(Cell(text, numeric: true, valueAttributes(v, run: runs[k].name, extra: extra)))
                }
                rows.append(row)
            }
            w.table(header: [""] + runs.map(\.name), cells: rows, caption: "The runs side by side",
                    attributes: [("class", "headline")])
            w.element("p", "↑ higher is better, ↓ lower is better; ★ marks the best run per metric (none when all are equal). Numbers are rounded to 3 significant digits; hover one for the file field it comes from and its exact value.",
                      [("class", "legend-note")])
        }
        w.element("p", "Full precision: summary.json and the analysis JSON/CSV files of each run directory (listed in “the run”).",
                  [("class", "legend-note")])
    }

    static func valueAttributes(_ v: HeadlineValue, run: String?, extra: [(String, String)]) -> [(String, String)] {
        var a = extra
        if let s = v.source, !a.contains(where: { $0.0 == "title" }) {
            a.append(("title", "\(run.map { $0 + "/" } ?? "")\(s) = \(v.isCount ? String(Int(v.value)) : Format.exact(v.value))"))
        }
        if let s = v.source { a.append(("data-json", s)) }
        if let c = v.computedFrom { a.append(("data-computed", c)) }
        if let run { a.append(("data-run", run)) }
        return a
    }
}
