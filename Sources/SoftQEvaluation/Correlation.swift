import SoftQBase

/// Pearson, Spearman and Kendall τ-b between paired samples, as scipy.stats computes them.
///
/// A coefficient is NaN when it is undefined: when either input is constant (zero variance,
/// or every pair tied in one variable). Fewer than 2 values, mismatched lengths or non-finite
/// values are `EvaluationError`s.
public enum CorrelationKind: String, CaseIterable, Sendable {
    case pearson, spearman, kendall
}

/// Pearson's r = Σ(x−x̄)(y−ȳ) / √(Σ(x−x̄)² Σ(y−ȳ)²), clipped to [−1, 1] (as scipy does).
public func pearson(_ x: [Double], _ y: [Double]) throws -> Double {
    try checkPaired(x, y)
    return pearsonUnchecked(x, y)
}

/// Spearman's ρ: Pearson's r of the ranks, tied values sharing their average rank.
public func spearman(_ x: [Double], _ y: [Double]) throws -> Double {
    try checkPaired(x, y)
    return pearsonUnchecked(averageRanks(x), averageRanks(y))
}

/// Kendall's τ-b = (n_c − n_d) / √((n_0 − n_1)(n_0 − n_2)) with n_0 = n(n−1)/2 and n_1, n_2
/// the pairs tied in x, in y (scipy's default variant). O(n log n) (Knight's algorithm).
public func kendallTauB(_ x: [Double], _ y: [Double]) throws -> Double {
    try checkPaired(x, y)
    return kendallUnchecked(x, y)
}

/// A correlation coefficient with its percentile-bootstrap interval (pairs resampled together).
public struct CorrelationResult: Equatable, Sendable {
    public var kind: CorrelationKind
    public var count: Int
    public var value: Double
    public var interval: ConfidenceInterval

    public var json: JSONValue {
        .object([("method", .string(kind.rawValue)), ("n", .int(count)), ("value", jsonNumber(value)),
                 ("ci", interval.json)])
    }
}

/// The coefficient and its seeded bootstrap CI (see `ConfidenceInterval` for the resampling rule).
public func correlation(_ kind: CorrelationKind, _ x: [Double], _ y: [Double],
                        bootstrap: BootstrapOptions = BootstrapOptions()) throws -> CorrelationResult {
    try checkPaired(x, y)
    let f: ([Double], [Double]) -> Double
    switch kind {
    case .pearson: f = pearsonUnchecked
    case .spearman: f = { pearsonUnchecked(averageRanks($0), averageRanks($1)) }
    case .kendall: f = kendallUnchecked
    }
    let ci = try bootstrapInterval(count: x.count, options: bootstrap) { idx in
        f(idx.map { x[$0] }, idx.map { y[$0] })
    }
    return CorrelationResult(kind: kind, count: x.count, value: f(x, y), interval: ci)
}

/// All three coefficients, each with its own bootstrap from the same seed.
public func correlations(_ x: [Double], _ y: [Double],
                         bootstrap: BootstrapOptions = BootstrapOptions()) throws -> [CorrelationResult] {
    try CorrelationKind.allCases.map { try correlation($0, x, y, bootstrap: bootstrap) }
}

/// 1-based ranks, ties given the mean of the ranks they span (scipy's `rankdata(method="average")`).
public func averageRanks(_ x: [Double]) -> [Double] {
    let order = x.indices.sorted { x[$0] < x[$1] || (x[$0] == x[$1] && $0 < $1) }
    var ranks = [Double](repeating: 0, count: x.count)
    var i = 0
    while i < order.count {
        var j = i
        while j + 1 < order.count && x[order[j + 1]] == x[order[i]] { j += 1 }
        let r = Double(i + j + 2) / 2          // mean of ranks i+1 … j+1
        for k in i...j { ranks[order[k]] = r }
        i = j + 1
    }
    return ranks
}

func checkPaired(_ x: [Double], _ y: [Double]) throws {
    guard x.count == y.count else { throw EvaluationError.lengthMismatch(what: "y", expected: x.count, actual: y.count) }
    guard x.count >= 2 else { throw EvaluationError.tooFew(what: "a correlation", needed: 2, actual: x.count) }
    try requireFinite(x, "x")
    try requireFinite(y, "y")
}

func pearsonUnchecked(_ x: [Double], _ y: [Double]) -> Double {
    let n = Double(x.count)
    let mx = x.reduce(0, +) / n, my = y.reduce(0, +) / n
    var sxy = 0.0, sxx = 0.0, syy = 0.0
    for i in x.indices {
        let dx = x[i] - mx, dy = y[i] - my
        sxy += dx * dy; sxx += dx * dx; syy += dy * dy
    }
    guard sxx > 0, syy > 0 else { return .nan }
    return Swift.max(-1, Swift.min(1, sxy / (sxx.squareRoot() * syy.squareRoot())))
}

func kendallUnchecked(_ x: [Double], _ y: [Double]) -> Double {
    let n = x.count
    // Sort by (x, y): pairs tied in x then appear in y order and add no inversions.
    let order = x.indices.sorted { x[$0] < x[$1] || (x[$0] == x[$1] && y[$0] < y[$1]) }
    func tiedPairs(_ equal: (Int, Int) -> Bool, _ seq: [Int]) -> Int {
        var total = 0, run = 1
        for k in 1..<seq.count {
            if equal(seq[k - 1], seq[k]) { run += 1 } else { total += run * (run - 1) / 2; run = 1 }
        }
        return total + run * (run - 1) / 2
    }
    let n1 = tiedPairs({ x[$0] == x[$1] }, order)
    let n3 = tiedPairs({ x[$0] == x[$1] && y[$0] == y[$1] }, order)
    // Merge sort the y sequence, counting strict inversions (discordant pairs).
    var ys = order.map { y[$0] }, buffer = ys
    var swaps = 0
    var width = 1
    while width < n {
        var lo = 0
        while lo < n {
            let mid = Swift.min(lo + width, n), hi = Swift.min(lo + 2 * width, n)
            var i = lo, j = mid, k = lo
            while i < mid && j < hi {
                if ys[j] < ys[i] { buffer[k] = ys[j]; swaps += mid - i; j += 1 } else { buffer[k] = ys[i]; i += 1 }
                k += 1
            }
            while i < mid { buffer[k] = ys[i]; i += 1; k += 1 }
            while j < hi { buffer[k] = ys[j]; j += 1; k += 1 }
            lo = hi
        }
        swap(&ys, &buffer)
        width *= 2
    }
    var n2 = 0, run = 1
    for k in 1..<n { if ys[k] == ys[k - 1] { run += 1 } else { n2 += run * (run - 1) / 2; run = 1 } }
    n2 += run * (run - 1) / 2
    let n0 = n * (n - 1) / 2
    guard n1 < n0, n2 < n0 else { return .nan }
    let s = Double(n0 - n1 - n2 + n3 - 2 * swaps)
    return Swift.max(-1, Swift.min(1, s / Double(n0 - n1).squareRoot() / Double(n0 - n2).squareRoot()))
}
