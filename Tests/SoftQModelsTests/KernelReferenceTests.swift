import Foundation
import SoftQBase
import SoftQKernels
import TestSupport
import XCTest

/// Every kernel against float64 numpy written from the formula (fixture kernels.json), and the
/// loop-only twins against the same numbers. Tolerances are rounding-error bounds computed per
/// element from the inputs (TestSupport/KernelBounds.swift, docs/testing.md): the float32
/// bound for the fast kernels; for the float64 twins the same bound with float64's unit
/// roundoff, twice (numpy's own float64 error is as large), so the twins are held to ~10⁻¹⁵.
final class KernelReferenceTests: XCTestCase {
    var k: JSONValue = .null

    override func setUpWithError() throws {
        k = try Fixture.json("kernels.json")["kernels"] ?? .null
    }

    /// The float64 twins against float64 numpy: both within the float64 bound of the exact value.
    func twin(_ bounds: [Double]) -> [Double] { bounds.map { 2 * $0 } }

    func f(_ kernel: String, _ key: String) -> [Float] { Fixture.floats(k[kernel]?[key]) }
    func d(_ kernel: String) -> [Double] { Fixture.doubles(k[kernel]?["out"]) }

    func testNorms() {
        let x = f("layer_norm", "x"), w = f("layer_norm", "w"), b = f("layer_norm", "b")
        let rows = 5, dim = 24
        var out = [Float](repeating: 0, count: rows * dim)
        layerNorm(&out, x, w, b, rows: rows, dim: dim, eps: Float(k["layer_norm"]?["eps"]?.doubleValue ?? 0))
        let ln = { (unit: Double) in
            KernelBounds.norm(x, w, b, rows: rows, dim: dim, centered: true, epsilonMismatch: abs(Double(Float(1e-5)) - 1e-5), unit: unit)
        }
        assertWithinBounds(out, d("layer_norm"), bounds: ln(RoundingBound.float32), "layerNorm")
        assertWithinBounds(ReferenceKernels.layerNorm(x, w, b, rows: rows, dim: dim, eps: Double(Float(1e-5))), d("layer_norm"),
                           bounds: twin(ln(RoundingBound.float64)), "layerNorm twin")
        rmsNorm(&out, x, w, rows: rows, dim: dim, eps: Float(k["rms_norm"]?["eps"]?.doubleValue ?? 0))
        let rms = { (unit: Double) in
            KernelBounds.norm(x, w, nil, rows: rows, dim: dim, centered: false, epsilonMismatch: abs(Double(Float(1e-6)) - 1e-6), unit: unit)
        }
        assertWithinBounds(out, d("rms_norm"), bounds: rms(RoundingBound.float32), "rmsNorm")
        assertWithinBounds(ReferenceKernels.rmsNorm(x, w, rows: rows, dim: dim, eps: 1e-6), d("rms_norm"),
                           bounds: twin(rms(RoundingBound.float64)), "rmsNorm twin")
    }

    func testActivations() {
        let x = f("gelu_tanh", "x")
        var out = [Float](repeating: 0, count: x.count)
        geluTanh(&out, x, count: x.count)
        assertWithinBounds(out, d("gelu_tanh"), bounds: KernelBounds.geluTanh(x), "geluTanh")
        assertWithinBounds(ReferenceKernels.geluTanh(x), d("gelu_tanh"), bounds: twin(KernelBounds.geluTanh(x, unit: RoundingBound.float64)), "geluTanh twin")
        geluErf(&out, x, count: x.count)
        assertWithinBounds(out, d("gelu_erf"), bounds: KernelBounds.geluErf(x), "geluErf")
        assertWithinBounds(ReferenceKernels.geluErf(x), d("gelu_erf"), bounds: twin(KernelBounds.geluErf(x, unit: RoundingBound.float64)), "geluErf twin")
        let g = f("silu_mul", "gate"), u = f("silu_mul", "up")
        siluMul(&out, g, u, count: g.count)
        assertWithinBounds(out, d("silu_mul"), bounds: KernelBounds.siluMul(g, u), "siluMul")
        assertWithinBounds(ReferenceKernels.siluMul(g, u), d("silu_mul"), bounds: twin(KernelBounds.siluMul(g, u, unit: RoundingBound.float64)), "siluMul twin")
    }

    func testRotary() {
        let r = k["rotary"] ?? .null
        var x = f("rotary", "x")
        let input = x
        let heads = r["heads"]?.intValue ?? 0, hd = r["head_dim"]?.intValue ?? 0, start = r["start"]?.intValue ?? 0
        let rows = x.count / (heads * hd), half = hd / 2
        let theta = r["theta"]?.doubleValue ?? 0
        let inv = (0..<half).map { 1 / pow(theta, Double(2 * $0) / Double(hd)) }
        var c = [Float](repeating: 0, count: rows * half), s = c
        rotaryTables(&c, &s, inv, start: start, rows: rows, half: half)
        let twin = ReferenceKernels.rotary(x, invFreq: inv, start: start, rows: rows, heads: heads, headDim: hd)
        applyRotary(&x, c, s, rows: rows, heads: heads, headDim: hd, ld: heads * hd)
        assertWithinBounds(x, d("rotary"), bounds: KernelBounds.rotary(input, headDim: hd), "applyRotary")
        assertWithinBounds(twin, d("rotary"), bounds: self.twin(KernelBounds.rotary(input, headDim: hd, unit: RoundingBound.float64)), "rotary twin")
    }

    func testAttention() {
        let a = k["attention"] ?? .null
        let q = f("attention", "q"), keys = f("attention", "k"), values = f("attention", "v")
        let H = a["heads"]?.intValue ?? 0, KV = a["kv_heads"]?.intValue ?? 0, hd = a["head_dim"]?.intValue ?? 0
        let start = a["start"]?.intValue ?? 0, rows = q.count / (H * hd)
        var out = [Float](repeating: 0, count: rows * H * hd)
        var scratch = [Float](repeating: 0, count: rows * (start + rows))
        let scale = 1 / Float(hd).squareRoot()
        causalAttention(&out, q, keys, values, scratch: &scratch, rows: rows, start: start, heads: H, kvHeads: KV,
                        headDim: hd, qStride: H * hd, kvStride: KV * hd, outStride: H * hd, scale: scale)
        let len = start + rows
        let bound = { (unit: Double) in
            KernelBounds.attention(q, keys, values, headDim: hd, length: len, scale: 1 / Double(hd).squareRoot(), unit: unit)
        }
        // The fast kernel's scale is 1/√hd rounded to float32: one more rounding of every score.
        assertClose(out, d("attention"), atol: bound(RoundingBound.float32), "causalAttention")
        let twin = ReferenceKernels.causalAttention(q: q, keys: keys, values: values, rows: rows, start: start,
                                                    heads: H, kvHeads: KV, headDim: hd, scale: 1 / Double(hd).squareRoot())
        assertClose(twin, d("attention"), atol: 2 * bound(RoundingBound.float64), "attention twin")
    }

    func testBlockedLogSumExp() {
        let x = f("logsumexp", "x")
        let rows = 4, cols = x.count / 4
        var result = [Float](repeating: 0, count: rows)
        // Uneven blocks, merged in order, as the output layer does.
        for r in 0..<rows {
            var m = -Float.infinity, s = 0.0
            for c0 in stride(from: 0, to: cols, by: 70) {
                var bm: Float = 0, bs = 0.0
                x.withUnsafeBufferPointer { rowMaxSumExp(&bm, &bs, $0.baseAddress! + r * cols + c0, rows: 1, cols: min(70, cols - c0), ld: cols) }
                combineLogSumExp(&m, &s, blockMax: bm, blockSum: bs)
            }
            result[r] = finishLogSumExp(m, s)
        }
        assertWithinBounds(result, d("logsumexp"), bounds: KernelBounds.logSumExp(x, rows: rows, cols: cols), "blocked logsumexp")
        assertWithinBounds(ReferenceKernels.logSumExp(x, rows: rows, cols: cols), d("logsumexp"),
                           bounds: twin(KernelBounds.logSumExp(x, rows: rows, cols: cols, unit: RoundingBound.float64)), "logsumexp twin")
    }
}
