import SoftQKernels

// Serial forms of the kernels the forward pass runs in parallel, for tests that compare a
// kernel with its loop-only twin or with a numpy fixture on one thread. Production code calls
// `linearParallel`, `conv1DParallel` and `causalAttentionParallel` directly.

/// Linear layer with a PyTorch `nn.Linear` weight: out = x · Wᵀ (+ bias), one BLAS call.
/// out: [rows, outDim], x: [rows, inDim], w: [outDim, inDim], bias: [outDim] or nil.
public func linear(_ out: UnsafeMutablePointer<Float>, _ x: UnsafePointer<Float>,
                   _ w: UnsafePointer<Float>, _ bias: UnsafePointer<Float>?,
                   rows: Int, inDim: Int, outDim: Int) {
    BLAS.sgemm(.none, .transpose, m: rows, n: outDim, k: inDim,
               a: x, lda: inDim, b: w, ldb: inDim, c: out, ldc: outDim)
    if let bias { addBias(out, bias, rows: rows, cols: outDim) }
}

/// Linear layer with a GPT-2 `Conv1D` weight (stored [in, out]): out = x · W (+ bias), one BLAS call.
/// out: [rows, outDim], x: [rows, inDim], w: [inDim, outDim], bias: [outDim] or nil.
public func conv1D(_ out: UnsafeMutablePointer<Float>, _ x: UnsafePointer<Float>,
                   _ w: UnsafePointer<Float>, _ bias: UnsafePointer<Float>?,
                   rows: Int, inDim: Int, outDim: Int) {
    BLAS.sgemm(.none, .none, m: rows, n: outDim, k: inDim,
               a: x, lda: inDim, b: w, ldb: outDim, c: out, ldc: outDim)
    if let bias { addBias(out, bias, rows: rows, cols: outDim) }
}

/// `causalAttentionParallel` on one worker. scratch: ≥ rows·(start+rows) floats.
public func causalAttention(_ out: UnsafeMutablePointer<Float>, _ q: UnsafePointer<Float>,
                            _ keys: UnsafePointer<Float>, _ values: UnsafePointer<Float>,
                            scratch: UnsafeMutablePointer<Float>,
                            rows: Int, start: Int, heads: Int, kvHeads: Int, headDim: Int,
                            qStride: Int, kvStride: Int, outStride: Int, scale: Float,
                            window: Int? = nil, softcap: Float? = nil) {
    causalAttentionParallel(out, q, keys, values, scratch: scratch, rows: rows, start: start, heads: heads,
                            kvHeads: kvHeads, headDim: headDim, qStride: qStride, kvStride: kvStride,
                            outStride: outStride, scale: scale, window: window, softcap: softcap, parallel: .serial)
}
