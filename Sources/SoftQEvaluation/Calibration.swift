import Foundation
import SoftQBase

/// Calibration of p = sigmoid(margin) as the probability that the first of two responses is
/// the preferred one.
///
/// Every pair's label is "chosen is better", so scoring the pairs only in the (chosen, rejected)
/// order would make every outcome 1 and the reliability diagram degenerate. Each pair is
/// therefore counted in both orders: (p_i = sigmoid(m_i), y = 1) and (1 − p_i = sigmoid(−m_i),
/// y = 0), 2N predictions in all. This leaves the Brier score unchanged and makes the
/// reliability table and ECE informative (a reward whose margins are too large shows up as
/// accuracy below mean_p in the high bins).
///
/// - Brier score: mean over the 2N predictions of (p − y)², equal to mean_i (1 − p_i)².
/// - Bins: 10 equal-width bins on [0, 1]; bin k (k = 0…9) holds p ∈ [k/10, (k+1)/10), the last
///   bin is closed ([0.9, 1]). k = min(⌊10·p⌋, 9).
/// - Reliability table, per bin: `count` (predictions), `mean_p`, `accuracy` = mean of y.
/// - ECE = Σ_k (count_k / 2N)·|accuracy_k − mean_p_k|.
///
/// sigmoid is evaluated without overflow: 1/(1+e^{−m}) for m ≥ 0, e^{m}/(1+e^{m}) otherwise.
public struct Calibration: Equatable, Sendable {
    public struct Bin: Equatable, Sendable {
        public var lower: Double
        public var upper: Double
        public var count: Int
        /// NaN for an empty bin (written as null).
        public var meanP: Double
        public var accuracy: Double
    }

    public static let binCount = 10
    /// Number of pairs (the table holds twice as many predictions).
    public var count: Int
    public var brier: Double
    public var ece: Double
    public var bins: [Bin]

    public init(margins: [Double]) throws {
        try requireFinite(margins, "margins")
        let n = margins.count
        var counts = [Int](repeating: 0, count: Self.binCount)
        var pSums = [Double](repeating: 0, count: Self.binCount), outcomeSums = pSums
        var brierSum = 0.0
        for m in margins {
            for (p, y) in [(sigmoid(m), 1.0), (sigmoid(-m), 0.0)] {
                brierSum += (p - y) * (p - y)
                let k = Swift.min(Int((p * Double(Self.binCount)).rounded(.down)), Self.binCount - 1)
                counts[k] += 1
                pSums[k] += p
                outcomeSums[k] += y
            }
        }
        let total = Double(2 * n)
        var ece = 0.0
        bins = (0..<Self.binCount).map { k in
            let c = counts[k]
            let meanP = c > 0 ? pSums[k] / Double(c) : .nan
            let acc = c > 0 ? outcomeSums[k] / Double(c) : .nan
            if c > 0 { ece += Double(c) / total * abs(acc - meanP) }
            return Bin(lower: Double(k) / Double(Self.binCount), upper: Double(k + 1) / Double(Self.binCount),
                       count: c, meanP: meanP, accuracy: acc)
        }
        self.count = n
        self.brier = brierSum / total
        self.ece = ece
    }

    public var json: JSONValue {
        .object([
            ("probability", .string("sigmoid(margin) that the first response is preferred; each pair counted in both orders")),
            ("bin_rule", .string("10 equal-width bins, [k/10, (k+1)/10), last closed")),
            ("brier", jsonNumber(brier)),
            ("ece", jsonNumber(ece)),
            ("bins", .array(bins.map { b in
                .object([("lower", jsonNumber(b.lower)), ("upper", jsonNumber(b.upper)), ("count", .int(b.count)),
                         ("mean_p", jsonNumber(b.meanP)), ("accuracy", jsonNumber(b.accuracy))])
            })),
        ])
    }
}

/// The logistic function, without overflow for large |m|.
public func sigmoid(_ m: Double) -> Double {
    if m >= 0 { return 1 / (1 + exp(-m)) }
    let e = exp(m)
    return e / (1 + e)
}
