import Foundation
import SoftQBase
import SoftQCheckpoint
import SoftQModels
import SoftQRewards
import SoftQScoring
import SoftQTokenizers
import TestSupport
import XCTest

/// The fixture made by Scripts/reference/make_scoring_fixtures.py.
struct ScoringFixture {
    let json: JSONValue

    static let shared: ScoringFixture = {
        let url = Bundle.module.url(forResource: "Fixtures/scoring", withExtension: "json")!
        let text = try! String(contentsOf: url, encoding: .utf8)
        return ScoringFixture(json: try! JSONParser.parse(text))
    }()

    static func modelPath(_ name: String) -> String {
        if name == "gpt2_tiny_ref" {
            return Bundle.module.url(forResource: "Fixtures/gpt2_tiny_ref", withExtension: "h5")!.path
        }
        return TestPaths.repositoryRoot.appendingPathComponent("Tests/SoftQModelsTests/Fixtures/\(name).h5").path
    }

    var pairs: [PairRecord] {
        json["pairs"]!.arrayValue!.enumerated().map { k, p in
            PairRecord(line: k + 1, id: p["id"]!.stringValue!, subset: p["subset"]!.stringValue!,
                       content: .ids(prompt: p["prompt_ids"]!.arrayValue!.map { $0.intValue! },
                                     chosen: p["chosen_ids"]!.arrayValue!.map { $0.intValue! },
                                     rejected: p["rejected_ids"]!.arrayValue!.map { $0.intValue! }))
        }
    }
}

func doubles(_ v: JSONValue?) -> [Double] { v!.arrayValue!.map { $0.doubleValue! } }

func loadPolicy(_ name: String) throws -> LoadedPolicy {
    try LoadedPolicy(path: ScoringFixture.modelPath(name))
}

func prepare(_ pairs: [PairRecord], _ policy: LoadedPolicy, appendEOS: Bool = false) throws -> [PreparedPair] {
    let tp = try policy.tokenizationPolicy(appendEOS: appendEOS, inputPath: "fixture")
    return try pairs.map { try tp.prepare($0) }
}

final class ScoringReferenceTests: XCTestCase {
    /// `softq score`'s numbers against transformers float32 logits + float64 numpy reward math.
    /// Tolerances from the fixture models' float32 bound (TestSupport/ModelBounds.swift): a
    /// logit differs from transformers' by ≤ L = ModelBounds.logitsVsFloat32, a log-sum-exp by
    /// ≤ ℓ = L plus its evaluation (logits |z| ≤ 5, the bound's Σ|terms|, so spread ≤ 10); every
    /// per-token quantity (log π = z − lse, q = α·z, V = α·lse, r = q − γ·V′) is within
    /// max(1, α)·(L + 2ℓ); an aggregate of n tokens within n times that, a DPO difference of two
    /// models within 2n times that; float64 reward math adds nothing visible.
    static func perTokenBound(alpha: Double) -> Double {
        let L = ModelBounds.logitsVsFloat32
        let lse = ModelBounds.logSumExp(logitError: L, spread: 2 * ModelBounds.magnitude, value: ModelBounds.magnitude + 10)
        return max(1, alpha) * (L + 2 * lse)
    }

    func testEveryQuantityMatchesTheIndependentReference() throws {
        let fx = ScoringFixture.shared
        var checked = 0
        for c in fx.json["cases"]!.arrayValue! {
            let name = c["checkpoint"]!.stringValue!
            let conv = c["conventions"]!
            let policy = try loadPolicy(name)
            let reference = try c["reference"]!.stringValue.map { try loadPolicy($0) }
            let tolToken = Self.perTokenBound(alpha: conv["alpha"]!.doubleValue!)
            let options = ScoringOptions(rewards: RewardOptions(alpha: conv["alpha"]!.doubleValue!, gamma: conv["gamma"]!.doubleValue!,
                                                                terminal: TerminalMode(rawValue: conv["terminal"]!.stringValue!)!))
            let scored = try PairScorer(model: policy.model, reference: reference?.model, options: options)
                .scorePairs(try prepare(fx.pairs, policy))
            for (k, expected) in c["pairs"]!.arrayValue!.enumerated() {
                for (side, got) in [("chosen", scored[k].chosen.scores), ("rejected", scored[k].rejected.scores)] {
                    let e = expected[side]!
                    let tolAgg = Double(got.reward.count) * tolToken
                    let what = "\(name)/\(conv["name"]!.stringValue!)/pair \(k)/\(side)"
                    assertClose(got.logprob, doubles(e["logprob"]), atol: tolToken, what + " logprob")
                    assertClose(got.q, doubles(e["q"]), atol: tolToken, what + " q")
                    assertClose(got.valueBefore, doubles(e["value_before"]), atol: tolToken, what + " value_before")
                    assertClose(got.valueAfter, doubles(e["value_after"]), atol: tolToken, what + " value_after")
                    assertClose(got.reward, doubles(e["reward"]), atol: tolToken, what + " reward")
                    XCTAssertEqual(got.terminal, e["terminal"]!.bool, what)
                    let a = got.aggregates
                    assertClose([a.sum, a.mean, a.discounted, a.logprobSum, a.logprobMean, a.logprobNorm, got.promptValue],
                                ["sum", "mean", "discounted", "logprob_sum", "logprob_mean", "logprob_norm", "prompt_value"].map { e[$0]!.doubleValue! },
                                atol: tolAgg, what + " aggregates")
                    if let dpo = e["dpo"]?.doubleValue {
                        assertClose([a.dpo ?? .nan], [dpo], atol: 2 * tolAgg, what + " dpo")
                    }
                    checked += 1
                }
            }
        }
        XCTAssertEqual(checked, 3 * 4 * 5 * 2)  // gpt2_tiny, llama_gqa_tied, gemma2_window
    }

    /// Text pairs tokenize exactly as the `tokenizers` library does: prompt with BOS once,
    /// responses without special tokens, EOS appended.
    func testTextTokenizationMatchesHuggingFace() throws {
        let tokURL = TestPaths.repositoryRoot.appendingPathComponent("notebooks-data/task/tokenizer.json")
        let tok = try Tokenizer(tokenizerJSON: try Data(contentsOf: tokURL))
        // The demo tokenizer names no EOS (its post-processor adds only BOS); checkpoints give it in config.
        let eos = tok.eosTokenID ?? tok.id(forToken: "<|eos|>")
        let special = try SpecialTokenSources(config: .object([("eos_token_id", .int(eos!))]), tokenizer: tok,
                                              vocabularySize: tok.vocabularySize).resolve()
        XCTAssertEqual(special.bosID, tok.bosTokenID)
        XCTAssertTrue(special.addBOS)
        let policy = TokenizationPolicy(tokenizer: tok, appendEOS: true, special: special, vocabularySize: tok.vocabularySize,
                                        contextLength: 4096, inputPath: "x")
        for (k, t) in ScoringFixture.shared.json["text_tokenization"]!.arrayValue!.enumerated() {
            let rec = PairRecord(line: k + 1, id: "t\(k)", subset: "",
                                 content: .text(prompt: t["prompt"]!.stringValue!, chosen: t["chosen"]!.stringValue!, rejected: t["rejected"]!.stringValue!))
            let p = try policy.prepare(rec)
            XCTAssertEqual(p.prompt, t["prompt_ids"]!.arrayValue!.map { $0.intValue! })
            XCTAssertEqual(p.chosen.ids, t["chosen_ids"]!.arrayValue!.map { $0.intValue! })
            XCTAssertEqual(p.rejected.ids, t["rejected_ids"]!.arrayValue!.map { $0.intValue! })
            XCTAssertTrue(p.chosen.endsWithEOS && p.rejected.endsWithEOS)
            XCTAssertEqual(p.prompt.filter { $0 == tok.bosTokenID }.count, 1, "BOS exactly once")
        }
    }
}

extension JSONValue {
    var bool: Bool? { if case .bool(let b) = self { return b }; return nil }
}
