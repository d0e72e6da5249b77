import SoftQKernels

// The attention kernel on one worker, for the tests that compare it with its loop-only twin or
// a numpy fixture (the library only calls `causalAttentionParallel`). Products need no such
// form: tests call `linearParallel` and `conv1DParallel` with `.serial`.

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
