// The GPT-2 layers as plain functions, in llm.c's manner: output first, then inputs, then
// weights, then sizes; every kernel starts with its shapes. A backward kernel that receives
// `dinp` *adds* into it when the input also feeds a residual path (stated per kernel), and
// always adds into weight gradients, so gradients of a batch accumulate example by example.
// Every product goes through BLAS (`T.gemm`); elementwise loops stay in Swift.

/// out[t,c] = wte[tokens[t], c] + wpe[t, c]
/// out: [T, C], tokens: [T], wte: [V, C], wpe: [P, C]
@inline(__always)
func encoderForward<T: TrainingScalar>(_ out: UnsafeMutablePointer<T>, _ tokens: UnsafePointer<Int>,
                                       _ wte: UnsafePointer<T>, _ wpe: UnsafePointer<T>, _ seqLen: Int, _ C: Int) {
    for t in 0..<seqLen {
        let o = out + t * C, e = wte + tokens[t] * C, p = wpe + t * C
        for c in 0..<C { o[c] = e[c] + p[c] }
    }
}

/// dwte[tokens[t], :] += dout[t, :]; dwpe[t, :] += dout[t, :]
/// dwte: [V, C], dwpe: [P, C], dout: [T, C]
@inline(__always)
func encoderBackward<T: TrainingScalar>(_ dwte: UnsafeMutablePointer<T>, _ dwpe: UnsafeMutablePointer<T>,
                                        _ dout: UnsafePointer<T>, _ tokens: UnsafePointer<Int>, _ seqLen: Int, _ C: Int) {
    for t in 0..<seqLen {
        let d = dout + t * C, e = dwte + tokens[t] * C, p = dwpe + t * C
        for c in 0..<C { e[c] += d[c]; p[c] += d[c] }
    }
}

/// out = (inp − mean)·rstd·weight + bias per row; keeps mean and rstd = 1/√(var + eps) for the
/// backward (biased variance, as torch.nn.LayerNorm).
/// out: [T, C], mean: [T], rstd: [T], inp: [T, C], weight: [C], bias: [C]
@inline(__always)
func layerNormForward<T: TrainingScalar>(_ out: UnsafeMutablePointer<T>, _ mean: UnsafeMutablePointer<T>,
                                         _ rstd: UnsafeMutablePointer<T>, _ inp: UnsafePointer<T>,
                                         _ weight: UnsafePointer<T>, _ bias: UnsafePointer<T>,
                                         _ seqLen: Int, _ C: Int, eps: T) {
    let invC = 1 / T(C)
    for t in 0..<seqLen {
        let x = inp + t * C, o = out + t * C
        var m: T = 0
        for c in 0..<C { m += x[c] }
        m *= invC
        var v: T = 0
        for c in 0..<C { let d = x[c] - m; v += d * d }
        v *= invC
        let s = 1 / (v + eps).squareRoot()
        for c in 0..<C { o[c] = (x[c] - m) * s * weight[c] + bias[c] }
        mean[t] = m
        rstd[t] = s
    }
}

/// dinp += LayerNorm'ᵀ·dout (adds: the input is also the residual stream); dweight, dbias += .
/// dinp: [T, C], dweight: [C], dbias: [C], dout: [T, C], inp: [T, C], weight: [C], mean/rstd: [T]
@inline(__always)
func layerNormBackward<T: TrainingScalar>(_ dinp: UnsafeMutablePointer<T>, _ dweight: UnsafeMutablePointer<T>,
                                          _ dbias: UnsafeMutablePointer<T>, _ dout: UnsafePointer<T>,
                                          _ inp: UnsafePointer<T>, _ weight: UnsafePointer<T>,
                                          _ mean: UnsafePointer<T>, _ rstd: UnsafePointer<T>, _ seqLen: Int, _ C: Int) {
    let invC = 1 / T(C)
    for t in 0..<seqLen {
        let x = inp + t * C, d = dout + t * C, di = dinp + t * C
        let m = mean[t], s = rstd[t]
        // dnorm = dout·w; dx = (dnorm − mean(dnorm) − norm·mean(dnorm·norm))·rstd
        var dnormMean: T = 0, dnormNormMean: T = 0
        for c in 0..<C {
            let norm = (x[c] - m) * s
            let dnorm = weight[c] * d[c]
            dnormMean += dnorm
            dnormNormMean += dnorm * norm
        }
        dnormMean *= invC
        dnormNormMean *= invC
        for c in 0..<C {
            let norm = (x[c] - m) * s
            let dnorm = weight[c] * d[c]
            dbias[c] += d[c]
            dweight[c] += norm * d[c]
            di[c] += (dnorm - dnormMean - norm * dnormNormMean) * s
        }
    }
}

/// out = inp·weight + bias (HF Conv1D orientation: weight is [in, out]).
/// out: [T, OC], inp: [T, C], weight: [C, OC], bias: [OC]
@inline(__always)
func matmulForward<T: TrainingScalar>(_ out: UnsafeMutablePointer<T>, _ inp: UnsafePointer<T>,
                                      _ weight: UnsafePointer<T>, _ bias: UnsafePointer<T>,
                                      _ seqLen: Int, _ C: Int, _ OC: Int) {
    T.gemm(.none, .none, m: seqLen, n: OC, k: C, alpha: 1, a: inp, lda: C, b: weight, ldb: OC,
           beta: 0, c: out, ldc: OC)
    for t in 0..<seqLen {
        let o = out + t * OC
        for j in 0..<OC { o[j] += bias[j] }
    }
}

/// dinp = dout·weightᵀ (overwrites); dweight += inpᵀ·dout; dbias += Σ_t dout.
/// dinp: [T, C], dweight: [C, OC], dbias: [OC], dout: [T, OC], inp: [T, C], weight: [C, OC]
@inline(__always)
func matmulBackward<T: TrainingScalar>(_ dinp: UnsafeMutablePointer<T>, _ dweight: UnsafeMutablePointer<T>,
                                       _ dbias: UnsafeMutablePointer<T>, _ dout: UnsafePointer<T>,
                                       _ inp: UnsafePointer<T>, _ weight: UnsafePointer<T>,
                                       _ seqLen: Int, _ C: Int, _ OC: Int) {
    T.gemm(.none, .transpose, m: seqLen, n: C, k: OC, alpha: 1, a: dout, lda: OC, b: weight, ldb: OC,
           beta: 0, c: dinp, ldc: C)
    T.gemm(.transpose, .none, m: C, n: OC, k: seqLen, alpha: 1, a: inp, lda: C, b: dout, ldb: OC,
           beta: 1, c: dweight, ldc: OC)
    for t in 0..<seqLen {
        let d = dout + t * OC
        for j in 0..<OC { dbias[j] += d[j] }
    }
}

/// Causal multi-head self-attention over a fused qkv (q, k, v side by side, heads contiguous
/// inside each, as HF's c_attn split). Keeps the attention probabilities for the backward.
/// out: [T, C], att: [NH, T, T] (row t holds softmax over s ≤ t, zeros above), qkv: [T, 3C]
@inline(__always)
func attentionForward<T: TrainingScalar>(_ out: UnsafeMutablePointer<T>, _ att: UnsafeMutablePointer<T>,
                                         _ qkv: UnsafePointer<T>, _ seqLen: Int, _ C: Int, _ NH: Int) {
    let hs = C / NH, C3 = 3 * C
    let scale = 1 / T(hs).squareRoot()
    for h in 0..<NH {
        let q = qkv + h * hs, k = qkv + C + h * hs, v = qkv + 2 * C + h * hs
        let a = att + h * seqLen * seqLen
        // preatt = scale · q·kᵀ (the masked upper triangle is computed and then overwritten)
        T.gemm(.none, .transpose, m: seqLen, n: seqLen, k: hs, alpha: scale, a: q, lda: C3, b: k, ldb: C3,
               beta: 0, c: a, ldc: seqLen)
        for t in 0..<seqLen {
            let row = a + t * seqLen
            var mx = row[0]
            for s in 0...t where row[s] > mx { mx = row[s] }
            var sum: T = 0
            for s in 0...t { let e = T.exp(row[s] - mx); row[s] = e; sum += e }
            let inv = 1 / sum
            for s in 0...t { row[s] *= inv }
            for s in (t + 1)..<seqLen { row[s] = 0 }
        }
        T.gemm(.none, .none, m: seqLen, n: hs, k: seqLen, alpha: 1, a: a, lda: seqLen, b: v, ldb: C3,
               beta: 0, c: out + h * hs, ldc: C)
    }
}

/// dqkv = attention'ᵀ·dout (overwrites every column of dqkv); scratch holds one head's dpreatt.
/// dqkv: [T, 3C], scratch: [T, T], dout: [T, C], qkv: [T, 3C], att: [NH, T, T]
@inline(__always)
func attentionBackward<T: TrainingScalar>(_ dqkv: UnsafeMutablePointer<T>, _ scratch: UnsafeMutablePointer<T>,
                                          _ dout: UnsafePointer<T>, _ qkv: UnsafePointer<T>,
                                          _ att: UnsafePointer<T>, _ seqLen: Int, _ C: Int, _ NH: Int) {
    let hs = C / NH, C3 = 3 * C
    let scale = 1 / T(hs).squareRoot()
    for h in 0..<NH {
        let q = qkv + h * hs, k = qkv + C + h * hs, v = qkv + 2 * C + h * hs
        let dq = dqkv + h * hs, dk = dqkv + C + h * hs, dv = dqkv + 2 * C + h * hs
        let a = att + h * seqLen * seqLen, d = dout + h * hs
        // datt = dout·vᵀ ; dv = attᵀ·dout
        T.gemm(.none, .transpose, m: seqLen, n: seqLen, k: hs, alpha: 1, a: d, lda: C, b: v, ldb: C3,
               beta: 0, c: scratch, ldc: seqLen)
        T.gemm(.transpose, .none, m: seqLen, n: hs, k: seqLen, alpha: 1, a: a, lda: seqLen, b: d, ldb: C,
               beta: 0, c: dv, ldc: C3)
        // softmax backward: dpre[t,s] = att[t,s]·(datt[t,s] − Σ_s' att[t,s']·datt[t,s'])
        for t in 0..<seqLen {
            let row = a + t * seqLen, g = scratch + t * seqLen
            var dot: T = 0
            for s in 0...t { dot += row[s] * g[s] }
            for s in 0...t { g[s] = row[s] * (g[s] - dot) }
            for s in (t + 1)..<seqLen { g[s] = 0 }
        }
        // dq = scale·dpre·k ; dk = scale·dpreᵀ·q
        T.gemm(.none, .none, m: seqLen, n: hs, k: seqLen, alpha: scale, a: scratch, lda: seqLen, b: k, ldb: C3,
               beta: 0, c: dq, ldc: C3)
        T.gemm(.transpose, .none, m: seqLen, n: hs, k: seqLen, alpha: scale, a: scratch, lda: seqLen, b: q, ldb: C3,
               beta: 0, c: dk, ldc: C3)
    }
}

/// GPT-2's tanh approximation ("gelu_new"): 0.5·x·(1 + tanh(√(2/π)·(x + 0.044715·x³))).
/// out: [N], inp: [N]
@inline(__always)
func geluForward<T: TrainingScalar>(_ out: UnsafeMutablePointer<T>, _ inp: UnsafePointer<T>, _ n: Int) {
    let s = T(0.7978845608028654)  // √(2/π)
    for i in 0..<n {
        let x = inp[i]
        out[i] = 0.5 * x * (1 + T.tanh(s * (x + 0.044715 * x * x * x)))
    }
}

/// dinp = gelu'(inp)·dout (overwrites).
/// dinp: [N], inp: [N], dout: [N]
@inline(__always)
func geluBackward<T: TrainingScalar>(_ dinp: UnsafeMutablePointer<T>, _ inp: UnsafePointer<T>,
                                     _ dout: UnsafePointer<T>, _ n: Int) {
    let s = T(0.7978845608028654)
    for i in 0..<n {
        let x = inp[i]
        let th = T.tanh(s * (x + 0.044715 * x * x * x))
        let sech2 = 1 - th * th
        let local = 0.5 * (1 + th) + 0.5 * x * sech2 * s * (1 + 3 * 0.044715 * x * x)
        dinp[i] = local * dout[i]
    }
}

/// out = a + b (the residual stream). Its backward is the identity on both inputs, which the
/// model applies by letting LayerNorm's backward add into the running residual gradient.
/// out, a, b: [N]
@inline(__always)
func residualForward<T: TrainingScalar>(_ out: UnsafeMutablePointer<T>, _ a: UnsafePointer<T>,
                                        _ b: UnsafePointer<T>, _ n: Int) {
    for i in 0..<n { out[i] = a[i] + b[i] }
}

/// logits = h·wteᵀ (the output head tied to the token embedding).
/// logits: [R, V], h: [R, C], wte: [V, C]
@inline(__always)
func tiedHeadForward<T: TrainingScalar>(_ logits: UnsafeMutablePointer<T>, _ h: UnsafePointer<T>,
                                        _ wte: UnsafePointer<T>, _ rows: Int, _ V: Int, _ C: Int) {
    T.gemm(.none, .transpose, m: rows, n: V, k: C, alpha: 1, a: h, lda: C, b: wte, ldb: C,
           beta: 0, c: logits, ldc: V)
}

/// dh = dlogits·wte (overwrites); dwte += dlogitsᵀ·h.
/// dh: [R, C], dwte: [V, C], dlogits: [R, V], h: [R, C], wte: [V, C]
@inline(__always)
func tiedHeadBackward<T: TrainingScalar>(_ dh: UnsafeMutablePointer<T>, _ dwte: UnsafeMutablePointer<T>,
                                         _ dlogits: UnsafePointer<T>, _ h: UnsafePointer<T>,
                                         _ wte: UnsafePointer<T>, _ rows: Int, _ V: Int, _ C: Int) {
    T.gemm(.none, .none, m: rows, n: C, k: V, alpha: 1, a: dlogits, lda: V, b: wte, ldb: C,
           beta: 0, c: dh, ldc: C)
    T.gemm(.transpose, .none, m: V, n: C, k: rows, alpha: 1, a: dlogits, lda: V, b: h, ldb: C,
           beta: 1, c: dwte, ldc: C)
}

/// lse[r] = log Σ_v exp(logits[r, v]), max-shifted; probs[r, v] = softmax(logits[r, :]).
/// lse: [R], probs: [R, V], logits: [R, V]
@inline(__always)
func logSoftmaxRows<T: TrainingScalar>(_ lse: UnsafeMutablePointer<T>, _ probs: UnsafeMutablePointer<T>,
                                       _ logits: UnsafePointer<T>, _ rows: Int, _ V: Int) {
    for r in 0..<rows {
        let l = logits + r * V, p = probs + r * V
        var mx = l[0]
        for v in 1..<V where l[v] > mx { mx = l[v] }
        var sum: T = 0
        for v in 0..<V { let e = T.exp(l[v] - mx); p[v] = e; sum += e }
        let inv = 1 / sum
        for v in 0..<V { p[v] *= inv }
        lse[r] = mx + T.log(sum)
    }
}
