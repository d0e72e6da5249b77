import SoftQRewards
import XCTest

/// Bad input never crashes and never yields a number: each case is a typed `RewardError`.
final class RewardErrorTests: XCTestCase {
    func expectError(_ expected: RewardError, _ body: () throws -> Void, file: StaticString = #filePath, line: UInt = #line) {
        XCTAssertThrowsError(try body(), file: file, line: line) { error in
            XCTAssertEqual(error as? RewardError, expected, file: file, line: line)
            XCTAssertFalse("\(error)".isEmpty)
        }
    }

    func testEmptyAndMismatchedArrays() {
        expectError(.emptyResponse) { _ = try scoreResponse(tokenLogits: [Float](), logsumexp: [Float(1)], endsWithEOS: false) }
        expectError(.lengthMismatch(what: "logsumexp (m + 1 positions p−1 … n−1)", expected: 3, actual: 2)) {
            _ = try scoreResponse(tokenLogits: [Float(1), 2], logsumexp: [Float(1), 2], endsWithEOS: false)
        }
        expectError(.lengthMismatch(what: "referenceLogprobs", expected: 2, actual: 1)) {
            _ = try scoreResponse(tokenLogits: [Float(1), 2], logsumexp: [Float(1), 2, 3], endsWithEOS: false, referenceLogprobs: [0])
        }
        expectError(.emptyResponse) {
            _ = try scoreResponse(logits: [Float](repeating: 0, count: 6), vocabularySize: 3, tokenIDs: [1, 2], promptLength: 2, eosID: nil)
        }
        expectError(.lengthMismatch(what: "logits (n × vocabularySize)", expected: 6, actual: 5)) {
            _ = try scoreResponse(logits: [Float](repeating: 0, count: 5), vocabularySize: 3, tokenIDs: [1, 2], promptLength: 1, eosID: nil)
        }
        expectError(.outOfRange(what: "tokenIDs", index: 1, value: 3, range: "0..<3")) {
            _ = try scoreResponse(logits: [Float](repeating: 0, count: 6), vocabularySize: 3, tokenIDs: [1, 3], promptLength: 1, eosID: nil)
        }
        XCTAssertThrowsError(try scoreResponse(logits: [Float](repeating: 0, count: 6), vocabularySize: 3, tokenIDs: [1, 2], promptLength: 0, eosID: nil))
        expectError(.emptyResponse) { _ = try dpoReward(logprobs: [], referenceLogprobs: [], beta: 1) }
    }

    func testNonFiniteInputs() {
        expectError(.nonFinite(what: "tokenLogits", index: 1, value: .infinity)) {
            _ = try scoreResponse(tokenLogits: [Float(1), .infinity], logsumexp: [Float(1), 2, 3], endsWithEOS: false)
        }
        XCTAssertThrowsError(try scoreResponse(tokenLogits: [Float(1)], logsumexp: [Float(1), .nan], endsWithEOS: false)) { error in
            guard case .nonFinite(let what, let index, let value)? = error as? RewardError else { return XCTFail("\(error)") }
            XCTAssertEqual(what, "logsumexp"); XCTAssertEqual(index, 1); XCTAssertTrue(value.isNaN)
        }
        XCTAssertThrowsError(try scoreResponse(logits: [0, 1, .nan, 0, 0, 0], vocabularySize: 3, tokenIDs: [1, 2], promptLength: 1, eosID: nil)) { error in
            guard case .nonFinite(let what, let index, _)? = error as? RewardError else { return XCTFail("\(error)") }
            XCTAssertEqual(what, "logits row 0"); XCTAssertEqual(index, 2)
        }
        XCTAssertThrowsError(try scoreResponse(logits: [0, 1, 2, -.infinity, -.infinity, -.infinity], vocabularySize: 3,
                                               tokenIDs: [1, 2], promptLength: 1, eosID: nil)) { error in
            guard case .nonFinite? = error as? RewardError else { return XCTFail("\(error)") }
        }
        // The taken token masked to −inf: its log π would be −inf, reported, not propagated.
        XCTAssertThrowsError(try scoreResponse(logits: [0, 1, -.infinity, 0, 0, 0], vocabularySize: 3,
                                               tokenIDs: [1, 2], promptLength: 1, eosID: nil))
        XCTAssertThrowsError(try iqlearnObjective(tokenLogits: [Float.nan], logsumexp: [Float(0), 0], endsWithEOS: true,
                                                  options: RewardOptions(), tdWeight: 1))
    }

    func testInvalidOptions() {
        let t: [Float] = [1], l: [Float] = [1, 2]
        for (o, name) in [(RewardOptions(alpha: 0), "alpha"), (RewardOptions(alpha: -1), "alpha"), (RewardOptions(alpha: .nan), "alpha"),
                          (RewardOptions(alpha: .infinity), "alpha"), (RewardOptions(gamma: 1.0000001), "gamma"),
                          (RewardOptions(gamma: -0.1), "gamma"), (RewardOptions(gamma: .nan), "gamma"), (RewardOptions(beta: .infinity), "beta")] {
            XCTAssertThrowsError(try scoreResponse(tokenLogits: t, logsumexp: l, endsWithEOS: true, options: o)) { error in
                guard case .invalidOption(let n, _, _)? = error as? RewardError else { return XCTFail("\(error)") }
                XCTAssertEqual(n, name)
            }
        }
        for lam in [-1.0, .nan, .infinity] {
            XCTAssertThrowsError(try iqlearnObjective(tokenLogits: t, logsumexp: l, endsWithEOS: true, options: RewardOptions(), tdWeight: lam)) { error in
                guard case .invalidOption(let n, _, _)? = error as? RewardError else { return XCTFail("\(error)") }
                XCTAssertEqual(n, "tdWeight")
            }
        }
        XCTAssertNoThrow(try RewardOptions(alpha: 1e-3, gamma: 0, terminal: .never, beta: -2).validate())
    }

    /// α below the smallest normal double used to pass and turn margins into ties (5e-324·ℓ is
    /// 0 for |ℓ| < 0.5); now it is refused, and an α that is normal but whose products with the
    /// model's numbers underflow or overflow stops scoring naming the value.
    func testAlphaMustKeepEveryScaledValueNormalAndFinite() throws {
        for alpha in [5e-324, Double.leastNormalMagnitude.nextDown] {
            XCTAssertThrowsError(try RewardOptions(alpha: alpha).validate()) { error in
                guard case .invalidOption("alpha", _, _)? = error as? RewardError else { return XCTFail("\(error)") }
            }
        }
        XCTAssertNoThrow(try RewardOptions(alpha: Double.leastNormalMagnitude).validate())
        // 1e-300 · 1e-10 = 1e-310 is subnormal: the logit's bits are gone.
        XCTAssertThrowsError(try scoreResponse(tokenLogits: [1e-10] as [Double], logsumexp: [2, 3] as [Double], endsWithEOS: true,
                                               options: RewardOptions(alpha: 1e-300))) { error in
            XCTAssertEqual(error as? RewardError, .scaledOutOfRange(what: "tokenLogits", index: 0, value: 1e-10, alpha: 1e-300))
            XCTAssertTrue("\(error)".contains("outside the normal double range"), "\(error)")
        }
        // 1e308 · 3 overflows.
        XCTAssertThrowsError(try scoreResponse(tokenLogits: [1] as [Double], logsumexp: [3, 2] as [Double], endsWithEOS: true,
                                               options: RewardOptions(alpha: 1e308))) { error in
            XCTAssertEqual(error as? RewardError, .scaledOutOfRange(what: "logsumexp", index: 0, value: 3, alpha: 1e308))
        }
        // Each product finite, their difference not: 1e308·1.5 − 1·(−1e308·1.5).
        XCTAssertThrowsError(try scoreResponse(tokenLogits: [1.5] as [Double], logsumexp: [1, -1.5] as [Double], endsWithEOS: false,
                                               options: RewardOptions(alpha: 1e308, terminal: .never)))
        // A zero logit is exact at any α, and a small α that keeps every product normal is fine.
        let s = try scoreResponse(tokenLogits: [0, 1e-10] as [Double], logsumexp: [1, 2, 3] as [Double], endsWithEOS: true,
                                  options: RewardOptions(alpha: 1e-290))
        XCTAssertEqual(s.q, [0, 1e-300])
        XCTAssertTrue(s.aggregates.sum < 0 && s.aggregates.sum.isNormal)
        XCTAssertEqual(TerminalMode.allCases.map(\.rawValue), ["eos", "always", "never"])
    }
}
