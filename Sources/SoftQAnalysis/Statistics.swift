import SoftQBase
import SoftQEvaluation

/// The statistics the analyses use, forwarding to SoftQEvaluation (tested there against
/// scipy and numpy), in the shapes the analyses need: an undefined coefficient (constant
/// input, fewer than two values) is NaN, an interval that cannot be formed is nil.
enum Stats {
    static func mean(_ x: [Double]) -> Double {
        x.isEmpty ? .nan : x.reduce(0, +) / Double(x.count)
    }

    /// numpy's `np.median`: the middle value, or the mean of the two middle values.
    static func median(_ x: [Double]) -> Double {
        guard !x.isEmpty else { return .nan }
        let s = x.sorted()
        return s.count % 2 == 1 ? s[s.count / 2] : (s[s.count / 2 - 1] + s[s.count / 2]) / 2
    }

    typealias Correlation = CorrelationKind

    /// Pearson, Spearman (average ranks) or Kendall τ-b. NaN when undefined: fewer than two
    /// values or a constant input (SoftQEvaluation's errors for those cases mean exactly that
    /// here; the analyses only pass finite scores of equal count).
    static func correlation(_ kind: Correlation, _ x: [Double], _ y: [Double]) -> Double {
        guard x.count >= 2, x.count == y.count else { return .nan }
        do {
            switch kind {
            case .pearson: return try SoftQEvaluation.pearson(x, y)
            case .spearman: return try SoftQEvaluation.spearman(x, y)
            case .kendall: return try SoftQEvaluation.kendallTauB(x, y)
            }
        } catch {
            return .nan
        }
    }

    static func spearman(_ x: [Double], _ y: [Double]) -> Double { correlation(.spearman, x, y) }
    static func kendall(_ x: [Double], _ y: [Double]) -> Double { correlation(.kendall, x, y) }
    static func pearson(_ x: [Double], _ y: [Double]) -> Double { correlation(.pearson, x, y) }

    /// SoftQEvaluation's seeded percentile bootstrap (95%) of `statistic` over 0..<n; nil when
    /// there is nothing to resample or no resample gives a defined value.
    static func bootstrapCI(n: Int, seed: UInt64, resamples: Int,
                            _ statistic: ([Int]) -> Double) -> ConfidenceInterval? {
        guard n >= 1, resamples >= 1 else { return nil }
        do {
            let ci = try bootstrapInterval(count: n, options: BootstrapOptions(samples: resamples, seed: seed), statistic: statistic)
            return ci.low.isFinite && ci.high.isFinite ? ci : nil
        } catch {
            // Only invalid options or n = 0 throw, both excluded above; no interval either way.
            return nil
        }
    }

    static func meanCI(_ x: [Double], seed: UInt64, resamples: Int) -> ConfidenceInterval? {
        bootstrapCI(n: x.count, seed: seed, resamples: resamples) { idx in
            var s = 0.0
            for i in idx { s += x[i] }
            return s / Double(idx.count)
        }
    }

    /// Pairs resampled together.
    static func correlationCI(_ kind: Correlation, _ x: [Double], _ y: [Double], seed: UInt64,
                              resamples: Int) -> ConfidenceInterval? {
        guard x.count >= 2, x.count == y.count else { return nil }
        return bootstrapCI(n: x.count, seed: seed, resamples: resamples) { idx in
            correlation(kind, idx.map { x[$0] }, idx.map { y[$0] })
        }
    }
}
