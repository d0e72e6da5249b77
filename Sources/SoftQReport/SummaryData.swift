import Foundation
import SoftQBase
import SoftQEvaluation

/// The numbers the report shows, taken from summary.json when it has them and otherwise
/// computed from pairs.jsonl (and then labelled so). summary.json is read with
/// SoftQEvaluation's readers of the shapes it writes (`ConfidenceInterval(json:)`,
/// `SubsetAccuracy(subset:json:)`, `Calibration.Bin(json:)`); field names: docs/spec/outputs.md.
struct Agreement {
    var n: Int
    var accuracy: Double
    var ci: (low: Double, high: Double)?
    var ties: Int
    var fromSummary: Bool
}

struct SubsetRow {
    var name: String
    var n: Int?
    var accuracy: Double
    var ci: (low: Double, high: Double)?
    var ties: Int?
}

/// The checkpoint's `/training` metadata as `softq score` records it in summary.json
/// (`provenance.checkpoint.training`): what the policy was trained with.
struct TrainingInfo {
    var objective: String?
    var tdWeight: Double?
    var gamma: Double?
    /// α, the soft-Q temperature (`temperature` in the checkpoint).
    var alpha: Double?
}

extension JSONValue {
    /// A confidence interval as (low, high): SoftQEvaluation's interval object (every file
    /// softq writes today), or the `[low, high]` array of analysis files of schema_version 1.
    var interval: (low: Double, high: Double)? {
        if let ci = ConfidenceInterval(json: self) { return (ci.low, ci.high) }
        if let a = arrayValue, a.count == 2, let lo = a[0].doubleValue, let hi = a[1].doubleValue { return (lo, hi) }
        return nil
    }
}

extension RunData {
    var agreement: Agreement? {
        if let s = summary, let acc = s["accuracy"]?.doubleValue {
            return Agreement(n: s["n_pairs"]?.intValue ?? pairs.count, accuracy: acc, ci: s["accuracy_ci95"]?.interval,
                             ties: s["ties"]?.intValue ?? pairs.filter(\.tie).count, fromSummary: true)
        }
        guard !pairs.isEmpty else { return nil }
        return Agreement(n: pairs.count, accuracy: Double(pairs.filter(\.correct).count) / Double(pairs.count),
                         ci: nil, ties: pairs.filter(\.tie).count, fromSummary: false)
    }

    /// Per-subset rows: summary.json `subsets` (an object keyed by subset, as PairEvaluation
    /// writes it), else computed from pairs.jsonl when pairs carry subsets.
    var subsetRows: (rows: [SubsetRow], fromSummary: Bool) {
        if let sub = summary?["subsets"]?.objectValue {
            let rows = sub.compactMap { name, v -> SubsetRow? in
                guard let s = SubsetAccuracy(subset: name, json: v) else { return nil }
                // The file's own accuracy (the one a reader compares with), not a recomputation.
                return SubsetRow(name: name, n: s.count, accuracy: v["accuracy"]?.doubleValue ?? s.accuracy,
                                 ci: v["accuracy_ci95"]?.interval, ties: s.ties)
            }
            if !rows.isEmpty { return (rows, true) }
        }
        var order: [String] = []
        var groups: [String: [PairRecord]] = [:]
        for p in pairs {
            guard let s = p.subset else { continue }
            if groups[s] == nil { order.append(s) }
            groups[s, default: []].append(p)
        }
        return (order.map { s in
            let g = groups[s] ?? []
            return SubsetRow(name: s, n: g.count, accuracy: Double(g.filter(\.correct).count) / Double(g.count),
                             ci: nil, ties: g.filter(\.tie).count)
        }, false)
    }

    /// summary.json `calibration` (Brier, ECE, reliability table), read with SoftQEvaluation's reader.
    var calibration: Calibration? { summary?["calibration"].flatMap(Calibration.init(json:)) }

    /// summary.json `calibration.bins`, else computed from pairs.jsonl.
    var reliability: (ReliabilityDiagram, fromSummary: Bool)? {
        if let c = calibration, !c.bins.isEmpty { return (ReliabilityDiagram(c), true) }
        guard !pairs.isEmpty else { return nil }
        do {
            return (ReliabilityDiagram(try Calibration(margins: pairs.map(\.margin))), false)
        } catch {
            return nil  // non-finite margins: SoftQEvaluation refuses them, and so does the plot
        }
    }

    /// The aggregate that margins use (`score` in pairs.jsonl, else summary options), default `sum`.
    var scoreName: String {
        pairs.first?.score ?? summary?["options"]?["score"]?.stringValue
            ?? summary?["options"]?["aggregate"]?.stringValue ?? "sum"
    }

    /// summary.json `margin` (read as SoftQEvaluation's MarginStatistics), else the basic
    /// statistics of pairs.jsonl.
    var marginStats: [(String, Double)] {
        if let m = summary?["margin"].flatMap(MarginStatistics.init(json:)) {
            return [("count", Double(m.count)), ("mean", m.mean), ("std", m.std), ("min", m.min), ("q05", m.q05),
                    ("q25", m.q25), ("median", m.median), ("q75", m.q75), ("q95", m.q95), ("max", m.max)]
        }
        let ms = pairs.map(\.margin).filter { $0.isFinite }.sorted()
        guard let first = ms.first, let last = ms.last else { return [] }
        let mean = ms.reduce(0, +) / Double(ms.count)
        let median = ms.count % 2 == 1 ? ms[ms.count / 2] : (ms[ms.count / 2 - 1] + ms[ms.count / 2]) / 2
        return [("mean", mean), ("median", median), ("min", first), ("max", last)]
    }

    /// `provenance.checkpoint.training` of summary.json (nil fields when absent).
    var training: TrainingInfo {
        let t = summary?["provenance"]?["checkpoint"]?["training"]
        return TrainingInfo(objective: t?["objective"]?.stringValue, tdWeight: t?["td_weight"]?.doubleValue,
                            gamma: t?["gamma"]?.doubleValue, alpha: t?["temperature"]?.doubleValue)
    }
}
