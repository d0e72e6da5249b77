import SoftQBase

/// The statistics the analyses use, in one place so that every number goes through the
/// tested implementations.
///
/// TEMPORARY: until SoftQEvaluation's correlation and bootstrap functions land on main, the
/// bodies below are minimal stand-ins; this file is then rewritten to forward to them.
enum Stats {
    static func mean(_ x: [Double]) -> Double {
        x.isEmpty ? .nan : x.reduce(0, +) / Double(x.count)
    }

    static func median(_ x: [Double]) -> Double {
        guard !x.isEmpty else { return .nan }
        let s = x.sorted()
        return s.count % 2 == 1 ? s[s.count / 2] : (s[s.count / 2 - 1] + s[s.count / 2]) / 2
    }

    static func pearson(_ x: [Double], _ y: [Double]) -> Double {
        let n = Double(x.count)
        guard x.count >= 2 else { return .nan }
        let mx = x.reduce(0, +) / n, my = y.reduce(0, +) / n
        var sxy = 0.0, sxx = 0.0, syy = 0.0
        for i in 0..<x.count {
            sxy += (x[i] - mx) * (y[i] - my); sxx += (x[i] - mx) * (x[i] - mx); syy += (y[i] - my) * (y[i] - my)
        }
        return sxx > 0 && syy > 0 ? sxy / (sxx * syy).squareRoot() : .nan
    }

    static func ranks(_ x: [Double]) -> [Double] {
        let order = x.indices.sorted { x[$0] < x[$1] || (x[$0] == x[$1] && $0 < $1) }
        var r = [Double](repeating: 0, count: x.count)
        var i = 0
        while i < order.count {
            var j = i
            while j + 1 < order.count && x[order[j + 1]] == x[order[i]] { j += 1 }
            for k in i...j { r[order[k]] = Double(i + j) / 2 + 1 }
            i = j + 1
        }
        return r
    }

    static func spearman(_ x: [Double], _ y: [Double]) -> Double { pearson(ranks(x), ranks(y)) }

    static func kendall(_ x: [Double], _ y: [Double]) -> Double {
        var c = 0.0, d = 0.0, tx = 0.0, ty = 0.0
        for i in 0..<x.count {
            for j in (i + 1)..<max(i + 1, x.count) {
                let a = (x[i] - x[j]).sign, b = (y[i] - y[j]).sign
                let dx = x[i] - x[j], dy = y[i] - y[j]
                if dx == 0 && dy == 0 { continue }
                if dx == 0 { tx += 1; continue }
                if dy == 0 { ty += 1; continue }
                if a == b { c += 1 } else { d += 1 }
            }
        }
        let den = ((c + d + tx) * (c + d + ty)).squareRoot()
        return den > 0 ? (c - d) / den : .nan
    }

    /// Percentile bootstrap CI (95%) of `statistic` over resamples of the indices 0..<n.
    static func bootstrapCI(n: Int, seed: UInt64, resamples: Int,
                            _ statistic: ([Int]) -> Double) -> (Double, Double)? {
        guard n >= 1, resamples >= 1 else { return nil }
        var rng = SeededGenerator(seed: seed)
        var values: [Double] = []
        values.reserveCapacity(resamples)
        var idx = [Int](repeating: 0, count: n)
        for _ in 0..<resamples {
            for i in 0..<n { idx[i] = rng.nextInt(below: n) }
            let v = statistic(idx)
            if v.isFinite { values.append(v) }
        }
        guard values.count * 2 > resamples else { return nil }
        values.sort()
        func q(_ p: Double) -> Double {
            let h = p * Double(values.count - 1)
            let lo = Int(h.rounded(.down)), hi = min(lo + 1, values.count - 1)
            return values[lo] + (h - Double(lo)) * (values[hi] - values[lo])
        }
        return (q(0.025), q(0.975))
    }

    static func meanCI(_ x: [Double], seed: UInt64, resamples: Int) -> (Double, Double)? {
        bootstrapCI(n: x.count, seed: seed, resamples: resamples) { idx in
            var s = 0.0
            for i in idx { s += x[i] }
            return s / Double(idx.count)
        }
    }

    enum Correlation: String, CaseIterable { case spearman, pearson, kendall }

    static func correlation(_ kind: Correlation, _ x: [Double], _ y: [Double]) -> Double {
        switch kind {
        case .spearman: return spearman(x, y)
        case .pearson: return pearson(x, y)
        case .kendall: return kendall(x, y)
        }
    }

    static func correlationCI(_ kind: Correlation, _ x: [Double], _ y: [Double], seed: UInt64,
                              resamples: Int) -> (Double, Double)? {
        bootstrapCI(n: x.count, seed: seed, resamples: resamples) { idx in
            correlation(kind, idx.map { x[$0] }, idx.map { y[$0] })
        }
    }
}
