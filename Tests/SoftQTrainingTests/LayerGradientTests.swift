import XCTest
import SoftQBase
import TestSupport
@testable import SoftQTraining

/// Every layer's backward against central finite differences, in float64 on tiny shapes.
///
/// Each check uses the scalar L = Σ_i w_i·out_i with seeded random weights w, so dL/dout = w is
/// the upstream gradient fed to the backward. Step h = 1e-6; central differences then carry an
/// error of order h² · f''' + ε/h ≈ 1e-10, so |analytic − numeric| ≤ 1e-7 + 1e-6·|numeric| is tight
/// enough to catch any missing term yet robust to rounding.
final class LayerGradientTests: XCTestCase {
    var rng = SeededGenerator(seed: 7)

    func random(_ n: Int, scale: Double = 1) -> [Double] { (0..<n).map { _ in scale * rng.nextGaussian() } }

    /// Compares `analytic` (dL/dinputs[k]) with finite differences of `loss(inputs)`.
    func checkGradients(_ what: String, inputs: [[Double]], analytic: [[Double]],
                        loss: ([[Double]]) -> Double, file: StaticString = #filePath, line: UInt = #line) {
        let h = 1e-6
        for k in inputs.indices {
            var numeric = [Double](repeating: 0, count: inputs[k].count)
            for i in inputs[k].indices {
                var plus = inputs, minus = inputs
                plus[k][i] += h
                minus[k][i] -= h
                numeric[i] = (loss(plus) - loss(minus)) / (2 * h)
            }
            XCTAssert(numeric.contains { abs($0) > 1e-3 }, "\(what) input \(k): gradient is trivially zero", file: file, line: line)
            assertClose(analytic[k], numeric, atol: 1e-7, rtol: 1e-6, "\(what) input \(k)", file: file, line: line)
        }
    }

    func dot(_ a: [Double], _ b: [Double]) -> Double { zip(a, b).reduce(0) { $0 + $1.0 * $1.1 } }

    func testEncoder() {
        let T = 4, C = 3, V = 5, P = 6
        let tokens = [2, 0, 2, 4]
        let w = random(T * C)
        func fwd(_ x: [[Double]]) -> [Double] {
            var out = [Double](repeating: 0, count: T * C)
            encoderForward(&out, tokens, x[0], x[1], T, C)
            return out
        }
        let inputs = [random(V * C), random(P * C)]
        var dwte = [Double](repeating: 0, count: V * C), dwpe = [Double](repeating: 0, count: P * C)
        encoderBackward(&dwte, &dwpe, w, tokens, T, C)
        checkGradients("encoder", inputs: inputs, analytic: [dwte, dwpe]) { dot(fwd($0), w) }
    }

    func testLayerNorm() {
        let T = 3, C = 5
        let w = random(T * C)
        func fwd(_ x: [[Double]]) -> [Double] {
            var out = [Double](repeating: 0, count: T * C), mean = [Double](repeating: 0, count: T), rstd = mean
            layerNormForward(&out, &mean, &rstd, x[0], x[1], x[2], T, C, eps: 1e-5)
            return out
        }
        let inputs = [random(T * C), random(C), random(C)]
        var out = [Double](repeating: 0, count: T * C), mean = [Double](repeating: 0, count: T), rstd = mean
        layerNormForward(&out, &mean, &rstd, inputs[0], inputs[1], inputs[2], T, C, eps: 1e-5)
        var dinp = [Double](repeating: 0, count: T * C), dw = [Double](repeating: 0, count: C), db = dw
        layerNormBackward(&dinp, &dw, &db, w, inputs[0], inputs[1], mean, rstd, T, C)
        checkGradients("layernorm", inputs: inputs, analytic: [dinp, dw, db]) { dot(fwd($0), w) }
    }

    func testMatmul() {
        let T = 3, C = 4, OC = 5
        let w = random(T * OC)
        func fwd(_ x: [[Double]]) -> [Double] {
            var out = [Double](repeating: 0, count: T * OC)
            matmulForward(&out, x[0], x[1], x[2], T, C, OC)
            return out
        }
        let inputs = [random(T * C), random(C * OC), random(OC)]
        var dinp = [Double](repeating: 0, count: T * C), dw = [Double](repeating: 0, count: C * OC), db = [Double](repeating: 0, count: OC)
        matmulBackward(&dinp, &dw, &db, w, inputs[0], inputs[1], T, C, OC)
        checkGradients("matmul", inputs: inputs, analytic: [dinp, dw, db]) { dot(fwd($0), w) }
        // The Conv1D orientation: out = x·W + b against a loop.
        let out = fwd(inputs)
        var expected = [Double](repeating: 0, count: T * OC)
        for t in 0..<T { for j in 0..<OC {
            var s = inputs[2][j]
            for c in 0..<C { s += inputs[0][t * C + c] * inputs[1][c * OC + j] }
            expected[t * OC + j] = s
        } }
        assertClose(out, expected, atol: 1e-12, "matmul forward")
    }

    func testAttention() {
        let T = 4, C = 6, NH = 2
        let w = random(T * C)
        func fwd(_ x: [[Double]]) -> [Double] {
            var out = [Double](repeating: 0, count: T * C), att = [Double](repeating: 0, count: NH * T * T)
            attentionForward(&out, &att, x[0], T, C, NH)
            return out
        }
        let inputs = [random(T * 3 * C)]
        var out = [Double](repeating: 0, count: T * C), att = [Double](repeating: 0, count: NH * T * T)
        attentionForward(&out, &att, inputs[0], T, C, NH)
        var dqkv = [Double](repeating: .nan, count: T * 3 * C), scratch = [Double](repeating: 0, count: T * T)
        attentionBackward(&dqkv, &scratch, w, inputs[0], att, T, C, NH)
        checkGradients("attention", inputs: inputs, analytic: [dqkv]) { dot(fwd($0), w) }
        // Causality: the first position attends only to itself, so its output is its own v.
        for h in 0..<NH { for d in 0..<(C / NH) {
            XCTAssertEqual(out[h * (C / NH) + d], inputs[0][2 * C + h * (C / NH) + d], accuracy: 1e-12)
        } }
    }

    func testGelu() {
        let n = 9
        let w = random(n)
        func fwd(_ x: [[Double]]) -> [Double] {
            var out = [Double](repeating: 0, count: n)
            geluForward(&out, x[0], n)
            return out
        }
        let inputs = [random(n, scale: 2)]
        var dinp = [Double](repeating: 0, count: n)
        geluBackward(&dinp, inputs[0], w, n)
        checkGradients("gelu", inputs: inputs, analytic: [dinp]) { dot(fwd($0), w) }
        // gelu_new at 1: 0.5·(1 + tanh(√(2/π)·1.044715)) = 0.8411919906082768 (closed form)
        var one = [0.0]
        geluForward(&one, [1.0], 1)
        XCTAssertEqual(one[0], 0.8411919906082768, accuracy: 1e-15)
    }

    func testResidual() {
        let n = 5
        let w = random(n)
        let inputs = [random(n), random(n)]
        func fwd(_ x: [[Double]]) -> [Double] {
            var out = [Double](repeating: 0, count: n)
            residualForward(&out, x[0], x[1], n)
            return out
        }
        // The backward of a residual is the identity into both branches.
        checkGradients("residual", inputs: inputs, analytic: [w, w]) { dot(fwd($0), w) }
    }

    func testTiedHeadAndLogSoftmax() {
        let R = 3, V = 7, C = 4
        let w = random(R * V), wl = random(R)
        // L = Σ w·logits + Σ wl·logsumexp(logits); dL/dlogits = w + wl·softmax.
        func loss(_ x: [[Double]]) -> Double {
            var logits = [Double](repeating: 0, count: R * V), probs = logits, lse = [Double](repeating: 0, count: R)
            tiedHeadForward(&logits, x[0], x[1], R, V, C)
            logSoftmaxRows(&lse, &probs, logits, R, V)
            return dot(logits, w) + dot(lse, wl)
        }
        let inputs = [random(R * C), random(V * C)]
        var logits = [Double](repeating: 0, count: R * V), probs = logits, lse = [Double](repeating: 0, count: R)
        tiedHeadForward(&logits, inputs[0], inputs[1], R, V, C)
        logSoftmaxRows(&lse, &probs, logits, R, V)
        var dlogits = w
        for r in 0..<R { for v in 0..<V { dlogits[r * V + v] += wl[r] * probs[r * V + v] } }
        var dh = [Double](repeating: 0, count: R * C), dwte = [Double](repeating: 0, count: V * C)
        tiedHeadBackward(&dh, &dwte, dlogits, inputs[0], inputs[1], R, V, C)
        checkGradients("head+logsumexp", inputs: inputs, analytic: [dh, dwte], loss: loss)
    }

    /// The whole model's backward (every layer chained, residual paths, tied head used twice)
    /// against finite differences of every parameter, in float64.
    func testWholeModelBackward() throws {
        let config = try GPT2TrainingConfig(vocabSize: 11, nPositions: 8, nEmbd: 8, nLayer: 2, nHead: 2,
                                            bosTokenID: 0, eosTokenID: 1)
        let model = GPT2TrainingModel<Double>(config: config)
        initializeGPT2Parameters(model.params, layout: model.layout, nLayer: 2, seed: 3)
        // Larger weights than GPT-2's 0.02 so every path carries a visible gradient.
        for i in 0..<model.params.count { model.params[i] = model.params[i] * 10 + 0.05 * rng.nextGaussian() }
        let tokens = [0, 5, 3, 9, 1, 5], first = 2
        let rows = tokens.count - first
        let w = random(rows * config.vocabSize)
        func loss() -> Double {
            model.forward(tokens: tokens, firstLogitRow: first)
            return dot(model.lastLogits(), w)
        }
        _ = loss()
        model.grads.zero()
        model.backward(dlogits: w)
        let analytic = model.grads.array
        let h = 1e-6
        var numeric = [Double](repeating: 0, count: model.params.count)
        for i in 0..<model.params.count {
            let saved = model.params[i]
            model.params[i] = saved + h
            let lp = loss()
            model.params[i] = saved - h
            let lm = loss()
            model.params[i] = saved
            numeric[i] = (lp - lm) / (2 * h)
        }
        for e in model.layout.entries {
            let a = Array(analytic[e.offset..<(e.offset + e.count)]), n = Array(numeric[e.offset..<(e.offset + e.count)])
            assertClose(a, n, atol: 1e-6, rtol: 1e-5, e.name)
        }
        // Unused positions of wpe (beyond the sequence) get exactly zero gradient.
        let wpe = model.layout.entry(named: "transformer.wpe.weight")!
        XCTAssertTrue(analytic[(wpe.offset + tokens.count * 8)..<(wpe.offset + wpe.count)].allSatisfy { $0 == 0 })
    }
}
