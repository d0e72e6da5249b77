import SoftQBase
import SoftQRewards
import TestSupport
import XCTest
@testable import SoftQAnalysis

/// Conventions sensitivity and the shaping-invariance identities on random tiny policies.
final class SensitivityTests: XCTestCase {
    let vocab = 7, eos = 6

    /// A response scored from full random logits rows: (raw form, prompt ids).
    func randomResponse(prompt: [Int], length m: Int, eosLast: Bool, rng: inout SeededGenerator) throws -> (RawResponse, [Float]) {
        var ids = (0..<m).map { _ in rng.nextInt(below: vocab - 1) }
        if eosLast { ids[m - 1] = eos }
        let all = prompt + ids
        let logits = (0..<(all.count * vocab)).map { _ in Float(rng.nextGaussian() * 2) }
        let (t, l) = try gatherResponseInputs(logits: logits, vocabularySize: vocab, tokenIDs: all, promptLength: prompt.count)
        return (RawResponse(tokenLogits: t, logsumexp: l, endsWithEOS: eosLast, tokenIDs: ids), logits)
    }

    func randomPairs(_ n: Int, seed: UInt64) throws -> [RawPair] {
        var rng = SeededGenerator(seed: seed)
        return try (0..<n).map { _ in
            let prompt = (0..<3).map { _ in rng.nextInt(below: vocab - 1) }
            let c = try randomResponse(prompt: prompt, length: 2 + rng.nextInt(below: 5), eosLast: true, rng: &rng).0
            let r = try randomResponse(prompt: prompt, length: 2 + rng.nextInt(below: 5), eosLast: true, rng: &rng).0
            return RawPair(promptIDs: prompt, chosen: c, rejected: r)
        }
    }

    func testRawResponseRescoresExactlyAsTheFullLogits() throws {
        var rng = SeededGenerator(seed: 11)
        let prompt = [1, 2]
        let (raw, logits) = try randomResponse(prompt: prompt, length: 5, eosLast: true, rng: &rng)
        let never = try raw.scores(RewardOptions(alpha: 1, gamma: 1, terminal: .never))
        let recovered = try RawResponse(scoresWithAlphaOneNeverTerminal: never, endsWithEOS: true, tokenIDs: raw.tokenIDs)
        XCTAssertEqual(recovered, raw)
        for options in [RewardOptions(alpha: 0.5, gamma: 0.9, terminal: .eos), RewardOptions(alpha: 2, gamma: 1, terminal: .always)] {
            let direct = try scoreResponse(logits: logits, vocabularySize: vocab, tokenIDs: prompt + raw.tokenIDs,
                                           promptLength: prompt.count, eosID: eos, options: options)
            XCTAssertEqual(try recovered.scores(options), direct)   // bit for bit
        }
        let terminal = try raw.scores(RewardOptions())
        XCTAssertThrowsError(try RawResponse(scoresWithAlphaOneNeverTerminal: terminal, endsWithEOS: true, tokenIDs: raw.tokenIDs))
    }

    func testConventionGridListsLogprobAggregatesOnce() {
        let base = ConventionVariant(gamma: 1, terminal: .eos, aggregate: .sum)
        let grid = conventionGrid(base: base, gammas: [1, 0.9])
        // sum, mean, discounted × 2 γ × 3 modes = 18 (base among them), + 3 log-prob aggregates.
        XCTAssertEqual(grid.count, 21)
        XCTAssertEqual(grid[0], base)
        XCTAssertEqual(Set(grid.map(\.name)).count, 21)
        XCTAssertEqual(grid.filter { $0.gamma == nil }.map(\.name), ["logprob_sum", "logprob_mean", "logprob_norm"])
        XCTAssertEqual(grid[1].name, "sum γ=1.0 terminal=always")
    }

    func testSensitivityRowsAgreeWithDirectMargins() throws {
        let pairs = try randomPairs(30, seed: 5)
        let base = ConventionVariant(gamma: 1, terminal: .eos, aggregate: .sum)
        let grid = conventionGrid(base: base, gammas: [1, 0.5])
        let rows = try conventionSensitivity(pairs, variants: grid, seed: 1, resamples: 100)
        XCTAssertEqual(rows[0].agreementWithBase, 1)
        XCTAssertEqual(rows[0].marginSpearmanWithBase, 1, accuracy: 1e-12)
        // γ = 1 with EOS-terminated responses: modes eos and always are the same convention.
        let always = try XCTUnwrap(rows.first { $0.variant == ConventionVariant(gamma: 1, terminal: .always, aggregate: .sum) })
        XCTAssertEqual(always.agreementWithBase, 1)
        XCTAssertEqual(always.meanMargin, rows[0].meanMargin, accuracy: 1e-12)
        for row in rows {
            let m = try margins(pairs, variant: row.variant, alpha: 1)
            XCTAssertEqual(row.accuracy, Double(m.filter { $0 > 0 }.count) / 30)
        }
        // α changes no decision (identity 3).
        let scaled = try conventionSensitivity(pairs, variants: grid, alpha: 3, seed: 1, resamples: 100)
        XCTAssertEqual(scaled.map(\.accuracy), rows.map(\.accuracy))
    }

    func testShapingInvarianceIdentitiesHoldNumerically() throws {
        let pairs = try randomPairs(40, seed: 9)
        let report = try shapingInvariance(pairs, alpha: 1, gammas: [0.9], scale: 3, seed: 4)
        XCTAssertLessThan(report.maxLogprobChange, 1e-12)
        XCTAssertLessThan(report.maxShapingResidual, 1e-12)
        XCTAssertLessThan(report.maxIdentityResidual, 1e-12)
        XCTAssertGreaterThan(report.meanRewardChange, 0.5)        // per-token rewards really move
        let terminal = report.blocks[0], never = report.blocks[1], discounted = report.blocks[2]
        XCTAssertEqual(terminal.gamma, 1)
        XCTAssertLessThan(terminal.maxMarginChange, 1e-12)
        XCTAssertEqual(terminal.decisionsChanged, 0)
        // Without a terminal state, or with γ < 1, shaping does move margins.
        XCTAssertGreaterThan(never.maxMarginChange, 0.5)
        XCTAssertGreaterThan(discounted.maxMarginChange, 0.5)
        XCTAssertEqual(report.tokens, pairs.reduce(0) { $0 + $1.chosen.tokenIDs.count + $1.rejected.tokenIDs.count })
        // Offsets are a function of the state: the shared prompt state gets one offset.
        let a = stateOffsets(promptIDs: [1, 2], responseIDs: [3, 4], scale: 1, seed: 0)
        let b = stateOffsets(promptIDs: [1, 2], responseIDs: [3, 5, 6], scale: 1, seed: 0)
        XCTAssertEqual(a[0], b[0])
        XCTAssertEqual(a[1], b[1])
        XCTAssertNotEqual(a[2], b[2])
    }
}
