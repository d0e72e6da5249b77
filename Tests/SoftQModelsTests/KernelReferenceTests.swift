import Foundation
import SoftQBase
import SoftQKernels
import TestSupport
import XCTest

/// Every kernel against float64 numpy written from the formula (fixture kernels.json), and the
/// loop-only twins against the same numbers. Tolerance: 1e-6 relative (plus 1e-6 absolute
/// near zero), from the fixture.
final class KernelReferenceTests: XCTestCase {
    var k: JSONValue = .null
    var rtol = 0.0, atol = 0.0

    override func setUpWithError() throws {
        let j = try Fixture.json("kernels.json")
        k = j["kernels"] ?? .null
        rtol = j["tolerance"]?["rtol"]?.doubleValue ?? 0
        atol = j["tolerance"]?["atol"]?.doubleValue ?? 0
        XCTAssertEqual(rtol, 1e-6)
    }

    func f(_ kernel: String, _ key: String) -> [Float] { Fixture.floats(k[kernel]?[key]) }
    func d(_ kernel: String) -> [Double] { Fixture.doubles(k[kernel]?["out"]) }

    func testNorms() {
        let x = f("layer_norm", "x"), w = f("layer_norm", "w"), b = f("layer_norm", "b")
        let rows = 5, dim = 24
        var out = [Float](repeating: 0, count: rows * dim)
        layerNorm(&out, x, w, b, rows: rows, dim: dim, eps: Float(k["layer_norm"]?["eps"]?.doubleValue ?? 0))
        assertClose(out, d("layer_norm"), atol: atol, rtol: rtol, "layerNorm")
        assertClose(ReferenceKernels.layerNorm(x, w, b, rows: rows, dim: dim, eps: Double(Float(1e-5))), d("layer_norm"), atol: atol, rtol: rtol, "layerNorm twin")
        rmsNorm(&out, x, w, rows: rows, dim: dim, eps: Float(k["rms_norm"]?["eps"]?.doubleValue ?? 0))
        assertClose(out, d("rms_norm"), atol: atol, rtol: rtol, "rmsNorm")
        assertClose(ReferenceKernels.rmsNorm(x, w, rows: rows, dim: dim, eps: 1e-6), d("rms_norm"), atol: atol, rtol: rtol, "rmsNorm twin")
    }

    func testActivations() {
        let x = f("gelu_tanh", "x")
        var out = [Float](repeating: 0, count: x.count)
        geluTanh(&out, x, count: x.count)
        assertClose(out, d("gelu_tanh"), atol: atol, rtol: rtol, "geluTanh")
        assertClose(ReferenceKernels.geluTanh(x), d("gelu_tanh"), atol: atol, rtol: rtol, "geluTanh twin")
        geluErf(&out, x, count: x.count)
        assertClose(out, d("gelu_erf"), atol: atol, rtol: rtol, "geluErf")
        assertClose(ReferenceKernels.geluErf(x), d("gelu_erf"), atol: atol, rtol: rtol, "geluErf twin")
        let g = f("silu_mul", "gate"), u = f("silu_mul", "up")
        siluMul(&out, g, u, count: g.count)
        assertClose(out, d("silu_mul"), atol: atol, rtol: rtol, "siluMul")
        assertClose(ReferenceKernels.siluMul(g, u), d("silu_mul"), atol: atol, rtol: rtol, "siluMul twin")
    }

    func testRotary() {
        let r = k["rotary"] ?? .null
        var x = f("rotary", "x")
        let heads = r["heads"]?.intValue ?? 0, hd = r["head_dim"]?.intValue ?? 0, start = r["start"]?.intValue ?? 0
        let rows = x.count / (heads * hd), half = hd / 2
        let theta = r["theta"]?.doubleValue ?? 0
        let inv = (0..<half).map { 1 / pow(theta, Double(2 * $0) / Double(hd)) }
        var c = [Float](repeating: 0, count: rows * half), s = c
        rotaryTables(&c, &s, inv, start: start, rows: rows, half: half)
        let twin = ReferenceKernels.rotary(x, invFreq: inv, start: start, rows: rows, heads: heads, headDim: hd)
        applyRotary(&x, c, s, rows: rows, heads: heads, headDim: hd, ld: heads * hd)
        assertClose(x, d("rotary"), atol: atol, rtol: rtol, "applyRotary")
        assertClose(twin, d("rotary"), atol: atol, rtol: rtol, "rotary twin")
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
        assertClose(out, d("attention"), atol: atol, rtol: rtol, "causalAttention")
        let twin = ReferenceKernels.causalAttention(q: q, keys: keys, values: values, rows: rows, start: start,
                                                    heads: H, kvHeads: KV, headDim: hd, scale: 1 / Double(hd).squareRoot())
        assertClose(twin, d("attention"), atol: atol, rtol: rtol, "attention twin")
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
        assertClose(result, d("logsumexp"), atol: atol, rtol: rtol, "blocked logsumexp")
        assertClose(ReferenceKernels.logSumExp(x, rows: rows, cols: cols), d("logsumexp"), atol: atol, rtol: rtol, "logsumexp twin")
    }
}
