import Foundation

/// Per-element rounding-error bounds of the decoder kernels (SoftQKernels and their float64
/// twins), computed from the kernels' float32 inputs: γ_k (RoundingBound) times the magnitude
/// of the terms, k the number of roundings on the way, a libm call counting as one (glibc's
/// float32 and float64 exp, tanh, erf, cos, sin are within 1 ulp; the vector exp8 within 2, so
/// it counts two). `unit` is the unit roundoff of the arithmetic being bounded: float32 for the
/// fast kernels, float64 for the twins. The bound is on |computed − exact|; comparing two
/// computed results adds the two bounds.
public enum KernelBounds {
    /// x·wᵀ + bias, x: [rows, inDim], w: [outDim, inDim]: γ_{inDim+2}·(Σ_k|x_k·w_k| + |bias|) —
    /// inDim roundings of the dot product, one for the bias, one for the stored result.
    public static func linear(_ x: [Float], _ w: [Float], _ bias: [Float]?, rows: Int, inDim: Int, outDim: Int,
                              unit: Double = RoundingBound.float32) -> [Double] {
        let gamma = RoundingBound.gamma(inDim + 2, unit: unit)
        return (0..<rows).flatMap { r in
            (0..<outDim).map { o -> Double in
                var terms = abs(Double(bias?[o] ?? 0))
                for k in 0..<inDim { terms += abs(Double(x[r * inDim + k]) * Double(w[o * inDim + k])) }
                return gamma * terms
            }
        }
    }

    /// (x−μ)/σ·w + b (centered) or x/rms·w: the mean's error γ_dim·mean|x| and the variance's
    /// γ_{dim+2} (halved by the square root) reach every element through 1/σ; k = dim + 6 covers
    /// them and the subtract, divide, multiply, add and store. `epsilonMismatch` is the largest
    /// difference between the ε the two sides use (a float32 ε is not the decimal one):
    /// ∂out/∂ε = −(x−μ)·w/(2σ³).
    public static func norm(_ x: [Float], _ w: [Float], _ b: [Float]?, rows: Int, dim: Int, centered: Bool,
                            epsilonMismatch: Double = 0, unit: Double = RoundingBound.float32) -> [Double] {
        let gamma = RoundingBound.gamma(dim + 6, unit: unit)
        return (0..<rows).flatMap { r -> [Double] in
            let row = x[(r * dim)..<((r + 1) * dim)].map(Double.init)
            let mean = centered ? row.reduce(0, +) / Double(dim) : 0
            let sigma = (row.map { ($0 - mean) * ($0 - mean) }.reduce(0, +) / Double(dim)).squareRoot()
            let meanAbs = centered ? row.map(abs).reduce(0, +) / Double(dim) : 0
            return (0..<dim).map { i in
                let wi = abs(Double(w[i])), xi = abs(row[i] - mean)
                return gamma * (wi * (xi + meanAbs) / sigma + abs(Double(b?[i] ?? 0)))
                    + wi * xi / (2 * sigma * sigma * sigma) * epsilonMismatch
            }
        }
    }

    /// gelu_new written as x·sigmoid(2z), z = √(2/π)·(x + 0.044715x³) (the fast kernel's form):
    /// relative γ_8 (exp8 ≤ 2 ulp and six more roundings) plus z's own γ_5 relative error,
    /// which the sigmoid turns into a relative error of up to 2|z|·γ_5 of the output. The twin's
    /// form 0.5·x·(1 + tanh z) cancels for negative x, so the bound also holds γ_8·|x| absolute.
    public static func geluTanh(_ x: [Float], unit: Double = RoundingBound.float32) -> [Double] {
        x.map { v -> Double in
            let d = Double(v), z = 0.7978845608028654 * (d + 0.044715 * d * d * d)
            let out = d / (1 + exp(-2 * z))
            return (RoundingBound.gamma(8, unit: unit) + 2 * abs(z) * RoundingBound.gamma(5, unit: unit)) * abs(out)
                + RoundingBound.gamma(8, unit: unit) * abs(d)
        }
    }

    /// 0.5·x·(1 + erf(x/√2)) cancels for negative x, so the bound is absolute: γ_6·|x| for the
    /// roundings on terms of size ≤ |x|, plus the argument's γ_2 through erf's slope
    /// (2/√π)·e^(−x²/2).
    public static func geluErf(_ x: [Float], unit: Double = RoundingBound.float32) -> [Double] {
        x.map { v -> Double in
            let d = abs(Double(v))
            return RoundingBound.gamma(6, unit: unit) * d
                + 0.5 * d * (2 / Double.pi.squareRoot()) * exp(-d * d / 2) * d / 2.0.squareRoot() * RoundingBound.gamma(2, unit: unit)
        }
    }

    /// g/(1 + e^(−g))·u: exp (≤ 2 ulp), add, divide, multiply, store; no cancellation, so γ_7
    /// relative to the output.
    public static func siluMul(_ gate: [Float], _ up: [Float], unit: Double = RoundingBound.float32) -> [Double] {
        zip(gate, up).map { g, u in
            let d = Double(g)
            return RoundingBound.gamma(7, unit: unit) * abs(d / (1 + exp(-d)) * Double(u))
        }
    }

    /// Rotate-half rotary: x₁·cos − x₂·sin and x₂·cos + x₁·sin with cos and sin rounded once
    /// each (the angle position·θ⁻ᵏ itself in float64): two products, a sum, the store —
    /// γ_5·(|x₁| + |x₂|), since |cos|, |sin| ≤ 1.
    public static func rotary(_ x: [Float], headDim: Int, unit: Double = RoundingBound.float32) -> [Double] {
        let half = headDim / 2
        return x.indices.map { i -> Double in
            let j = i % headDim, pair = j < half ? i + half : i - half
            return RoundingBound.gamma(5, unit: unit) * (abs(Double(x[i])) + abs(Double(x[pair])))
        }
    }

    /// One bound for every output of causal attention: a score q·k·scale carries at most
    /// δs = γ_{hd+2}·scale·hd·max|q|·max|k| (hd roundings of the dot product, the scale's
    /// product and the scale's own rounding to float32; plus γ_3·cap for a tanh softcap, whose slope is ≤ 1);
    /// that moves each softmax weight by a relative ≤ 2δs (numerator and normaliser), the exp,
    /// the len-term sum and the divide add γ_{len+3}, the output Σ_j p_j·v_j adds γ_{len+1};
    /// with Σ p_j = 1 the total is (2δs + γ_{2·len+4})·max|v|.
    public static func attention(_ q: [Float], _ k: [Float], _ v: [Float], headDim hd: Int, length len: Int,
                                 scale: Double, softcap: Double? = nil, unit: Double = RoundingBound.float32) -> Double {
        let qMax = q.map { abs(Double($0)) }.max() ?? 0, kMax = k.map { abs(Double($0)) }.max() ?? 0
        var scoreError = RoundingBound.gamma(hd + 2, unit: unit) * scale * Double(hd) * qMax * kMax
        if let softcap { scoreError += RoundingBound.gamma(3, unit: unit) * softcap }
        let vMax = v.map { abs(Double($0)) }.max() ?? 0
        return (2 * scoreError + RoundingBound.gamma(2 * len + 4, unit: unit)) * vMax
    }

    /// log Σ_j e^(x_j) per row as m + log Σ e^(x_j − m), the kernel's way (SoftQKernels
    /// `rowMaxSumExp`/`combineLogSumExp`/`finishLogSumExp`): every exponent x_j − m is formed with
    /// at most two roundings (the block's and the running maximum's difference), each ≤ u·|x_j − m|,
    /// which moves the result by ≤ 2u·Σ p_j·|x_j − m| (p the softmax weights); the exps (≤ 2 ulp)
    /// move log Σ by ≤ 2u, the sum accumulates in float64 (γ_cols of float64), the final add and
    /// store round once: γ_3·(1 + |m| + log Σ) covers the rest. Rows of −∞ have the bound 0.
    public static func logSumExp(_ x: [Float], rows: Int, cols: Int, unit: Double = RoundingBound.float32) -> [Double] {
        (0..<rows).map { r -> Double in
            let row = x[(r * cols)..<((r + 1) * cols)].map(Double.init)
            let m = row.max() ?? -.infinity
            guard m.isFinite else { return 0 }
            let weights = row.map { exp($0 - m) }, total = weights.reduce(0, +)
            let shift = zip(row, weights).reduce(0.0) { $1.1 > 0 ? $0 + $1.1 / total * abs($1.0 - m) : $0 }
            return 2 * unit * shift + RoundingBound.gamma(3, unit: unit) * (1 + abs(m) + log(total))
                + RoundingBound.gamma(cols, unit: RoundingBound.float64)
        }
    }
}
