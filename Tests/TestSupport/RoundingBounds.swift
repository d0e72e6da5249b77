import Foundation
import XCTest

/// Tolerances for float32 results derived from rounding-error bounds instead of from what one
/// CPU produced. Every float32 operation rounds with relative error at most u = 2⁻²⁴, so a sum
/// (or dot product) of n terms computed in any order — BLAS may reorder, split and fuse — is
/// within γₙ·Σ|terms| of the exact value (Higham, Accuracy and Stability of Numerical
/// Algorithms, 2nd ed., §3.1, Lemma 3.1 and eq. 3.5), with γₙ = n·u/(1 − n·u). Fused
/// multiply-adds only remove roundings, so the bound holds for them too. See docs/testing.md.
public enum RoundingBound {
    /// Unit roundoff of float32 (round to nearest): 2⁻²⁴.
    public static let float32 = 0x1p-24
    /// Unit roundoff of float64: 2⁻⁵³.
    public static let float64 = 0x1p-53

    /// γₙ = n·u/(1 − n·u), the relative bound of a chain of n roundings (n·u < 1).
    public static func gamma(_ n: Int, unit: Double = float32) -> Double {
        precondition(n >= 0 && Double(n) * unit < 1, "γ_\(n) is undefined for unit roundoff \(unit)")
        return Double(n) * unit / (1 - Double(n) * unit)
    }

    /// The probabilistic counterpart of γₙ (Higham & Mary, "A New Approach to Probabilistic
    /// Rounding Error Analysis", SIAM J. Sci. Comput. 41(5), 2019, Theorem 2.4): if the n
    /// rounding errors are independent with mean zero, the product of the n factors (1 + δᵢ)
    /// lies within γ̃ₙ(λ) = exp(λ·√n·u + n·u²/(1 − u)) − 1 of 1 with probability at least
    /// 1 − 2n·exp(−λ²(1 − u)²/2). λ is chosen so that this failure probability is at most
    /// `failure`: λ = √(2·ln(2n/failure))/(1 − u). A worst-case γₙ grows as n·u, this as √n·u.
    public static func probabilisticGamma(_ n: Int, failure: Double, unit: Double = float32) -> Double {
        precondition(n > 0 && failure > 0 && failure < 1, "probabilistic γ needs n > 0 and 0 < failure < 1")
        let lambda = (2 * Foundation.log(2 * Double(n) / failure)).squareRoot() / (1 - unit)
        return Foundation.exp(lambda * Double(n).squareRoot() * unit + Double(n) * unit * unit / (1 - unit)) - 1
    }

    /// The bound on |fl(Σ aᵢ·bᵢ) − Σ aᵢ·bᵢ| for one float32 dot product of the given terms:
    /// γₙ·Σ|aᵢ·bᵢ| with n = count (one rounding per product, one per addition, minus one).
    public static func dotProduct<A: Collection, B: Collection>(_ a: A, _ b: B, extraRoundings: Int = 0) -> Double
    where A.Element: BinaryFloatingPoint, B.Element: BinaryFloatingPoint {
        let magnitude = zip(a, b).reduce(0.0) { $0 + abs(Double($1.0) * Double($1.1)) }
        return gamma(a.count + extraRoundings) * magnitude
    }
}

/// Asserts |a_i − b_i| ≤ bounds_i elementwise (bounds computed per element, e.g. by
/// `RoundingBound.dotProduct`) and reports the worst element with its bound.
public func assertWithinBounds<A: Collection, B: Collection>(
    _ a: A, _ b: B, bounds: [Double], _ what: String = "",
    file: StaticString = #filePath, line: UInt = #line
) where A.Element: BinaryFloatingPoint, B.Element: BinaryFloatingPoint {
    guard a.count == b.count, b.count == bounds.count else {
        XCTFail("\(what): counts \(a.count), \(b.count), \(bounds.count) differ", file: file, line: line)
        return
    }
    var worstRatio = 0.0, worst = -1
    for (k, ((x, y), bound)) in zip(zip(a, b), bounds).enumerated() {
        let error = abs(Double(x) - Double(y))
        let ratio = error.isNaN ? .infinity : (bound > 0 ? error / bound : (error > 0 ? .infinity : 0))
        if ratio > 1 && ratio > worstRatio { worstRatio = ratio; worst = k }
    }
    if worst >= 0 {
        let x = Double(Array(a)[worst]), y = Double(Array(b)[worst])
        XCTFail("\(what): element \(worst) is \(x), expected \(y): error \(abs(x - y)) exceeds its bound \(bounds[worst])",
                file: file, line: line)
    }
}
