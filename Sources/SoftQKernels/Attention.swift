/// Causal multi-head attention of `rows` new positions over a key/value cache, with grouped
/// query heads (query head h reads key/value head h / (heads / kvHeads)), an optional sliding
/// window and optional logit soft-capping.
///
/// out: [rows, heads·headDim] (row stride `outStride`), q: [rows, heads·headDim] (row stride
/// `qStride`), keys, values: [start+rows, kvHeads·headDim] (row stride `kvStride`), the cache
/// including the new rows; scratch: ≥ parallel.threads · rows·(start+rows) floats (one slice
/// per worker). Row t is at absolute position
/// p = start+t and attends to positions max(0, p−window+1) … p: the last `window` positions,
/// itself included (transformers' `kv_idx > q_idx − sliding_window`); nil means all of 0 … p.
/// softcap c: a score s becomes c·tanh(s·scale / c) before the softmax (Gemma 2).
/// Both products go through BLAS, one head at a time (heads spread over workers), so the
/// result of a row depends only on its own sequence, never on what else is being scored or
/// on the thread count.
/// With a window, only the key columns some row can see (from max(0, start−window+1) on) enter
/// the products, so decoding far past the window costs O(window) per token, not O(position).
public func causalAttentionParallel(_ out: UnsafeMutablePointer<Float>, _ q: UnsafePointer<Float>,
                                    _ keys: UnsafePointer<Float>, _ values: UnsafePointer<Float>,
                                    scratch: UnsafeMutablePointer<Float>,
                                    rows: Int, start: Int, heads: Int, kvHeads: Int, headDim: Int,
                                    qStride: Int, kvStride: Int, outStride: Int, scale: Float,
                                    window: Int? = nil, softcap: Float? = nil, parallel: Parallel) {
    precondition(window.map { $0 > 0 } ?? true, "causalAttention: window must be positive")
    let first = window.map { max(0, start - $0 + 1) } ?? 0  // first key column any row sees
    let len = start + rows, cols = len - first, group = heads / kvHeads
    nonisolated(unsafe) let out = out, q = q, keys = keys + first * kvStride, values = values + first * kvStride, scratch = scratch
    parallel.forEach(heads) { h, worker in
        let g = h / group
        let s = scratch + worker * rows * len
        BLAS.sgemm(.none, .transpose, m: rows, n: cols, k: headDim,
                   a: q + h * headDim, lda: qStride, b: keys + g * headDim, ldb: kvStride, c: s, ldc: cols)
        causalSoftmax(s, rows: rows, cols: cols, ld: cols, start: start - first, scale: scale,
                      window: window, softcap: softcap)
        BLAS.sgemm(.none, .none, m: rows, n: headDim, k: cols,
                   a: s, lda: cols, b: values + g * headDim, ldb: kvStride, c: out + h * headDim, ldc: outStride)
    }
}
