import SoftQBase
import SoftQEvaluation
import TestSupport
import XCTest

final class EvaluationTests: XCTestCase {
    /// The documented bootstrap rule, re-implemented: B resamples of n `nextInt(below: n)` draws
    /// from one generator, statistic per resample, numpy-linear percentiles of the sorted values.
    func testBootstrapFollowsTheDocumentedRule() throws {
        var g0 = SeededGenerator(seed: 3)
        let pairs = (0..<37).map { _ in PairOutcome(margin: g0.nextGaussian() + 0.4) }
        let hits = pairs.map { $0.margin > 0 ? 1.0 : 0.0 }
        let e = try PairEvaluation(pairs: pairs, bootstrap: BootstrapOptions(samples: 200, seed: 99))
        var g = SeededGenerator(seed: 99)
        var stats: [Double] = []
        for _ in 0..<200 {
            var s = 0.0
            for _ in 0..<37 { s += hits[g.nextInt(below: 37)] }
            stats.append(s / 37)
        }
        stats.sort()
        XCTAssertEqual(e.accuracyInterval.low, linearQuantile(sorted: stats, (1 - 0.95) / 2))
        XCTAssertEqual(e.accuracyInterval.high, linearQuantile(sorted: stats, 1 - (1 - 0.95) / 2))
        XCTAssertEqual(e.accuracyInterval.validSamples, 200)
        XCTAssertLessThanOrEqual(e.accuracyInterval.low, e.accuracy)
        XCTAssertGreaterThanOrEqual(e.accuracyInterval.high, e.accuracy)
        XCTAssertLessThan(e.accuracyInterval.low, e.accuracyInterval.high)
        // Same seed, same bits; another seed, another interval.
        let again = try PairEvaluation(pairs: pairs, bootstrap: BootstrapOptions(samples: 200, seed: 99))
        XCTAssertEqual(again.json.serialized(), e.json.serialized())
        let other = try PairEvaluation(pairs: pairs, bootstrap: BootstrapOptions(samples: 200, seed: 100))
        XCTAssertNotEqual(other.accuracyInterval, e.accuracyInterval)
    }

    func testCorrelationBootstrapDropsUndefinedResamples() throws {
        // Two distinct x values: some resamples are constant in x (coefficient undefined).
        let x = [0.0, 0.0, 0.0, 1.0], y = [1.0, 2.0, 3.0, 4.0]
        let r = try correlation(.pearson, x, y, bootstrap: BootstrapOptions(samples: 300, seed: 5))
        XCTAssertLessThan(r.interval.validSamples, 300)
        XCTAssertGreaterThan(r.interval.validSamples, 0)
        XCTAssertFalse(r.interval.low.isNaN)
        let constant = try correlation(.kendall, [1, 1, 1], [1, 2, 3], bootstrap: BootstrapOptions(samples: 20, seed: 5))
        XCTAssertTrue(constant.value.isNaN)
        XCTAssertEqual(constant.interval.validSamples, 0)
        XCTAssertTrue(constant.interval.low.isNaN && constant.interval.high.isNaN)
        XCTAssertEqual(constant.json["value"], .null)
        let all = try correlations([1, 2, 3, 4, 5], [2, 1, 4, 3, 5], bootstrap: BootstrapOptions(samples: 100, seed: 1))
        XCTAssertEqual(all.map(\.kind), [.pearson, .spearman, .kendall])
        XCTAssertEqual(all[2].value, 0.6)   // 8 concordant, 2 discordant of 10
    }

    /// Knight's O(n log n) τ-b against the O(n²) definition on data with many ties.
    func testKendallMatchesQuadraticDefinition() throws {
        var g = SeededGenerator(seed: 8)
        for n in [2, 3, 17, 64, 257] {
            let x = (0..<n).map { _ in Double(g.nextInt(below: 7)) }
            let y = (0..<n).map { _ in Double(g.nextInt(below: 5)) + (g.nextDouble() < 0.5 ? 0 : 0.5) }
            var c = 0, d = 0, tx = 0, ty = 0
            for i in 0..<n { for j in (i + 1)..<n where true {
                let a = (x[i] - x[j]).sign, b = (y[i] - y[j]).sign
                if x[i] == x[j] { tx += 1 }
                if y[i] == y[j] { ty += 1 }
                if x[i] != x[j] && y[i] != y[j] { if a == b { c += 1 } else { d += 1 } }
            } }
            let n0 = n * (n - 1) / 2
            let expected = (tx == n0 || ty == n0) ? Double.nan : Double(c - d) / (Double(n0 - tx) * Double(n0 - ty)).squareRoot()
            let got = try kendallTauB(x, y)
            if expected.isNaN { XCTAssertTrue(got.isNaN) } else { assertClose([got], [expected], atol: 1e-14, "n=\(n)") }
        }
    }

    func testSubsetsAndRewardBenchSections() throws {
        // Per-subset accuracies chosen by hand; weights are RewardBench's EXAMPLE_COUNTS.
        func pairs(_ subset: String, correct: Int, wrong: Int, ties: Int = 0) -> [PairOutcome] {
            Array(repeating: PairOutcome(margin: 1, subset: subset), count: correct)
                + Array(repeating: PairOutcome(margin: -1, subset: subset), count: wrong)
                + Array(repeating: PairOutcome(margin: 0, subset: subset), count: ties)
        }
        var all: [PairOutcome] = []
        for (name, subsets) in RewardBench.sections {
            for (k, s) in subsets.enumerated() {
                all += name == "Reasoning" && s == "math-prm" ? pairs(s, correct: 1, wrong: 3) : pairs(s, correct: 1 + k, wrong: 1, ties: k % 2)
            }
        }
        all += pairs("my-own-subset", correct: 2, wrong: 0)
        let e = try PairEvaluation(pairs: all, bootstrap: BootstrapOptions(samples: 10, seed: 0))
        XCTAssertEqual(e.subsets.map(\.subset), e.subsets.map(\.subset).sorted())
        XCTAssertEqual(e.subsets.count, 24)
        let rb = try XCTUnwrap(e.rewardBench)
        XCTAssertTrue(rb.complete)
        XCTAssertEqual(rb.ignoredSubsets, ["my-own-subset"])
        XCTAssertEqual(rb.sections.map(\.name), ["Chat", "Chat Hard", "Safety", "Reasoning"])
        // Reasoning: math-prm accuracy 1/4 with weight 984; hep-* (k = 1…6) accuracy (1+k)/(2+k+k%2), weight 164 each.
        var numer = 0.25 * 984, den = 984.0
        for k in 1...6 { numer += Double(1 + k) / Double(2 + k + k % 2) * 164; den += 164 }
        assertClose([rb.sections[3].score], [numer / den], atol: 1e-15)
        // Chat: weights 100, 95, 95, 28, 40.
        let chatW = [100.0, 95, 95, 28, 40]
        var chatSum = 0.0
        for k in 0..<5 { chatSum += Double(1 + k) / Double(2 + k + k % 2) * chatW[k] }
        let chat: Double = chatSum / chatW.reduce(0, +)
        assertClose([rb.sections[0].score], [chat], atol: 1e-15)
        // Safety: upstream weights 100, 100, 250 (should-refuse), 154 (should-respond), 136.
        let safetyW = [100.0, 100, 250, 154, 136]
        var safetySum = 0.0
        for k in 0..<5 { safetySum += Double(1 + k) / Double(2 + k + k % 2) * safetyW[k] }
        assertClose([rb.sections[2].score], [safetySum / 740], atol: 1e-15)
        assertClose([try XCTUnwrap(rb.overall)], [rb.sections.map(\.score).reduce(0, +) / 4], atol: 1e-15)
        XCTAssertEqual(RewardBench.exampleCounts.count, 23)
        XCTAssertEqual(RewardBench.sections.map { $0.subsets.map { RewardBench.exampleCounts[$0]! }.reduce(0, +) }, [358, 456, 740, 1968])

        // Partial data: sections present are scored, overall needs all four.
        let partial = try PairEvaluation(pairs: pairs("hep-go", correct: 3, wrong: 1) + pairs("donotanswer", correct: 1, wrong: 1),
                                         bootstrap: BootstrapOptions(samples: 10, seed: 0))
        let prb = try XCTUnwrap(partial.rewardBench)
        XCTAssertEqual(prb.sections.map(\.name), ["Safety", "Reasoning"])
        XCTAssertEqual(prb.sections.map(\.score), [0.5, 0.75])
        XCTAssertNil(prb.overall)
        XCTAssertFalse(prb.complete)
        XCTAssertNil(try PairEvaluation(pairs: pairs("other", correct: 1, wrong: 0)).rewardBench)
    }

    func testAccuracyTiesAndJSONOrder() throws {
        let pairs = [PairOutcome(margin: 2, subset: "b"), PairOutcome(margin: 0, subset: "a"), PairOutcome(margin: -0.0, subset: "a"),
                     PairOutcome(margin: -1), PairOutcome(margin: 1e-300, subset: "b")]
        let e = try PairEvaluation(pairs: pairs, bootstrap: BootstrapOptions(samples: 10, seed: 4))
        XCTAssertEqual(e.accuracy, 0.4)
        XCTAssertEqual(e.ties, 2)
        XCTAssertEqual(e.subsets.map(\.subset), ["a", "b"])
        XCTAssertEqual(e.subsets.map(\.accuracy), [0, 1])
        XCTAssertEqual(e.json.objectValue?.map(\.0), ["n_pairs", "accuracy", "accuracy_ci95", "correct", "ties", "margin", "subsets", "calibration"])
        XCTAssertEqual(e.margins.json.objectValue?.map(\.0), ["count", "mean", "std", "min", "q05", "q25", "median", "q75", "q95", "max"])
        XCTAssertEqual(e.json["accuracy_ci95"]?.objectValue?.map(\.0), ["low", "high", "level", "method", "samples", "valid_samples", "seed"])
        // Empty bins render as null, never as NaN.
        XCTAssertFalse(e.json.serialized().contains("nan"))
        XCTAssertEqual(e.calibration.json["bins"]?.arrayValue?[0]["mean_p"], .null)
    }

    func testCalibrationBinRule() throws {
        // Each pair counts in both orders. p = 0.5 (a tie) lands in bin 5 twice; margin 800 gives
        // p → 1 in the closed last bin and p → 0 in bin 0; log 3 gives 0.75 (bin 7) and 0.25 (bin 2).
        let c = try Calibration(margins: [0, 800, -800, log(0.75 / 0.25)])
        XCTAssertEqual(c.bins.map(\.count), [2, 0, 1, 0, 0, 2, 0, 1, 0, 2])
        XCTAssertEqual(c.bins[9].meanP, 1)
        XCTAssertEqual(c.bins[9].accuracy, 0.5, "p = 1 once as chosen (y = 1), once for margin −800 reversed (y = 0)")
        XCTAssertEqual(c.bins[7].accuracy, 1)
        XCTAssertEqual(sigmoid(-800), 0)
        XCTAssertEqual(sigmoid(0), 0.5)
        // Brier is the mean of (1 − p)² over pairs; ECE = Σ_k (n_k/2N)|acc_k − mean_p_k|.
        let ps = [0.5, 1, sigmoid(-800), 0.75]
        let eceExpected = (2 * abs(0.5 - 0) + 0 + 1 * abs(0 - 0.25) + 2 * abs(0.5 - 0.5) + 1 * abs(1 - 0.75) + 2 * abs(0.5 - 1)) / 8
        assertClose([c.ece, c.brier], [eceExpected, ps.map { (1 - $0) * (1 - $0) }.reduce(0, +) / 4], atol: 1e-15)
    }

    func testBadInputIsATypedError() {
        func expect(_ body: @autoclosure () throws -> Any, _ check: (EvaluationError) -> Bool, line: UInt = #line) {
            XCTAssertThrowsError(try body(), line: line) { error in
                guard let e = error as? EvaluationError else { return XCTFail("untyped \(error)", line: line) }
                XCTAssertTrue(check(e), "\(e)", line: line)
            }
        }
        expect(try PairEvaluation(pairs: [])) { if case .empty = $0 { return true }; return false }
        expect(try PairEvaluation(pairs: [PairOutcome(margin: .nan)])) { if case .nonFinite(_, 0, _) = $0 { return true }; return false }
        expect(try MarginStatistics(margins: [1, .infinity])) { if case .nonFinite(_, 1, _) = $0 { return true }; return false }
        expect(try pearson([1], [2])) { if case .tooFew(_, 2, 1) = $0 { return true }; return false }
        expect(try spearman([1, 2], [2])) { if case .lengthMismatch = $0 { return true }; return false }
        expect(try kendallTauB([1, .nan], [2, 3])) { if case .nonFinite = $0 { return true }; return false }
        expect(try PairEvaluation(pairs: [PairOutcome(margin: 1)], bootstrap: BootstrapOptions(samples: 0))) {
            if case .invalidOption = $0 { return true }; return false
        }
        expect(try correlation(.pearson, [1, 2], [1, 2], bootstrap: BootstrapOptions(level: 1))) {
            if case .invalidOption = $0 { return true }; return false
        }
    }
}
