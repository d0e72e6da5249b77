/// Causal multi-head attention of `rows` new positions over a key/value cache, with grouped
/// query heads (query head h reads key/value head h / (heads / kvHeads)).
///
/// out: [rows, heads·headDim] (row stride `outStride`), q: [rows, heads·headDim] (row stride
/// `qStride`), keys, values: [start+rows, kvHeads·headDim] (row stride `kvStride`), the cache
/// including the new rows; scratch: ≥ rows·(start+rows) floats. Row t is at absolute position
/// start+t. Both products go through BLAS; one head at a time, so the result of a row depends
/// only on its own sequence, never on what else is being scored.
public func causalAttention(_ out: UnsafeMutablePointer<Float>, _ q: UnsafePointer<Float>,
                            _ keys: UnsafePointer<Float>, _ values: UnsafePointer<Float>,
                            scratch: UnsafeMutablePointer<Float>,
                            rows: Int, start: Int, heads: Int, kvHeads: Int, headDim: Int,
                            qStride: Int, kvStride: Int, outStride: Int, scale: Float) {
    causalAttentionParallel(out, q, keys, values, scratch: scratch, rows: rows, start: start, heads: heads,
                            kvHeads: kvHeads, headDim: headDim, qStride: qStride, kvStride: kvStride,
                            outStride: outStride, scale: scale, parallel: .serial)
}

/// `causalAttention` with heads spread over workers. scratch: ≥ parallel.threads · rows·(start+rows)
/// floats (one slice per worker). Each head's arithmetic is the same as in the serial kernel.
public func causalAttentionParallel(_ out: UnsafeMutablePointer<Float>, _ q: UnsafePointer<Float>,
                                    _ keys: UnsafePointer<Float>, _ values: UnsafePointer<Float>,
                                    scratch: UnsafeMutablePointer<Float>,
                                    rows: Int, start: Int, heads: Int, kvHeads: Int, headDim: Int,
                                    qStride: Int, kvStride: Int, outStride: Int, scale: Float, parallel: Parallel) {
    let len = start + rows, group = heads / kvHeads
    nonisolated(unsafe) let out = out, q = q, keys = keys, values = values, scratch = scratch
    parallel.forEach(heads) { h, worker in
        let g = h / group
        let s = scratch + worker * rows * len
        BLAS.sgemm(.none, .transpose, m: rows, n: len, k: headDim,
                   a: q + h * headDim, lda: qStride, b: keys + g * headDim, ldb: kvStride, c: s, ldc: len)
        causalSoftmax(s, rows: rows, cols: len, ld: len, start: start, scale: scale)
        BLAS.sgemm(.none, .none, m: rows, n: headDim, k: len,
                   a: s, lda: len, b: values + g * headDim, ldb: kvStride, c: out + h * headDim, ldc: outStride)
    }
}

/// Linear layer with a PyTorch `nn.Linear` weight: out = x · Wᵀ (+ bias).
/// out: [rows, outDim], x: [rows, inDim], w: [outDim, inDim], bias: [outDim] or nil.
public func linear(_ out: UnsafeMutablePointer<Float>, _ x: UnsafePointer<Float>,
                   _ w: UnsafePointer<Float>, _ bias: UnsafePointer<Float>?,
                   rows: Int, inDim: Int, outDim: Int) {
    BLAS.sgemm(.none, .transpose, m: rows, n: outDim, k: inDim,
               a: x, lda: inDim, b: w, ldb: inDim, c: out, ldc: outDim)
    if let bias { addBias(out, bias, rows: rows, cols: outDim) }
}

/// Linear layer with a GPT-2 `Conv1D` weight (stored [in, out]): out = x · W (+ bias).
/// out: [rows, outDim], x: [rows, inDim], w: [inDim, outDim], bias: [outDim] or nil.
public func conv1D(_ out: UnsafeMutablePointer<Float>, _ x: UnsafePointer<Float>,
                   _ w: UnsafePointer<Float>, _ bias: UnsafePointer<Float>?,
                   rows: Int, inDim: Int, outDim: Int) {
    BLAS.sgemm(.none, .none, m: rows, n: outDim, k: inDim,
               a: x, lda: inDim, b: w, ldb: outDim, c: out, ldc: outDim)
    if let bias { addBias(out, bias, rows: rows, cols: outDim) }
}
