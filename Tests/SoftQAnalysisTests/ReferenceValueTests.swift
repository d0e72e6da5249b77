import TestSupport
import XCTest
@testable import SoftQAnalysis

/// The analyses' point values against numpy/scipy (AnalysisReference.swift, written by
/// Scripts/reference/make_analysis_fixtures.py). Tolerance 1e-12: the same formulas in double
/// precision, summed in possibly different orders.
final class ReferenceValueTests: XCTestCase {
    let tol = 1e-12

    func generations() -> [GradedGeneration] {
        AnalysisReference.generationGroups.indices.map { i in
            GradedGeneration(id: "g\(i)", group: AnalysisReference.generationGroups[i], reward: AnalysisReference.generationRewards[i],
                             metric: AnalysisReference.generationMetrics[i], logprobSum: AnalysisReference.generationLogprobSum[i],
                             logprobMean: AnalysisReference.generationLogprobMean[i], tokens: 1)
        }
    }

    func testRewardMetricCorrelationsMatchScipy() throws {
        let rows = try rewardMetricCorrelations(generations(), seed: 0, resamples: 10)
        assertClose(rows.filter { $0.scope == "pooled" }.map(\.value), AnalysisReference.pooled, atol: tol, "pooled")
        let within = rows.filter { $0.scope == "within_prompt" }
        assertClose(within.map(\.value), AnalysisReference.withinPrompt, atol: tol, "within prompt")
        XCTAssertEqual(within.map(\.undefined), AnalysisReference.withinPromptUndefined)
    }

    func testBestOfNMatchesNumpy() throws {
        let rows = try bestOfN(generations(), sizes: [AnalysisReference.bestOfNSize], seed: 0, resamples: 10)
        XCTAssertEqual(rows.map(\.selector), bestOfNSelectors)
        assertClose(rows.map(\.metricMean), AnalysisReference.bestOfN, atol: tol, "best of N")
        XCTAssertEqual(rows[0].prompts, 3)
    }

    func testLengthBiasMatchesScipy() throws {
        let r = try lengthBias(aggregate: "sum", chosen: AnalysisReference.lengthChosen, rejected: AnalysisReference.lengthRejected,
                               chosenLengths: AnalysisReference.lengthChosenTokens, rejectedLengths: AnalysisReference.lengthRejectedTokens,
                               matchTolerance: 0.1, seed: 0, resamples: 10)
        XCTAssertEqual(r.rewardLengthSpearman, AnalysisReference.lengthSpearman, accuracy: tol)
        XCTAssertEqual(r.marginLengthDiffSpearman, AnalysisReference.lengthMarginDiffSpearman, accuracy: tol)
        XCTAssertEqual(r.buckets.map { [$0.n, $0.correct, $0.ties] }, AnalysisReference.lengthBuckets)
        XCTAssertEqual([r.matched.n, r.matched.correct], AnalysisReference.lengthMatched)
        XCTAssertEqual(r.balancedAccuracy, AnalysisReference.lengthBalanced, accuracy: tol)
    }

    func testStabilityMatchesScipy() throws {
        let a = CheckpointScores(name: "a", margins: AnalysisReference.stabilityMarginsA, tokenRewards: AnalysisReference.stabilityTokensA)
        let b = CheckpointScores(name: "b", margins: AnalysisReference.stabilityMarginsB, tokenRewards: AnalysisReference.stabilityTokensB)
        let row = try XCTUnwrap(try stability([a, b], seed: 0, resamples: 10).first)
        assertClose([row.marginSpearman.value, row.marginKendall.value, row.tokenSpearman.value, row.tokenKendall.value,
                     row.decisionAgreement, row.bothCorrect, row.kappa], AnalysisReference.stability, atol: tol, "stability")
    }

    func testStyleMatrixMatchesRMBenchFormula() throws {
        let m = try styleAccuracy(chosen: AnalysisReference.styleChosen, rejected: AnalysisReference.styleRejected)
        assertClose(m.accuracy.flatMap { $0 }, AnalysisReference.styleMatrix.flatMap { $0 }, atol: tol, "matrix")
        assertClose([m.easy, m.normal, m.hard], AnalysisReference.styleSummary, atol: tol, "easy/normal/hard")
    }
}
