import SoftQBase
import SoftQRewards
import TestSupport
import XCTest

/// Compares the reward math and the IQLearn gradients with float64 numpy and PyTorch autograd
/// (fixtures from Scripts/reference/make_reward_fixtures.py). Inputs are float32 values, exact in
/// Double, so the only differences are summation order: 1e-9 relative is generous.
final class RewardFixtureTests: XCTestCase {
    static let rtol = 1e-9, atol = 1e-12

    func loadCases() throws -> [JSONValue] {
        let doc = try JSONParser.parse(rewardFixtureJSON)
        XCTAssertEqual(doc["format_version"]?.intValue, rewardFixtureFormatVersion)
        XCTAssertEqual(rewardFixtureFormatVersion, 1, "fixture format this test understands")
        let cases = try XCTUnwrap(doc["cases"]?.arrayValue)
        XCTAssertEqual(cases.count, 7)
        return cases
    }

    func options(_ c: JSONValue) throws -> RewardOptions {
        RewardOptions(alpha: try num(c["alpha"]), gamma: try num(c["gamma"]),
                      terminal: try XCTUnwrap(TerminalMode(rawValue: c["terminal_mode"]?.stringValue ?? "")),
                      beta: try num(c["dpo_beta"]))
    }

    func checkScores(_ s: ResponseScores, _ e: JSONValue?, _ name: String) throws {
        let e = try XCTUnwrap(e)
        let tol = (atol: Self.atol, rtol: Self.rtol)
        assertClose(s.logprob, try doubles(e["logprob"]), atol: tol.atol, rtol: tol.rtol, "\(name) logprob")
        assertClose(s.q, try doubles(e["q"]), atol: tol.atol, rtol: tol.rtol, "\(name) q")
        assertClose(s.valueBefore, try doubles(e["value_before"]), atol: tol.atol, rtol: tol.rtol, "\(name) value_before")
        assertClose(s.valueAfter, try doubles(e["value_after"]), atol: tol.atol, rtol: tol.rtol, "\(name) value_after")
        assertClose(s.reward, try doubles(e["reward"]), atol: tol.atol, rtol: tol.rtol, "\(name) reward")
        let a = s.aggregates
        let got = [s.promptValue, a.sum, a.mean, a.discounted, a.logprobSum, a.logprobMean, a.logprobNorm]
        let want = try ["prompt_value", "sum", "mean", "discounted", "logprob_sum", "logprob_mean", "logprob_norm"]
            .map { try num(e[$0]) }
        assertClose(got, want, atol: tol.atol, rtol: tol.rtol, "\(name) aggregates")
        XCTAssertEqual(s.terminal, e["terminal"] == .bool(true), "\(name) terminal")
    }

    func testScoresMatchNumpy() throws {
        for c in try loadCases() {
            let name = c["name"]?.stringValue ?? "?"
            let s = try scoreResponse(tokenLogits: try floats(c["token_logits"]), logsumexp: try floats(c["logsumexp"]),
                                      endsWithEOS: c["ends_with_eos"] == .bool(true), options: try options(c),
                                      referenceLogprobs: try doubles(c["reference_logprobs"]))
            try checkScores(s, c["expected"], name)
            assertClose([try XCTUnwrap(s.aggregates.dpo)], [try num(c["expected_dpo"])], atol: Self.atol, rtol: Self.rtol, "\(name) dpo")
            XCTAssertEqual(s.aggregates.value(.dpo), s.aggregates.dpo)
            XCTAssertEqual(s.aggregates.value(.logprobNorm), s.aggregates.logprobNorm)
        }
    }

    func testScoresFromFullRowsMatchNumpy() throws {
        for c in try loadCases() {
            let name = c["name"]?.stringValue ?? "?"
            let s = try scoreResponse(logits: try floats(c["logits"]), vocabularySize: try int(c["vocabulary_size"]),
                                      tokenIDs: try ints(c["token_ids"]), promptLength: try int(c["prompt_length"]),
                                      eosID: try int(c["eos_id"]), options: try options(c))
            try checkScores(s, c["expected_from_rows"], name + " (rows)")
            XCTAssertNil(s.aggregates.dpo)
        }
    }

    func testObjectiveMatchesAutograd() throws {
        var checked = 0
        for c in try loadCases() {
            let name = c["name"]?.stringValue ?? "?"
            let t = try floats(c["token_logits"]), l = try floats(c["logsumexp"])
            for o in try XCTUnwrap(c["objective"]?.arrayValue) {
                let lam = try num(o["td_weight"])
                let terms = try iqlearnObjective(tokenLogits: t, logsumexp: l, endsWithEOS: c["ends_with_eos"] == .bool(true),
                                                 options: try options(c), tdWeight: lam)
                XCTAssertEqual(terms.tokens, t.count)
                assertClose([terms.mleSum, terms.tdSum], [try num(o["mle_sum"]), try num(o["td_sum"])],
                            atol: Self.atol, rtol: Self.rtol, "\(name) λ=\(lam) loss")
                assertClose(terms.dTokenLogits, try doubles(o["d_token_logits"]), atol: Self.atol, rtol: Self.rtol, "\(name) λ=\(lam) ∂t")
                assertClose(terms.dLogsumexp, try doubles(o["d_logsumexp"]), atol: Self.atol, rtol: Self.rtol, "\(name) λ=\(lam) ∂l")
                checked += 1
            }
        }
        XCTAssertEqual(checked, 12)
    }

    /// The trainer's chain rule (∂/∂l through softmax, ∂/∂t onto the taken logit) reproduces
    /// autograd's gradient w.r.t. the full logits rows.
    func testObjectiveChainRuleMatchesFullLogitsAutograd() throws {
        for c in try loadCases() {
            let name = c["name"]?.stringValue ?? "?"
            let logits = try floats(c["logits"]), V = try int(c["vocabulary_size"])
            let ids = try ints(c["token_ids"]), p = try int(c["prompt_length"])
            let (t, l) = try gatherResponseInputs(logits: logits, vocabularySize: V, tokenIDs: ids, promptLength: p)
            for o in try XCTUnwrap(c["objective"]?.arrayValue) {
                let lam = try num(o["td_weight"])
                let terms = try iqlearnObjective(tokenLogits: t, logsumexp: l, endsWithEOS: ids.last == 0,
                                                 options: try options(c), tdWeight: lam)
                var grad = [Double](repeating: 0, count: logits.count)
                for k in 0...t.count {
                    let row = p - 1 + k
                    for v in 0..<V { grad[row * V + v] = terms.dLogsumexp[k] * exp(Double(logits[row * V + v]) - l[k]) }
                    if k < t.count { grad[row * V + ids[row + 1]] += terms.dTokenLogits[k] }
                }
                assertClose(grad, try doubles(o["d_full_logits"]), atol: 1e-12, rtol: 1e-9, "\(name) λ=\(lam) ∂ℓ")
            }
        }
    }
}

func num(_ v: JSONValue?) throws -> Double { try XCTUnwrap(v?.doubleValue, "expected a number") }
func int(_ v: JSONValue?) throws -> Int { try XCTUnwrap(v?.intValue, "expected an integer") }
func doubles(_ v: JSONValue?) throws -> [Double] { try XCTUnwrap(v?.arrayValue, "expected an array").map { try num($0) } }
func floats(_ v: JSONValue?) throws -> [Float] {
    try doubles(v).map { d in
        let f = Float(d)
        XCTAssertEqual(Double(f), d, "fixture value \(d) is not a float32")
        return f
    }
}
func ints(_ v: JSONValue?) throws -> [Int] { try XCTUnwrap(v?.arrayValue, "expected an array").map { try int($0) } }
