import SoftQBase
import SoftQRewards
import TestSupport
import XCTest

/// The identities of docs/spec/conventions.md on seeded random logits (Double paths, so the
/// tolerances only cover summation rounding: 1e-12 absolute on values of order 10).
final class RewardPropertyTests: XCTestCase {
    /// Random full logits rows [n × V], ids, prompt length; the last id is EOS (0) when asked.
    struct Sample { var logits: [Float]; var V: Int; var ids: [Int]; var p: Int }

    func sample(_ g: inout SeededGenerator, n: Int, p: Int, V: Int = 6, eos: Bool) -> Sample {
        let logits = (0..<(n * V)).map { _ in Float(2 * g.nextGaussian()) }
        var ids = (0..<n).map { _ in 1 + g.nextInt(below: V - 1) }
        if eos { ids[n - 1] = 0 }
        return Sample(logits: logits, V: V, ids: ids, p: p)
    }

    func inputs(_ s: Sample) throws -> ([Double], [Double]) {
        try gatherResponseInputs(logits: s.logits, vocabularySize: s.V, tokenIDs: s.ids, promptLength: s.p)
    }

    /// Identity 1: Σ r = α Σ log π + V(s_{p−1}) + (1−γ) Σ_{j=p}^{n−2} V(s_j) − γ V′(s_{n−1}).
    func testSumIdentity() throws {
        var g = SeededGenerator(seed: 11)
        var cases = 0
        for gamma in [1.0, 0.9, 0.5, 0.0] {
            for alpha in [1.0, 0.3, 2.5] {
                for mode in TerminalMode.allCases {
                    for eos in [true, false] {
                        let n = 3 + g.nextInt(below: 6), p = 1 + g.nextInt(below: n - 1)
                        let (t, l) = try inputs(sample(&g, n: n, p: p, eos: eos))
                        let o = RewardOptions(alpha: alpha, gamma: gamma, terminal: mode)
                        let s = try scoreResponse(tokenLogits: t, logsumexp: l, endsWithEOS: eos, options: o)
                        let m = t.count
                        XCTAssertEqual(s.terminal, mode == .always || (mode == .eos && eos))
                        var inner = 0.0
                        for k in 1..<m { inner += alpha * l[k] }           // V(s_p) … V(s_{n−2})
                        let lastV = s.terminal ? 0 : alpha * l[m]
                        let rhs = alpha * s.aggregates.logprobSum + s.promptValue + (1 - gamma) * inner - gamma * lastV
                        assertClose([s.aggregates.sum], [rhs], atol: 1e-12, rtol: 1e-12, "γ=\(gamma) α=\(alpha) \(mode) eos=\(eos)")
                        if gamma == 1 && s.terminal {
                            assertClose([s.aggregates.sum], [alpha * s.aggregates.logprobSum + s.promptValue], atol: 1e-12, rtol: 1e-12)
                        }
                        cases += 1
                    }
                }
            }
        }
        XCTAssertEqual(cases, 72)
    }

    /// γ = 1 telescoping: per token r_j = α log π_j + V(s_{j−1}) − V′(s_j), so the values cancel.
    func testTelescopingAtGammaOne() throws {
        var g = SeededGenerator(seed: 12)
        for eos in [true, false] {
            let (t, l) = try inputs(sample(&g, n: 9, p: 3, eos: eos))
            let s = try scoreResponse(tokenLogits: t, logsumexp: l, endsWithEOS: eos, options: RewardOptions(alpha: 0.7))
            for k in 0..<t.count {
                assertClose([s.reward[k]], [0.7 * s.logprob[k] + s.valueBefore[k] - s.valueAfter[k]], atol: 1e-12)
                if k > 0 { XCTAssertEqual(s.valueAfter[k - 1], s.valueBefore[k]) }
            }
            XCTAssertEqual(s.valueAfter.last == 0, eos)
            let telescoped = 0.7 * s.aggregates.logprobSum + s.promptValue - s.valueAfter[t.count - 1]
            assertClose([s.aggregates.sum], [telescoped], atol: 1e-12)
        }
    }

    /// Identity 2: an offset c_i on every logit of position i leaves log π alone and moves
    /// r_j by α(c_{j−1} − γ c_j) (c = 0 at a terminal state); under γ = 1 with terminal
    /// responses sharing a prompt, the ranking is unchanged.
    func testShapingInvariance() throws {
        var g = SeededGenerator(seed: 13)
        for (gamma, eos) in [(1.0, true), (1.0, false), (0.8, true), (0.8, false)] {
            let s0 = sample(&g, n: 8, p: 3, eos: eos)
            let c = (0..<8).map { _ in 3 * g.nextGaussian() }
            var shifted = s0
            for i in 0..<8 { for v in 0..<s0.V { shifted.logits[i * s0.V + v] = Float(Double(s0.logits[i * s0.V + v]) + c[i]) } }
            // Exact shapes: shift in Double through the Double entry (Float rounding would blur it).
            let (t, l) = try inputs(s0)
            let m = t.count, p = s0.p
            let tS = (0..<m).map { t[$0] + c[p - 1 + $0] }, lS = (0...m).map { l[$0] + c[p - 1 + $0] }
            let o = RewardOptions(alpha: 1.7, gamma: gamma)
            let a = try scoreResponse(tokenLogits: t, logsumexp: l, endsWithEOS: eos, options: o)
            let b = try scoreResponse(tokenLogits: tS, logsumexp: lS, endsWithEOS: eos, options: o)
            assertClose(b.logprob, a.logprob, atol: 1e-12, "log π unchanged")
            for k in 0..<m {
                let cAfter = (k == m - 1 && a.terminal) ? 0 : c[p + k]
                assertClose([b.reward[k] - a.reward[k]], [1.7 * (c[p - 1 + k] - gamma * cAfter)], atol: 1e-11, "r shift k=\(k)")
            }
            // The Float rows path sees the same shift up to float32 rounding of the shifted logits:
            // each is off by ≤ u·|z + c|, the taken logit and the log-sum-exp (a weighted mean of
            // the row) each by ≤ u·max|z + c|, so log π by ≤ 2u·max|z + c| (+ float64 rounding).
            let bRows = try scoreResponse(logits: shifted.logits, vocabularySize: s0.V, tokenIDs: s0.ids, promptLength: p, eosID: 0, options: o)
            let shiftedMax = shifted.logits.map { abs(Double($0)) }.max() ?? 0
            assertClose(bRows.logprob, a.logprob, atol: RoundingBound.gamma(3) * shiftedMax, "log π unchanged (float rows)")
        }
        // Ranking: responses sharing a prompt (same rows up to p−1) all shift by α c_{p−1}.
        for trial in 0..<5 {
            let prompt = sample(&g, n: 3, p: 2, eos: false)
            var sums: [Double] = [], shiftedSums: [Double] = []
            let cPrompt = 5 * g.nextGaussian()
            for _ in 0..<4 {
                var r = sample(&g, n: 7, p: 3, eos: true)
                r.logits.replaceSubrange(0..<(3 * r.V), with: prompt.logits)
                r.ids.replaceSubrange(0..<3, with: prompt.ids)
                let (t, l) = try inputs(r)
                let offsets = (0..<7).map { $0 == 2 ? cPrompt : 4 * g.nextGaussian() }
                let tS = (0..<t.count).map { t[$0] + offsets[2 + $0] }, lS = (0..<l.count).map { l[$0] + offsets[2 + $0] }
                sums.append(try scoreResponse(tokenLogits: t, logsumexp: l, endsWithEOS: true).aggregates.sum)
                shiftedSums.append(try scoreResponse(tokenLogits: tS, logsumexp: lS, endsWithEOS: true).aggregates.sum)
            }
            XCTAssertEqual(sums.indices.sorted { sums[$0] < sums[$1] }, shiftedSums.indices.sorted { shiftedSums[$0] < shiftedSums[$1] }, "trial \(trial)")
            assertClose(zip(shiftedSums, sums).map { $0 - $1 }, [Double](repeating: cPrompt, count: 4), atol: 1e-11)
        }
    }

    /// Identity 3: α scales Q, V, r (and every reward aggregate) and leaves log π alone.
    func testAlphaScaling() throws {
        var g = SeededGenerator(seed: 14)
        for eos in [true, false] {
            let (t, l) = try inputs(sample(&g, n: 7, p: 2, eos: eos))
            let one = try scoreResponse(tokenLogits: t, logsumexp: l, endsWithEOS: eos, options: RewardOptions(gamma: 0.9))
            for alpha in [0.25, 3.0] {
                let s = try scoreResponse(tokenLogits: t, logsumexp: l, endsWithEOS: eos, options: RewardOptions(alpha: alpha, gamma: 0.9))
                for (x, y) in [(s.q, one.q), (s.valueBefore, one.valueBefore), (s.valueAfter, one.valueAfter), (s.reward, one.reward)] {
                    assertClose(x, y.map { alpha * $0 }, atol: 1e-12, rtol: 1e-14)
                }
                assertClose(s.logprob, one.logprob, atol: 0)
                let a = s.aggregates, b = one.aggregates
                assertClose([a.sum, a.mean, a.discounted, s.promptValue], [b.sum, b.mean, b.discounted, one.promptValue].map { alpha * $0 }, atol: 1e-12, rtol: 1e-14)
            }
        }
    }

    /// Gradients of the summed objective against central differences in Double (the loss is
    /// quadratic, so central differences are exact up to rounding: 1e-7 is a tight bound).
    func testObjectiveGradientFiniteDifferences() throws {
        var g = SeededGenerator(seed: 15)
        for (alpha, gamma, mode, eos, lam) in [(1.0, 1.0, TerminalMode.eos, true, 0.5), (0.6, 0.9, .eos, false, 2.0),
                                               (1.5, 0.95, .always, false, 1.0), (1.0, 0.7, .never, true, 0.0)] {
            let (t, l) = try inputs(sample(&g, n: 7, p: 2, eos: eos))
            let o = RewardOptions(alpha: alpha, gamma: gamma, terminal: mode)
            func loss(_ t: [Double], _ l: [Double]) throws -> Double {
                let x = try iqlearnObjective(tokenLogits: t, logsumexp: l, endsWithEOS: eos, options: o, tdWeight: lam)
                return x.mleSum + lam * x.tdSum
            }
            let terms = try iqlearnObjective(tokenLogits: t, logsumexp: l, endsWithEOS: eos, options: o, tdWeight: lam)
            let h = 1e-4
            for k in 0..<t.count {
                var up = t, down = t
                up[k] += h; down[k] -= h
                assertClose([(try loss(up, l) - loss(down, l)) / (2 * h)], [terms.dTokenLogits[k]], atol: 1e-7, "∂t[\(k)]")
            }
            for k in 0..<l.count {
                var up = l, down = l
                up[k] += h; down[k] -= h
                assertClose([(try loss(t, up) - loss(t, down)) / (2 * h)], [terms.dLogsumexp[k]], atol: 1e-7, "∂l[\(k)]")
            }
            // MLE part is −Σ log π exactly; TD part is Σ (r/α)² of the scored rewards.
            let s = try scoreResponse(tokenLogits: t, logsumexp: l, endsWithEOS: eos, options: o)
            assertClose([terms.mleSum, terms.tdSum], [-s.aggregates.logprobSum, s.reward.map { ($0 / alpha) * ($0 / alpha) }.reduce(0, +)], atol: 1e-12)
        }
    }

    /// The rows entry computes logsumexp max-shifted: huge logits and masked (−inf) entries work.
    func testLogSumExpIsStableAndMaskSafe() throws {
        let V = 4
        let logits: [Float] = [1000, 999, -.infinity, 998,   -.infinity, 0, 0, -.infinity,   -80, -81, -.infinity, -82]
        let s = try scoreResponse(logits: logits, vocabularySize: V, tokenIDs: [0, 1, 2], promptLength: 1, eosID: 2)
        let lse0 = 1000 + log(1 + exp(-1.0) + exp(-2.0)), lse1 = log(2.0), lse2 = -80 + log(1 + exp(-1.0) + exp(-2.0))
        assertClose(s.valueBefore, [lse0, lse1], atol: 1e-12)
        assertClose(s.logprob, [999 - lse0, 0 - lse1], atol: 1e-12)
        XCTAssertTrue(s.terminal)
        XCTAssertEqual(s.valueAfter, [lse1, 0])
        let notTerminal = try scoreResponse(logits: logits, vocabularySize: V, tokenIDs: [0, 1, 2], promptLength: 1, eosID: 3)
        assertClose(notTerminal.valueAfter, [lse1, lse2], atol: 1e-12)
    }

    func testSummaryJSONOrder() throws {
        let s = try scoreResponse(tokenLogits: [Float(1), 2], logsumexp: [Float(3), 4, 5], endsWithEOS: false,
                                  referenceLogprobs: [-1, -1])
        let keys = s.summaryJSON.objectValue?.map(\.0)
        XCTAssertEqual(keys, ["tokens", "sum", "mean", "discounted", "logprob_sum", "logprob_mean", "logprob_norm",
                              "prompt_value", "terminal", "dpo"])
        // r = [1 − 4, 2 − 5], log π = [−2, −2], dpo = Σ(−2 − (−1)) = −2.
        XCTAssertEqual(s.reward, [-3, -3])
        XCTAssertEqual(s.aggregates.dpo, -2)
        XCTAssertEqual(s.aggregates.logprobNorm, -(8.0).squareRoot())
        XCTAssertEqual(Aggregate.allCases.map(\.rawValue), ["sum", "mean", "discounted", "logprob_sum", "logprob_mean", "logprob_norm", "dpo"])
    }
}
