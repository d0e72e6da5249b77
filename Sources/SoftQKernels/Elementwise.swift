import Foundation

// Elementwise and row-wise kernels of the transformer forward pass.
//
// Conventions: output first, then inputs, then weights, then sizes; a shape comment
// opens every kernel; row-major storage. Each kernel has a loop-only twin in the test
// support target (`ReferenceKernels`) that the tests compare against (≤ 1e-6 relative) and both are
// checked against float64 numpy fixtures. Reductions (means, variances) accumulate in Double:
// it costs little next to the matrix products and keeps every kernel within 1e-6 of float64.

/// LayerNorm over the last axis: out = (x − mean) / sqrt(var + eps) · w + b, biased variance.
/// out, x: [rows, dim], w, b: [dim]. `out` may alias `x`.
public func layerNorm(_ out: UnsafeMutablePointer<Float>, _ x: UnsafePointer<Float>,
                      _ w: UnsafePointer<Float>, _ b: UnsafePointer<Float>,
                      rows: Int, dim: Int, eps: Float) {
    for r in 0..<rows {
        let xr = x + r * dim, or = out + r * dim
        var sum = 0.0
        for i in 0..<dim { sum += Double(xr[i]) }
        let mean = sum / Double(dim)
        var sq = 0.0
        for i in 0..<dim { let d = Double(xr[i]) - mean; sq += d * d }
        let rstd = 1.0 / (sq / Double(dim) + Double(eps)).squareRoot()
        let m = Float(mean), s = Float(rstd)
        for i in 0..<dim { or[i] = (xr[i] - m) * s * w[i] + b[i] }
    }
}

/// RMSNorm over the last axis (LLaMA): out = w · (x / sqrt(mean(x²) + eps)).
/// out, x: [rows, dim], w: [dim]. `out` may alias `x`.
public func rmsNorm(_ out: UnsafeMutablePointer<Float>, _ x: UnsafePointer<Float>,
                    _ w: UnsafePointer<Float>, rows: Int, dim: Int, eps: Float) {
    for r in 0..<rows {
        let xr = x + r * dim, or = out + r * dim
        var sq = 0.0
        for i in 0..<dim { let v = Double(xr[i]); sq += v * v }
        let s = Float(1.0 / (sq / Double(dim) + Double(eps)).squareRoot())
        for i in 0..<dim { or[i] = w[i] * (xr[i] * s) }
    }
}

/// GELU, tanh approximation (GPT-2's `gelu_new`, PyTorch's `gelu(approximate="tanh")`):
/// out = 0.5·x·(1 + tanh(u)), u = √(2/π)·(x + 0.044715·x³), evaluated as the equal x / (1 + e^(−2u))
/// (no cancellation for negative x; e^(−2u) by `exp8`, eight lanes at a time). out, x: [count]; may alias.
public func geluTanh(_ out: UnsafeMutablePointer<Float>, _ x: UnsafePointer<Float>, count: Int) {
    let c: Float = 0.7978845608028654  // √(2/π)
    map8(out, x, count: count) { v, _ in
        let u = c * (v + 0.044715 * v * v * v)
        return v / (1 + exp8(-2 * u))
    }
}

/// GELU, exact: out = 0.5·x·(1 + erf(x/√2)). out, x: [count]; may alias.
public func geluErf(_ out: UnsafeMutablePointer<Float>, _ x: UnsafePointer<Float>, count: Int) {
    for i in 0..<count {
        let v = x[i]
        out[i] = 0.5 * v * (1 + erff(v * 0.7071067811865476))
    }
}

/// SwiGLU gate: out = silu(gate) · up, silu(g) = g / (1 + e^(−g)) (`exp8`, eight lanes at a time).
/// out, gate, up: [count]; `out` may alias `gate` or `up`.
public func siluMul(_ out: UnsafeMutablePointer<Float>, _ gate: UnsafePointer<Float>,
                    _ up: UnsafePointer<Float>, count: Int) {
    var i = 0
    while i < count {
        let g = load8(gate + i, valid: count - i), u = load8(up + i, valid: count - i)
        store8(out + i, g / (1 + exp8(-g)) * u, valid: count - i)
        i += 8
    }
}

/// Adds a bias to every row in place. x: [rows, cols], bias: [cols].
public func addBias(_ x: UnsafeMutablePointer<Float>, _ bias: UnsafePointer<Float>, rows: Int, cols: Int) {
    for r in 0..<rows {
        let xr = x + r * cols
        for i in 0..<cols { xr[i] += bias[i] }
    }
}

/// Residual add in place: x += y. x, y: [count].
public func addInPlace(_ x: UnsafeMutablePointer<Float>, _ y: UnsafePointer<Float>, count: Int) {
    for i in 0..<count { x[i] += y[i] }
}

/// Rotary angles for positions start ..< start+rows: cos/sin of position · invFreq[j],
/// computed in Double and rounded once. cos, sin: [rows, half], invFreq: [half].
public func rotaryTables(_ cos: UnsafeMutablePointer<Float>, _ sin: UnsafeMutablePointer<Float>,
                         _ invFreq: UnsafePointer<Double>, start: Int, rows: Int, half: Int) {
    for t in 0..<rows {
        let pos = Double(start + t)
        for j in 0..<half {
            let a = pos * invFreq[j]
            cos[t * half + j] = Float(Foundation.cos(a))
            sin[t * half + j] = Float(Foundation.sin(a))
        }
    }
}

/// Rotary embedding in place, "rotate half" layout (Hugging Face LLaMA): for each head,
/// y[j] = x[j]·cos − x[j+h]·sin, y[j+h] = x[j+h]·cos + x[j]·sin, h = rotaryDim/2; the
/// dimensions rotaryDim ..< headDim pass through (partial rotary: GPT-NeoX, Phi-3).
/// x: [rows, heads, headDim] (row stride `ld`), cos, sin: [rows, rotaryDim/2];
/// rotaryDim: even, ≤ headDim, headDim when nil.
public func applyRotary(_ x: UnsafeMutablePointer<Float>, _ cos: UnsafePointer<Float>, _ sin: UnsafePointer<Float>,
                        rows: Int, heads: Int, headDim: Int, ld: Int, rotaryDim: Int? = nil) {
    let half = (rotaryDim ?? headDim) / 2
    for t in 0..<rows {
        let c = cos + t * half, s = sin + t * half
        for h in 0..<heads {
            let v = x + t * ld + h * headDim
            for j in 0..<half {
                let a = v[j], b = v[j + half]
                v[j] = a * c[j] - b * s[j]
                v[j + half] = b * c[j] + a * s[j]
            }
        }
    }
}

/// Causal softmax of scaled scores in place. Row t sits at position start+t (counted from
/// column 0) and sees columns lo … start+t, lo = max(0, start+t−window+1) with a window, else
/// 0; every other column is set to exactly 0 so a product with V ignores it.
/// softcap c: each visible score s becomes c·tanh(s·scale / c) first (then no further scale),
/// in that order, as Gemma 2 computes it.
/// scores: [rows, cols] (row stride `ld`), cols ≥ start + rows. Eight lanes at a time (`exp8`);
/// the sum accumulates in Double per lane, then across lanes.
public func causalSoftmax(_ scores: UnsafeMutablePointer<Float>, rows: Int, cols: Int, ld: Int,
                          start: Int, scale: Float, window: Int? = nil, softcap: Float? = nil) {
    for t in 0..<rows {
        let n = min(start + t + 1, cols)
        let lo = window.map { max(0, start + t - $0 + 1) } ?? 0
        let row = scores + t * ld
        for j in 0..<lo { row[j] = 0 }
        var scale = scale
        if let c = softcap {
            for j in lo..<n { row[j] = c * tanhf(row[j] * scale / c) }
            scale = 1
        }
        let s = row + lo, count = n - lo
        var mv = SIMD8<Float>(repeating: -.infinity)
        var j = 0
        while j < count { mv = max8(mv, load8(s + j, valid: count - j, pad: -.infinity) * scale); j += 8 }
        let m = mv.max()
        var acc = SIMD8<Double>(repeating: 0)
        j = 0
        while j < count {
            let e = exp8(load8(s + j, valid: count - j, pad: -.infinity) * scale - m)
            store8(s + j, e, valid: count - j)
            acc += SIMD8<Double>(e)
            j += 8
        }
        let inv = Float(1.0 / acc.sum())
        j = 0
        while j < count { store8(s + j, load8(s + j, valid: count - j) * inv, valid: count - j); j += 8 }
        for j in n..<cols { row[j] = 0 }
    }
}

/// Soft-capping in place: x = c·tanh(x / c) (Gemma 2's final logits). x: [count].
public func softcapInPlace(_ x: UnsafeMutablePointer<Float>, count: Int, cap: Float) {
    for i in 0..<count { x[i] = cap * tanhf(x[i] / cap) }
}

/// Elementwise product in place: x *= y. x, y: [count].
public func multiplyInPlace(_ x: UnsafeMutablePointer<Float>, _ y: UnsafePointer<Float>, count: Int) {
    for i in 0..<count { x[i] *= y[i] }
}

/// Per-row maximum and Σ exp(x − max) of a block of logits, the pieces of a blocked
/// logsumexp (combined across vocabulary blocks by `combineLogSumExp`). Eight lanes at a time
/// (`exp8`, e^−∞ = 0); the sum accumulates in Double per lane, then across lanes.
/// maxOut, sumOut: [rows], x: [rows, cols] (row stride `ld`).
public func rowMaxSumExp(_ maxOut: UnsafeMutablePointer<Float>, _ sumOut: UnsafeMutablePointer<Double>,
                         _ x: UnsafePointer<Float>, rows: Int, cols: Int, ld: Int) {
    for r in 0..<rows {
        let xr = x + r * ld
        var mv = SIMD8<Float>(repeating: -.infinity)
        var j = 0
        while j < cols { mv = max8(mv, load8(xr + j, valid: cols - j, pad: -.infinity)); j += 8 }
        let m = mv.max()
        var acc = SIMD8<Double>(repeating: 0)
        if m > -Float.infinity {
            j = 0
            while j < cols { acc += SIMD8<Double>(exp8(load8(xr + j, valid: cols - j, pad: -.infinity) - m)); j += 8 }
        }
        maxOut[r] = m
        sumOut[r] = acc.sum()
    }
}

/// Merges a block's (max, Σexp) into a running (max, Σexp); −∞ safe. The merge order is fixed
/// by the caller (vocabulary blocks in ascending order), so the result is deterministic.
@inline(__always)
public func combineLogSumExp(_ runMax: inout Float, _ runSum: inout Double, blockMax: Float, blockSum: Double) {
    if blockMax == -Float.infinity { return }
    if runMax == -Float.infinity { runMax = blockMax; runSum = blockSum; return }
    if blockMax > runMax {
        runSum = runSum * Foundation.exp(Double(runMax - blockMax)) + blockSum
        runMax = blockMax
    } else {
        runSum += blockSum * Foundation.exp(Double(blockMax - runMax))
    }
}

/// The final logsumexp from a running (max, Σexp): max + log Σexp (−∞ for an all −∞ row).
@inline(__always)
public func finishLogSumExp(_ runMax: Float, _ runSum: Double) -> Float {
    runMax == -Float.infinity ? -Float.infinity : Float(Double(runMax) + Foundation.log(runSum))
}
