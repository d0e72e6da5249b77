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
        XCTAssertEqual(TerminalMode.allCases.map(\.rawValue), ["eos", "always", "never"])
    }
}
