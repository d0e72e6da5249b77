import Foundation
import SoftQBase

/// Calibration of p_i = sigmoid(margin_i) as the probability that the dataset's preference
/// holds ("chosen is better"). Every pair's label is "chosen", so the outcome is y_i = 1 for all
/// pairs and p_i is the model's probability of agreeing with the label, i.e. of being correct.
///
/// - Brier score: mean_i (p_i − 1)².
/// - Bins: 10 equal-width bins on [0, 1]; bin k (k = 0…9) holds p ∈ [k/10, (k+1)/10), the last
///   bin is closed ([0.9, 1]). k = min(⌊10·p⌋, 9).
/// - Reliability table, per bin: `count`, `mean_p`, `accuracy` = the observed frequency of the
///   outcome in the bin (with these labels 1 for every non-empty bin), and `correct` = the
///   number of pairs in the bin with margin > 0 (for reading the table; it is not used by ECE).
/// - ECE = Σ_k (count_k / N)·|accuracy_k − mean_p_k|, which with y ≡ 1 equals mean_i (1 − p_i).
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
        public var correct: Int
    }

    public static let binCount = 10
    public var count: Int
    public var brier: Double
    public var ece: Double
    public var bins: [Bin]

    public init(margins: [Double]) throws {
        try requireFinite(margins, "margins")
        let n = margins.count
        var counts = [Int](repeating: 0, count: Self.binCount), correct = counts
        var pSums = [Double](repeating: 0, count: Self.binCount), outcomeSums = pSums
        var brierSum = 0.0
        for m in margins {
            let p = sigmoid(m)
            let y = 1.0   // "chosen is better": the label of every pair
            brierSum += (p - y) * (p - y)
            let k = Swift.min(Int((p * Double(Self.binCount)).rounded(.down)), Self.binCount - 1)
            counts[k] += 1
            pSums[k] += p
            outcomeSums[k] += y
            if m > 0 { correct[k] += 1 }
        }
        var ece = 0.0
        bins = (0..<Self.binCount).map { k in
            let c = counts[k]
            let meanP = c > 0 ? pSums[k] / Double(c) : .nan
            let acc = c > 0 ? outcomeSums[k] / Double(c) : .nan
            if c > 0 { ece += Double(c) / Double(n) * abs(acc - meanP) }
            return Bin(lower: Double(k) / Double(Self.binCount), upper: Double(k + 1) / Double(Self.binCount),
                       count: c, meanP: meanP, accuracy: acc, correct: correct[k])
        }
        self.count = n
        self.brier = brierSum / Double(n)
        self.ece = ece
    }

    public var json: JSONValue {
        .object([
            ("probability", .string("sigmoid(margin)")),
            ("outcome", .string("chosen is better (1 for every pair)")),
            ("brier", jsonNumber(brier)),
            ("ece", jsonNumber(ece)),
            ("bins", .array(bins.map { b in
                .object([("lower", jsonNumber(b.lower)), ("upper", jsonNumber(b.upper)), ("count", .int(b.count)),
                         ("mean_p", jsonNumber(b.meanP)), ("accuracy", jsonNumber(b.accuracy)), ("correct", .int(b.correct))])
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
