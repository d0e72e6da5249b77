import Foundation
import SoftQBase

/// The steps section, from steps.json of `softq analyze steps` (docs/spec/outputs.md).
extension Sections {
    /// (label, score block key, field, interval field) of the summary table, in order.
    static let stepRows: [(String, String, String, String)] = [
        ("AUROC of step reward", "reward", "auroc", "auroc_ci95"),
        ("AUROC of step log-likelihood", "logprob", "auroc", "auroc_ci95"),
        ("first-error F1, step reward", "reward", "f1", "f1_ci95"),
        ("first-error F1, step log-likelihood", "logprob", "f1", "f1_ci95"),
        ("accuracy on erroneous, step reward", "reward", "accuracy_erroneous", ""),
        ("accuracy on correct, step reward", "reward", "accuracy_correct", ""),
        ("accuracy on erroneous, step log-likelihood", "logprob", "accuracy_erroneous", ""),
        ("accuracy on correct, step log-likelihood", "logprob", "accuracy_correct", ""),
    ]

    static func steps(_ w: inout HTMLWriter, _ c: Context) {
        let runs = c.runs.filter { $0.steps != nil }
        absentIn(&w, c, c.runs.filter { $0.steps == nil }, "No steps.json (softq analyze steps writes it)")
        guard !runs.isEmpty else { return }
        let sub = Context(runs: runs, options: c.options)
        w.table(header: header("step-labelled solutions", sub), cells: stepRows.map { label, block, key, ciKey in
            [Cell(label)] + runs.map { statCell($0.steps?[block], key, ciKey) }
        } + [[Cell("first-error threshold τ (reward; log-likelihood), from validation")] + runs.map { r in
            Cell(["reward", "logprob"].map { r.steps?[$0]?["threshold"]?.cellText ?? "–" }.joined(separator: "; "), numeric: true)
        }], caption: "Correct steps (before the first error) against wrong ones, and ProcessBench first-error localisation [95% CI] (steps.json)")

        // AUROC by step position: a group per position, a bar per score (and run).
        func positions(_ r: RunData, _ block: String) -> [JSONValue] { r.steps?[block]?["auroc_by_position"]?.arrayValue ?? [] }
        let labels = union(runs) { r in positions(r, "reward").compactMap { $0["position"]?.intValue.map { "step \($0)" } } }
        var series: [BarChart.Series] = []
        for r in runs {
            for (block, name) in [("reward", "reward"), ("logprob", "log-likelihood")] {
                series.append(BarChart.Series(name: sub.multi ? "\(r.name): \(name)" : name, bars: labels.map { l in
                    positions(r, block).first { $0["position"]?.intValue.map { "step \($0)" } == l }.flatMap { e in
                        e["auroc"]?.doubleValue.map { BarChart.Bar($0, ci: e["auroc_ci95"]?.interval) }
                    }
                }))
            }
        }
        if !labels.isEmpty {
            w.figure(BarChart(categories: labels, series: series, domain: (0, 1), reference: 0.5)
                        .svg(title: "Step AUROC by position", xLabel: "step position", yLabel: "AUROC (correct vs wrong)"),
                     name: "steps-auroc-by-position",
                     caption: "AUROC of correct against wrong steps at each position; whiskers: 95% CI; dashed: chance; a missing bar: no wrong (or no correct) step there.")
        }
        w.details("Other fields of steps.json")
        scalarTable(&w, sub, \.steps, caption: "steps.json")
        scalarTable(&w, sub, { $0.steps?["validation"] }, caption: "steps.json: the validation solutions")
        w.close("details")
    }
}
