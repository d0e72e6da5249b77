import Foundation
import SoftQBase
import SoftQKernels
import SoftQModels
import SoftQScoring
import TestSupport
import XCTest

/// The benchmark scores through the fast paths (eight-lane elementwise kernels, chunks of pairs,
/// two threads); these tests pin that it writes exactly the bytes of the plain path.
final class BenchPathTests: XCTestCase {
    func lines(_ scored: [ScoredPair]) -> [String] {
        scored.map { ScoreRunWriter.pairJSON($0, score: .sum).serialized() }
    }

    /// `Bench.run` (chunks of 16, two threads, repeated passes) against `PairScorer` one pair at a
    /// time on one thread: byte-identical pairs.jsonl lines, for both architectures.
    func testBenchWritesTheBytesOfThePlainPath() throws {
        for name in ["gpt2_tiny", "llama_gqa_tied"] {
            let policy = try loadPolicy(name)
            let prepared = try prepare(ScoringFixture.shared.pairs, policy, appendEOS: true)
            let plain = try PairScorer(model: policy.model, options: ScoringOptions(threads: 1, chunkSize: 1)).scorePairs(prepared)
            let report = try Bench.run(policy: policy, pairs: prepared, scoring: ScoringOptions(threads: 2, chunkSize: 16),
                                       options: BenchOptions(threads: 2, chunkSize: 16, repeats: 2, peakSize: 64))
            XCTAssertEqual(lines(report.scored), lines(plain), name)
            XCTAssertEqual(report.pairs, prepared.count)
            XCTAssertEqual(report.tokens, prepared.reduce(0) { $0 + $1.prompt.count + $1.chosen.ids.count + $1.rejected.ids.count })
            XCTAssertEqual(report.passSeconds.count, 2)
            XCTAssertGreaterThan(report.blasPeakGFLOPS, 0)
            XCTAssertGreaterThan(report.peakResidentBytes, 0)
            XCTAssertGreaterThan(report.firstPairSeconds, 0)
        }
    }

    /// The FLOP count: body per token at its position plus the output layer per scored row,
    /// checked by hand for GPT-2 (12·D² per layer in products, 4·D·attended in attention).
    func testFlopCountByHand() throws {
        let policy = try loadPolicy("gpt2_tiny")
        let c = policy.model.configuration
        let D = c.hiddenSize, L = c.layerCount, V = c.vocabularySize, I = c.intermediateSize
        let pair = try prepare([PairRecord(line: 1, id: "a", subset: "", content: .ids(prompt: [1, 2], chosen: [3], rejected: [4]))], policy)[0]
        func body(_ attended: Int) -> Double { Double(L * (2 * (4 * D * D + 2 * D * I) + 4 * D * attended)) }
        // prompt positions 0, 1; each response token at position 2; rows scored: 2 per response.
        let expected = body(1) + body(2) + 2 * body(3) + Double(4 * 2 * V * D)
        XCTAssertEqual(Bench.flops(policy.model, [pair]), expected)
    }

    /// Eight-lane kernels: an element's result depends on its value alone (a tail element gives
    /// the bits it gives inside a full vector), and exp8 stays within 2 ulp of e^x.
    func testVectorKernelsArePositionIndependentAndAccurate() {
        var g = SeededGenerator(seed: 11)
        let x = (0..<13).map { _ in Float(g.nextDouble() * 12 - 6) }
        var all = [Float](repeating: 0, count: 13), one = [Float](repeating: 0, count: 1)
        geluTanh(&all, x, count: 13)
        for i in x.indices {
            geluTanh(&one, [x[i]], count: 1)
            XCTAssertEqual(one[0].bitPattern, all[i].bitPattern, "geluTanh element \(i)")
        }
        siluMul(&all, x, x, count: 13)
        for i in x.indices {
            siluMul(&one, [x[i]], [x[i]], count: 1)
            XCTAssertEqual(one[0].bitPattern, all[i].bitPattern, "siluMul element \(i)")
        }
        var worst = 0.0
        for k in 0...20_000 {
            let v = Float(-87 + 175 * Double(k) / 20_000)
            let e = Double(exp8(SIMD8(repeating: v))[0]), ref = Foundation.exp(Double(v))
            worst = max(worst, abs(e - ref) / (ref * Double(Float.ulpOfOne)))
        }
        XCTAssertLessThanOrEqual(worst, 2, "exp8 error in ulps")
        XCTAssertEqual(exp8(SIMD8(repeating: -.infinity))[0], 0)
        XCTAssertEqual(exp8(SIMD8(repeating: 0))[0], 1)
    }
}
