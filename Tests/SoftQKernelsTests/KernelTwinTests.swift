import Foundation
import SoftQBase
import SoftQKernels
import TestSupport
import XCTest

/// Fast kernels against their loop-only twins on seeded random inputs (the float64 numpy
/// references are in SoftQModelsTests/KernelReferenceTests). Tolerances are the float32
/// rounding-error bounds of TestSupport/KernelBounds.swift, computed per element from the
/// inputs (docs/testing.md); the float64 twin's own error is below 10⁻¹⁵ of them.
final class KernelTwinTests: XCTestCase {
    var rng = SeededGenerator(seed: 7)

    func random(_ n: Int, scale: Double = 1) -> [Float] { (0..<n).map { _ in Float(rng.nextGaussian() * scale) } }

    func testElementwiseKernelsMatchTwins() {
        let rows = 3, dim = 37
        let x = random(rows * dim, scale: 3), w = random(dim), b = random(dim)
        var out = [Float](repeating: 0, count: rows * dim)
        layerNorm(&out, x, w, b, rows: rows, dim: dim, eps: 1e-5)
        assertWithinBounds(out, ReferenceKernels.layerNorm(x, w, b, rows: rows, dim: dim, eps: Double(Float(1e-5))),
                           bounds: KernelBounds.norm(x, w, b, rows: rows, dim: dim, centered: true), "layerNorm")
        rmsNorm(&out, x, w, rows: rows, dim: dim, eps: 1e-6)
        assertWithinBounds(out, ReferenceKernels.rmsNorm(x, w, rows: rows, dim: dim, eps: Double(Float(1e-6))),
                           bounds: KernelBounds.norm(x, w, nil, rows: rows, dim: dim, centered: false), "rmsNorm")
        geluTanh(&out, x, count: x.count)
        assertWithinBounds(out, ReferenceKernels.geluTanh(x), bounds: KernelBounds.geluTanh(x), "geluTanh")
        geluErf(&out, x, count: x.count)
        assertWithinBounds(out, ReferenceKernels.geluErf(x), bounds: KernelBounds.geluErf(x), "geluErf")
        let g = random(x.count, scale: 4)
        siluMul(&out, g, x, count: x.count)
        assertWithinBounds(out, ReferenceKernels.siluMul(g, x), bounds: KernelBounds.siluMul(g, x), "siluMul")
        var y = x
        addInPlace(&y, w + w + w, count: y.count)
        XCTAssertEqual(y[dim + 2], x[dim + 2] + w[2])
    }

    func testRotaryMatchesTwinAtLargePositions() {
        let rows = 4, heads = 2, hd = 16, start = 1000, half = hd / 2
        var x = random(rows * heads * hd)
        let rotaryBounds = KernelBounds.rotary(x, headDim: hd)
        let inv = (0..<half).map { 1 / pow(500000.0, Double(2 * $0) / Double(hd)) }
        let twin = ReferenceKernels.rotary(x, invFreq: inv, start: start, rows: rows, heads: heads, headDim: hd)
        var c = [Float](repeating: 0, count: rows * half), s = c
        rotaryTables(&c, &s, inv, start: start, rows: rows, half: half)
        applyRotary(&x, c, s, rows: rows, heads: heads, headDim: hd, ld: heads * hd)
        assertWithinBounds(x, twin, bounds: rotaryBounds, "applyRotary at positions ≥ 1000")
    }

    func testProductsMatchTwins() {
        let rows = 5, inDim = 40, outDim = 23
        let x = random(rows * inDim), w = random(outDim * inDim), bias = random(outDim)
        var out = [Float](repeating: 0, count: rows * outDim)
        linearParallel(&out, x, w, bias, rows: rows, inDim: inDim, outDim: outDim, parallel: .serial)
        let bounds = KernelBounds.linear(x, w, bias, rows: rows, inDim: inDim, outDim: outDim)
        assertWithinBounds(out, ReferenceKernels.linear(x, w, bias, rows: rows, inDim: inDim, outDim: outDim), bounds: bounds, "linear")
        // Conv1D holds the transpose of a Linear weight.
        var wt = [Float](repeating: 0, count: w.count)
        for o in 0..<outDim { for i in 0..<inDim { wt[i * outDim + o] = w[o * inDim + i] } }
        var out2 = [Float](repeating: 0, count: rows * outDim)
        conv1DParallel(&out2, x, wt, bias, rows: rows, inDim: inDim, outDim: outDim, parallel: .serial)
        // Two float32 results, each within its bound of the exact value.
        assertWithinBounds(out2, out, bounds: bounds.map { 2 * $0 }, "conv1D vs linear")
    }

    func testAttentionMatchesTwinWithGroupedHeads() {
        let H = 6, KV = 2, hd = 8, start = 7, rows = 4, len = start + rows
        let q = random(rows * H * hd), k = random(len * KV * hd), v = random(len * KV * hd)
        var out = [Float](repeating: 0, count: rows * H * hd), scratch = [Float](repeating: 0, count: rows * len)
        causalAttention(&out, q, k, v, scratch: &scratch, rows: rows, start: start, heads: H, kvHeads: KV, headDim: hd,
                        qStride: H * hd, kvStride: KV * hd, outStride: H * hd, scale: 0.25)
        let twin = ReferenceKernels.causalAttention(q: q, keys: k, values: v, rows: rows, start: start, heads: H, kvHeads: KV, headDim: hd, scale: 0.25)
        assertClose(out, twin, atol: KernelBounds.attention(q, k, v, headDim: hd, length: len, scale: 0.25), "causalAttention")
    }

    func testWindowedSoftcappedAttentionMatchesTwin() {
        // Windows shorter than, equal to and longer than the cache; start 0 and start > window.
        let H = 4, KV = 2, hd = 8
        for (start, rows, window, cap) in [(7, 4, 3, Float(2)), (0, 6, 2, nil), (9, 1, 4, nil), (2, 5, 20, Float(1.5)), (5, 3, 1, nil)] {
            let len = start + rows
            let q = random(rows * H * hd), k = random(len * KV * hd), v = random(len * KV * hd)
            var out = [Float](repeating: 0, count: rows * H * hd), scratch = [Float](repeating: 0, count: rows * len)
            causalAttention(&out, q, k, v, scratch: &scratch, rows: rows, start: start, heads: H, kvHeads: KV, headDim: hd,
                            qStride: H * hd, kvStride: KV * hd, outStride: H * hd, scale: 0.5, window: window, softcap: cap)
            let twin = ReferenceKernels.causalAttention(q: q, keys: k, values: v, rows: rows, start: start, heads: H, kvHeads: KV,
                                                        headDim: hd, scale: 0.5, window: window, softcap: cap.map(Double.init))
            let bound = KernelBounds.attention(q, k, v, headDim: hd, length: len, scale: 0.5, softcap: cap.map(Double.init))
            assertClose(out, twin, atol: bound, "causalAttention start \(start) window \(window) cap \(String(describing: cap))")
        }
        // Window 1: every position sees only itself, so the output is its own value row.
        let q = random(3 * 8), k = random(3 * 8), v = random(3 * 8)
        var out = [Float](repeating: 0, count: 3 * 8), scratch = [Float](repeating: 0, count: 9)
        causalAttention(&out, q, k, v, scratch: &scratch, rows: 3, start: 0, heads: 1, kvHeads: 1, headDim: 8,
                        qStride: 8, kvStride: 8, outStride: 8, scale: 1, window: 1)
        XCTAssertEqual(out, v)
    }

    func testCausalSoftmaxWindowZeroesThePastBeyondIt() {
        var s: [Float] = [1, 2, 3, 4, 5, 6, 7, 8]  // 2 rows × 4 cols, start 2, window 2
        causalSoftmax(&s, rows: 2, cols: 4, ld: 4, start: 2, scale: 1, window: 2)
        XCTAssertEqual(Array(s[0...0]) + Array(s[3...5]), [0, 0, 0, 0])  // row 0 sees 1…2, row 1 sees 2…3
        // Two probabilities of a 2-term softmax, each within γ_4 relative (exp ≤ 2 ulp, the sum,
        // the divide), added once more: γ_5 ≈ 3e-7.
        XCTAssertEqual(Double(s[1] + s[2]), 1, accuracy: RoundingBound.gamma(5))
        XCTAssertEqual(Double(s[6] + s[7]), 1, accuracy: RoundingBound.gamma(5))
    }

    func testCausalSoftmaxZeroesTheFuture() {
        var s: [Float] = [1, 2, 3, 4, 5, 6, 7, 8]  // 2 rows × 4 cols, start 1
        causalSoftmax(&s, rows: 2, cols: 4, ld: 4, start: 1, scale: 1)
        XCTAssertEqual(Array(s[2...3]), [0, 0])
        XCTAssertEqual(s[7], 0)
        XCTAssertEqual(Double(s[0] + s[1]), 1, accuracy: RoundingBound.gamma(5))
        // The shared normaliser cancels: two exps (≤ 2 ulp each), two divides, the ratio: γ_7·e.
        XCTAssertEqual(Double(s[1] / s[0]), exp(1), accuracy: RoundingBound.gamma(7) * exp(1))
    }

    func testLogSumExpIsMinusInfinitySafe() {
        var m = -Float.infinity, s = 0.0
        let row: [Float] = [-.infinity, -.infinity]
        var bm: Float = 0, bs = 0.0
        rowMaxSumExp(&bm, &bs, row, rows: 1, cols: 2, ld: 2)
        combineLogSumExp(&m, &s, blockMax: bm, blockSum: bs)
        XCTAssertEqual(finishLogSumExp(m, s), -.infinity)
        rowMaxSumExp(&bm, &bs, [Float(1000), 1000], rows: 1, cols: 2, ld: 2)
        combineLogSumExp(&m, &s, blockMax: bm, blockSum: bs)
        // A float32 result near 1000: its own rounding is half an ulp (2⁻¹⁴), the log-sum's error
        // (≤ γ_5·log 2) is far below the other half.
        XCTAssertEqual(Double(finishLogSumExp(m, s)), 1000 + log(2.0), accuracy: Double(Float(1000).ulp))
    }
}

/// The parallel variants: fixed work splits, so every thread count gives the same bits.
final class ParallelKernelTests: XCTestCase {
    func testParallelProductsAndAttentionAreThreadCountInvariant() {
        var rng = SeededGenerator(seed: 9)
        func random(_ n: Int) -> [Float] { (0..<n).map { _ in Float(rng.nextGaussian()) } }
        let rows = 6, inDim = 48, outDim = 600  // three column chunks of 256
        let x = random(rows * inDim), w = random(outDim * inDim), bias = random(outDim)
        var serial = [Float](repeating: 0, count: rows * outDim), par = serial
        linearParallel(&serial, x, w, bias, rows: rows, inDim: inDim, outDim: outDim, parallel: .serial)
        linearParallel(&par, x, w, bias, rows: rows, inDim: inDim, outDim: outDim, parallel: Parallel(threads: 3))
        XCTAssertEqual(serial.map(\.bitPattern), par.map(\.bitPattern))
        assertWithinBounds(serial, ReferenceKernels.linear(x, w, bias, rows: rows, inDim: inDim, outDim: outDim),
                           bounds: KernelBounds.linear(x, w, bias, rows: rows, inDim: inDim, outDim: outDim), "chunked linear")
        conv1DParallel(&serial, x, w, bias, rows: rows, inDim: inDim, outDim: outDim, parallel: .serial)
        conv1DParallel(&par, x, w, bias, rows: rows, inDim: inDim, outDim: outDim, parallel: Parallel(threads: 2))
        XCTAssertEqual(serial.map(\.bitPattern), par.map(\.bitPattern))

        let H = 4, KV = 1, hd = 8, start = 5, len = start + rows
        let q = random(rows * H * hd), k = random(len * KV * hd), v = random(len * KV * hd)
        var a1 = [Float](repeating: 0, count: rows * H * hd), a3 = a1
        var s1 = [Float](repeating: 0, count: rows * len), s3 = [Float](repeating: 0, count: 3 * rows * len)
        causalAttention(&a1, q, k, v, scratch: &s1, rows: rows, start: start, heads: H, kvHeads: KV, headDim: hd,
                        qStride: H * hd, kvStride: KV * hd, outStride: H * hd, scale: 0.3)
        causalAttentionParallel(&a3, q, k, v, scratch: &s3, rows: rows, start: start, heads: H, kvHeads: KV, headDim: hd,
                                qStride: H * hd, kvStride: KV * hd, outStride: H * hd, scale: 0.3, parallel: Parallel(threads: 3))
        XCTAssertEqual(a1.map(\.bitPattern), a3.map(\.bitPattern))
    }
}
