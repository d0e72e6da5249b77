import Foundation

/// Loop-only twins of the fast kernels, written straight from the formulas on Swift arrays
/// with Double arithmetic. Tests compare the fast kernels against these (≤ 1e-6 relative) and
/// both against float64 numpy fixtures; they live in the test support target, so nothing in
/// the library can call them.
public enum ReferenceKernels {
    /// x: [rows, dim], w, b: [dim] → [rows, dim]
    public static func layerNorm(_ x: [Float], _ w: [Float], _ b: [Float], rows: Int, dim: Int, eps: Double) -> [Double] {
        var out = [Double](repeating: 0, count: rows * dim)
        for r in 0..<rows {
            let row = (0..<dim).map { Double(x[r * dim + $0]) }
            let mean = row.reduce(0, +) / Double(dim)
            let variance = row.map { ($0 - mean) * ($0 - mean) }.reduce(0, +) / Double(dim)
            for i in 0..<dim { out[r * dim + i] = (row[i] - mean) / (variance + eps).squareRoot() * Double(w[i]) + Double(b[i]) }
        }
        return out
    }

    /// x: [rows, dim], w: [dim] → [rows, dim]
    public static func rmsNorm(_ x: [Float], _ w: [Float], rows: Int, dim: Int, eps: Double) -> [Double] {
        var out = [Double](repeating: 0, count: rows * dim)
        for r in 0..<rows {
            let row = (0..<dim).map { Double(x[r * dim + $0]) }
            let ms = row.map { $0 * $0 }.reduce(0, +) / Double(dim)
            for i in 0..<dim { out[r * dim + i] = Double(w[i]) * row[i] / (ms + eps).squareRoot() }
        }
        return out
    }

    public static func geluTanh(_ x: [Float]) -> [Double] {
        x.map { v in let d = Double(v); return 0.5 * d * (1 + Foundation.tanh((2 / Double.pi).squareRoot() * (d + 0.044715 * d * d * d))) }
    }

    public static func geluErf(_ x: [Float]) -> [Double] {
        x.map { v in let d = Double(v); return 0.5 * d * (1 + Foundation.erf(d / 2.0.squareRoot())) }
    }

    public static func siluMul(_ gate: [Float], _ up: [Float]) -> [Double] {
        zip(gate, up).map { g, u in let d = Double(g); return d / (1 + Foundation.exp(-d)) * Double(u) }
    }

    /// x: [rows, heads·headDim], rotate-half layout, positions start ..< start+rows.
    public static func rotary(_ x: [Float], invFreq: [Double], start: Int, rows: Int, heads: Int, headDim: Int) -> [Double] {
        var out = x.map(Double.init)
        let half = headDim / 2
        for t in 0..<rows {
            for h in 0..<heads {
                let base = t * heads * headDim + h * headDim
                for j in 0..<half {
                    let a = Double(start + t) * invFreq[j]
                    let x1 = Double(x[base + j]), x2 = Double(x[base + j + half])
                    out[base + j] = x1 * Foundation.cos(a) - x2 * Foundation.sin(a)
                    out[base + j + half] = x2 * Foundation.cos(a) + x1 * Foundation.sin(a)
                }
            }
        }
        return out
    }

    /// q: [rows, heads·headDim], keys, values: [start+rows, kvHeads·headDim] → [rows, heads·headDim].
    /// Row t (position p = start+t) sees positions max(0, p−window+1) … p; softcap c maps a
    /// score s to c·tanh(s·scale/c).
    public static func causalAttention(q: [Float], keys: [Float], values: [Float], rows: Int, start: Int,
                                       heads: Int, kvHeads: Int, headDim: Int, scale: Double,
                                       window: Int? = nil, softcap: Double? = nil) -> [Double] {
        let qd = heads * headDim, kvd = kvHeads * headDim
        var out = [Double](repeating: 0, count: rows * qd)
        for t in 0..<rows {
            for h in 0..<heads {
                let g = h / (heads / kvHeads)
                let visible = start + t + 1
                let first = window.map { max(0, visible - $0) } ?? 0
                var s = [Double](repeating: -.infinity, count: visible)
                for j in first..<visible {
                    var dot = 0.0
                    for i in 0..<headDim { dot += Double(q[t * qd + h * headDim + i]) * Double(keys[j * kvd + g * headDim + i]) }
                    s[j] = softcap.map { $0 * Foundation.tanh(dot * scale / $0) } ?? dot * scale
                }
                let m = s.max() ?? 0
                let e = s.map { Foundation.exp($0 - m) }
                let z = e.reduce(0, +)
                for i in 0..<headDim {
                    var acc = 0.0
                    for j in first..<visible { acc += e[j] / z * Double(values[j * kvd + g * headDim + i]) }
                    out[t * qd + h * headDim + i] = acc
                }
            }
        }
        return out
    }

    /// x: [rows, cols] → [rows]: logsumexp of each row (−∞ for an all −∞ row).
    public static func logSumExp(_ x: [Float], rows: Int, cols: Int) -> [Double] {
        (0..<rows).map { r in
            let row = (0..<cols).map { Double(x[r * cols + $0]) }
            let m = row.max() ?? -.infinity
            if m == -.infinity { return -.infinity }
            return m + Foundation.log(row.map { Foundation.exp($0 - m) }.reduce(0, +))
        }
    }

    /// out = x · Wᵀ + b by loops. x: [rows, inDim], w: [outDim, inDim].
    public static func linear(_ x: [Float], _ w: [Float], _ bias: [Float]?, rows: Int, inDim: Int, outDim: Int) -> [Double] {
        var out = [Double](repeating: 0, count: rows * outDim)
        for r in 0..<rows {
            for o in 0..<outDim {
                var acc = bias.map { Double($0[o]) } ?? 0
                for i in 0..<inDim { acc += Double(x[r * inDim + i]) * Double(w[o * inDim + i]) }
                out[r * outDim + o] = acc
            }
        }
        return out
    }
}
