import Foundation
import SoftQBase
import SoftQEvaluation

/// The numbers the report shows, taken from summary.json when it has them and otherwise
/// computed from pairs.jsonl (and then labelled so). Field names: docs/spec/outputs.md.
struct Agreement {
    var n: Int
    var accuracy: Double
    var ci: (Double, Double)?
    var ties: Int
    var fromSummary: Bool
}

struct SubsetRow {
    var name: String
    var n: Int?
    var accuracy: Double
    var ci: (Double, Double)?
    var ties: Int?
}

extension JSONValue {
    /// A confidence interval as (low, high): SoftQEvaluation's object `{"low", "high", "level", …}`,
    /// or `{"lo", "hi"}`, or a two-number array.
    var interval: (Double, Double)? {
        if let a = arrayValue, a.count == 2, let lo = a[0].doubleValue, let hi = a[1].doubleValue { return (lo, hi) }
        if let lo = (self["low"] ?? self["lo"])?.doubleValue, let hi = (self["high"] ?? self["hi"])?.doubleValue { return (lo, hi) }
        return nil
    }
    /// The numeric fields of an object, in file order.
    var numericFields: [(String, Double)] {
        (objectValue ?? []).compactMap { k, v in v.doubleValue.map { (k, $0) } }
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

    /// Per-subset rows: summary.json `subsets` (an array of objects or an object keyed by
    /// subset), else computed from pairs.jsonl when pairs carry subsets.
    var subsetRows: (rows: [SubsetRow], fromSummary: Bool) {
        if let sub = summary?["subsets"] {
            var rows: [SubsetRow] = []
            func row(_ name: String, _ v: JSONValue) -> SubsetRow? {
                if let a = v.doubleValue { return SubsetRow(name: name, n: nil, accuracy: a, ci: nil, ties: nil) }
                guard let a = v["accuracy"]?.doubleValue else { return nil }
                return SubsetRow(name: name, n: v["n"]?.intValue ?? v["n_pairs"]?.intValue, accuracy: a,
                                 ci: v["accuracy_ci95"]?.interval, ties: v["ties"]?.intValue)
            }
            if let a = sub.arrayValue {
                rows = a.compactMap { v in (v["subset"]?.stringValue ?? v["name"]?.stringValue).flatMap { row($0, v) } }
            } else if let o = sub.objectValue {
                rows = o.compactMap { row($0.0, $0.1) }
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
            let g = groups[s]!
            return SubsetRow(name: s, n: g.count, accuracy: Double(g.filter(\.correct).count) / Double(g.count),
                             ci: nil, ties: g.filter(\.tie).count)
        }, false)
    }

    /// summary.json `calibration.bins` (or `.reliability`), else computed from pairs.jsonl.
    var reliability: (ReliabilityDiagram, fromSummary: Bool)? {
        if let table = (summary?["calibration"]?["bins"] ?? summary?["calibration"]?["reliability"])?.arrayValue {
            let bins = table.compactMap { b -> ReliabilityDiagram.Bin? in
                guard let lo = (b["lower"] ?? b["lo"])?.doubleValue, let hi = (b["upper"] ?? b["hi"])?.doubleValue,
                      let n = b["count"]?.intValue else { return nil }
                return .init(lo: lo, hi: hi, count: n, meanP: b["mean_p"]?.doubleValue ?? .nan,
                             accuracy: b["accuracy"]?.doubleValue ?? .nan)
            }
            if !bins.isEmpty { return (ReliabilityDiagram(bins: bins), true) }
        }
        guard !pairs.isEmpty else { return nil }
        do {
            return (ReliabilityDiagram(try Calibration(margins: pairs.map(\.margin))), false)
        } catch {
            return nil  // non-finite margins: SoftQEvaluation refuses them, and so does the plot
        }
    }

    /// The aggregate that margins use (`score` in pairs.jsonl, else summary options), default `sum`.
    var scoreName: String {
        pairScore ?? summary?["options"]?["score"]?.stringValue
            ?? summary?["options"]?["aggregate"]?.stringValue ?? "sum"
    }
    private var pairScore: String? { pairs.first?.score }

    var marginStats: [(String, Double)] {
        if let m = (summary?["margin"] ?? summary?["margins"])?.numericFields, !m.isEmpty { return m }
        let ms = pairs.map(\.margin).filter { $0.isFinite }.sorted()
        guard !ms.isEmpty else { return [] }
        let mean = ms.reduce(0, +) / Double(ms.count)
        let median = ms.count % 2 == 1 ? ms[ms.count / 2] : (ms[ms.count / 2 - 1] + ms[ms.count / 2]) / 2
        return [("mean", mean), ("median", median), ("min", ms.first!), ("max", ms.last!)]
    }
}
