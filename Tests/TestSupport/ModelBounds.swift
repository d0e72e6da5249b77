import Foundation

/// Bounds on the float32 logits and activations of the tiny random fixture models
/// (Tests/SoftQModelsTests/Fixtures, written by Scripts/reference/make_model_fixtures.py, which
/// records the same numbers in each fixture's `tolerance` block).
///
/// In every fixture model a logit is the end of at most 4L + 2 ≤ 14 reductions (L ≤ 3 layers:
/// q/k/v, scores, softmax·V, o, MLP products, norms, output layer), each over k ≤ 64 terms
/// (widths and lengths ≤ 64), with Σ|terms| ≲ 5 (normalised activations, weights ~ 1/√k, so
/// ≈ 0.64·√k; norm multipliers 1 ± 0.2, Gemma's too), carried on by the normalised
/// activations with gain ~1: n = 14 · 64 = 896 roundings on terms of total size 5.
/// - The worst case γ₈₉₆·5 ≈ 2.7e-4 is what no order of summation can exceed.
/// - The probabilistic bound (RoundingBound.probabilisticGamma) with failure probability 10⁻¹²
///   per value (so that a million compared values fail together less than once in a million
///   runs) is γ̃₈₉₆·5 ≈ 7.5e-5 for one float32 implementation against float64; against
///   transformers in float32 both sides round, so the two bounds add (≈ 1.5e-4).
/// Measured maxima are 4e-6 against both (docs/models.md), a factor 19 inside.
public enum ModelBounds {
    /// Roundings behind one logit: 14 reductions of ≤ 64 terms.
    public static let roundings = 14 * 64
    /// Σ|terms| of those reductions.
    public static let magnitude = 5.0
    /// Probability that the probabilistic bound fails for one value.
    public static let failure = 1e-12

    /// |softq float32 − exact| for a logit or an activation.
    public static var logitsVsFloat64: Double {
        RoundingBound.probabilisticGamma(roundings, failure: failure) * magnitude
    }
    /// |softq float32 − transformers float32|: both within `logitsVsFloat64` of the exact value.
    public static var logitsVsFloat32: Double { 2 * logitsVsFloat64 }
    /// The worst case, independent of how errors combine.
    public static var logitsWorstCase: Double { RoundingBound.gamma(roundings) * magnitude }

    /// A log-sum-exp over a row is a softmax-weighted mean of the row's logits plus its own
    /// evaluation (KernelBounds.logSumExp: ≤ 2u·max|x_j − m| + γ_3·(1 + |m| + log V)); with the
    /// shifts bounded by the row's spread, the logits' error plus γ_3·(1 + 2·spread + |value|) bounds it.
    public static func logSumExp(logitError: Double, spread: Double, value: Double) -> Double {
        logitError + RoundingBound.gamma(3) * (1 + 2 * spread + abs(value))
    }
}
