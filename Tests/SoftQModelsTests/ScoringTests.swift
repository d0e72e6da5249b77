import Foundation
import SoftQBase
import SoftQCheckpoint
import SoftQModels
import TestSupport
import XCTest

/// The scoring API: shared prompts, batch and thread invariance (bit for bit), empty
/// continuations, incremental decoding.
final class ScoringTests: XCTestCase {
    func bits(_ s: SequenceScores) -> [UInt32] {
        (s.tokenLogits + s.logsumexp + s.logprobs + (s.fullLogits ?? [])).map(\.bitPattern)
    }

    func testGroupingAndThreadCountDoNotChangeABit() throws {
        // Windowed models with prompts and continuations longer than their windows too.
        for name in ["gpt2_tiny", "llama_gqa_tied", "qwen2_bias", "mistral_window", "gemma2_window", "neox_parallel"] {
            let model = try Fixture.model(name).makeModel()
            var rng = SeededGenerator(seed: 11)
            func toks(_ n: Int) -> [Int] { (0..<n).map { _ in rng.nextInt(below: model.vocabularySize) } }
            let groups = (0..<5).map { g in PromptGroup(prompt: toks(3 + g), continuations: [toks(4), toks(7 - g), []]) }
            let together1 = try model.score(groups, options: ForwardOptions(threads: 1, fullLogits: true))
            let together3 = try model.score(groups, options: ForwardOptions(threads: 3, fullLogits: true))
            let reversed = try model.score(groups.reversed(), options: ForwardOptions(threads: 2, fullLogits: true))
            for (g, group) in groups.enumerated() {
                for (k, cont) in group.continuations.enumerated() {
                    let alone = try model.score([PromptGroup(prompt: group.prompt, continuations: [cont])],
                                                options: ForwardOptions(threads: 1, fullLogits: true))[0][0]
                    XCTAssertEqual(bits(together1[g][k]), bits(alone), "\(name) group \(g) cont \(k): batched vs alone")
                    XCTAssertEqual(bits(together3[g][k]), bits(alone), "\(name) group \(g) cont \(k): 3 threads")
                    XCTAssertEqual(bits(reversed[groups.count - 1 - g][k]), bits(alone), "\(name) group \(g) cont \(k): reordered")
                    // A lone sequence with spare threads splits heads, columns and vocabulary blocks.
                    let aloneThreaded = try model.score([PromptGroup(prompt: group.prompt, continuations: [cont])],
                                                        options: ForwardOptions(threads: 4, fullLogits: true))[0][0]
                    XCTAssertEqual(bits(aloneThreaded), bits(alone), "\(name) group \(g) cont \(k): alone on 4 threads")
                    // Without full logits, the reduced values are the very same bits.
                    let reduced = try model.score([PromptGroup(prompt: group.prompt, continuations: [cont])],
                                                  options: ForwardOptions())[0][0]
                    XCTAssertNil(reduced.fullLogits)
                    XCTAssertEqual(bits(reduced), bits(SequenceScores(tokenLogits: alone.tokenLogits, logsumexp: alone.logsumexp,
                                                                      logprobs: alone.logprobs, fullLogits: nil)))
                }
            }
        }
    }

    func testInnerParallelismOnWideLayersIsBitIdentical() throws {
        // Widths above one column chunk (256) and vocabularies above one block (2048), so the
        // parallel splits really happen; 1, 2 and 5 threads must give the same bits.
        let config = try JSONParser.parse(#"{"model_type":"llama","vocab_size":4500,"hidden_size":64,"intermediate_size":600,"num_hidden_layers":1,"num_attention_heads":4,"num_key_value_heads":2,"max_position_embeddings":64}"#)
        let model = try ModelRegistry.makeModel(modelType: "llama", config: config, weights: InMemoryWeights(randomLlamaWeights(config)))
        let group = [PromptGroup(prompt: [1, 2, 3, 4], continuations: [[5, 4000, 7, 2100, 9]])]
        let one = try model.score(group, options: ForwardOptions(threads: 1, fullLogits: true))[0][0]
        for t in [2, 5] {
            XCTAssertEqual(bits(try model.score(group, options: ForwardOptions(threads: t, fullLogits: true))[0][0]), bits(one), "\(t) threads")
        }
        let dm = try XCTUnwrap(model as? DecoderLanguageModel)
        let c1 = dm.makeCache(), c2 = dm.makeCache()
        XCTAssertEqual(try dm.logits(appending: [1, 2, 3], to: c1, threads: 1).map(\.bitPattern),
                       try dm.logits(appending: [1, 2, 3], to: c2, threads: 3).map(\.bitPattern))
    }

    func randomLlamaWeights(_ config: JSONValue) throws -> [String: Tensor] {
        let c = try LlamaConfiguration(modelType: "llama", json: config)
        var rng = SeededGenerator(seed: 5)
        let d = c.base.hiddenSize, i = c.base.intermediateSize, qd = c.base.headCount * c.base.headDim, kvd = c.base.kvHeadCount * c.base.headDim
        var shapes: [(String, [Int])] = [("model.embed_tokens.weight", [c.base.vocabularySize, d]), ("model.norm.weight", [d])]
        if !c.base.tieWordEmbeddings { shapes.append(("lm_head.weight", [c.base.vocabularySize, d])) }
        for l in 0..<c.base.layerCount {
            let p = "model.layers.\(l)."
            shapes += [(p + "input_layernorm.weight", [d]), (p + "post_attention_layernorm.weight", [d]),
                       (p + "self_attn.q_proj.weight", [qd, d]), (p + "self_attn.k_proj.weight", [kvd, d]),
                       (p + "self_attn.v_proj.weight", [kvd, d]), (p + "self_attn.o_proj.weight", [d, qd]),
                       (p + "mlp.gate_proj.weight", [i, d]), (p + "mlp.up_proj.weight", [i, d]), (p + "mlp.down_proj.weight", [d, i])]
        }
        var t: [String: Tensor] = [:]
        for (n, s) in shapes {
            let scale = s.count == 1 ? 1.0 : 1 / Double(s[1]).squareRoot()
            t[n] = Tensor(shape: s, values: (0..<s.reduce(1, *)).map { _ in Float(s.count == 1 ? 1 + 0.1 * rng.nextGaussian() : rng.nextGaussian() * scale * 2) })
        }
        return t
    }

    func testShapesAndEmptyContinuation() throws {
        let model = try Fixture.model("llama_untied").makeModel()
        let r = try model.score([PromptGroup(prompt: [1, 5, 9], continuations: [[4, 4, 7, 2], []]),
                                 PromptGroup(prompt: [1], continuations: [])],
                                options: ForwardOptions(fullLogits: true))
        XCTAssertEqual(r.count, 2)
        XCTAssertEqual(r[1].count, 0)
        XCTAssertEqual(r[0][0].tokenLogits.count, 4)
        XCTAssertEqual(r[0][0].logprobs.count, 4)
        XCTAssertEqual(r[0][0].logsumexp.count, 5)
        XCTAssertEqual(r[0][0].fullLogits?.count, 5 * model.vocabularySize)
        XCTAssertEqual(r[0][1].tokenLogits, [])
        XCTAssertEqual(r[0][1].logsumexp.count, 1)
        // The prompt's value is the same for both continuations (one prompt computation).
        XCTAssertEqual(r[0][0].logsumexp[0].bitPattern, r[0][1].logsumexp[0].bitPattern)
        for k in 0..<4 {
            XCTAssertEqual(r[0][0].logprobs[k], r[0][0].tokenLogits[k] - r[0][0].logsumexp[k])
            XCTAssertEqual(r[0][0].tokenLogits[k], r[0][0].fullLogits![k * model.vocabularySize + [4, 4, 7, 2][k]])
        }
    }

    func testIncrementalLogitsAgreeWithScoring() throws {
        let fx = try Fixture.model("llama_gqa_tied")
        let model = try fx.makeModel()
        let tokens = fx.sequences[0]["tokens"]?.arrayValue?.compactMap(\.intValue) ?? []
        let ref = Fixture.floats(fx.sequences[0]["logits_fp32"])
        let V = model.vocabularySize
        let cache = model.makeCache()
        var last = try model.logits(appending: Array(tokens.prefix(4)), to: cache)
        assertClose(last, ref[(3 * V)..<(4 * V)], atol: ModelBounds.logitsVsFloat32, "after 4 tokens")
        for i in 4..<tokens.count {
            last = try model.logits(appending: [tokens[i]], to: cache)
            assertClose(last, ref[(i * V)..<((i + 1) * V)], atol: ModelBounds.logitsVsFloat32, "token \(i) one at a time")
        }
        XCTAssertEqual(cache.length, tokens.count)
        assertClose(try model.logitsForAllPositions(tokens), ref, atol: ModelBounds.logitsVsFloat32, "logitsForAllPositions")
        XCTAssertEqual(try model.logitsForAllPositions(tokens).count, tokens.count * V)
        let copy = cache.copy()
        cache.truncate(to: 2)
        XCTAssertEqual(cache.length, 2)
        XCTAssertEqual(copy.length, tokens.count)
    }

    func testDifferentPromptSplitsAgree() throws {
        // Moving the prompt/continuation boundary changes which rows share a matrix product, so
        // bit identity is promised only for the same split; values agree to float32 rounding.
        let fx = try Fixture.model("qwen2_bias")
        let model = try fx.makeModel()
        let tokens = fx.sequences[1]["tokens"]?.arrayValue?.compactMap(\.intValue) ?? []
        let a = try model.score([PromptGroup(prompt: Array(tokens.prefix(3)), continuations: [Array(tokens.dropFirst(3))])], options: ForwardOptions(fullLogits: true))[0][0]
        let b = try model.score([PromptGroup(prompt: Array(tokens.prefix(5)), continuations: [Array(tokens.dropFirst(5))])], options: ForwardOptions(fullLogits: true))[0][0]
        let V = model.vocabularySize
        // Two float32 evaluations, each within ModelBounds.logitsVsFloat64 of the exact logits
        // (so within logitsVsFloat32 of each other); log π adds the log-sum-exp's error per side.
        assertClose(a.fullLogits![(2 * V)...], b.fullLogits!, atol: ModelBounds.logitsVsFloat32, "rows for positions 4 … n−1")
        let spread = b.fullLogits!.map(abs).max().map { 2 * Double($0) } ?? 0
        let lse = ModelBounds.logSumExp(logitError: ModelBounds.logitsVsFloat64, spread: spread, value: spread)
        assertClose(a.logprobs.suffix(b.logprobs.count), b.logprobs, atol: 2 * (ModelBounds.logitsVsFloat64 + lse), "log-probabilities")
        XCTAssertEqual(a.logsumexp.count, b.logsumexp.count + 2)
        XCTAssertThrowsError(try model.logits(appending: [], to: model.makeCache())) {
            XCTAssertEqual("\($0)", "no tokens to append: incremental decoding needs at least one token")
        }
    }

    func testLargeVocabularyBlocksAgreeWithFullLogits() throws {
        // A vocabulary larger than one output block (2048) exercises the blocked logsumexp.
        let config = try JSONParser.parse(#"{"model_type":"llama","vocab_size":4500,"hidden_size":8,"intermediate_size":8,"num_hidden_layers":1,"num_attention_heads":2,"max_position_embeddings":64,"tie_word_embeddings":true}"#)
        var rng = SeededGenerator(seed: 3)
        var tensors: [String: Tensor] = [:]
        let shapes: [(String, [Int])] = [("model.embed_tokens.weight", [4500, 8]), ("model.norm.weight", [8]),
            ("model.layers.0.input_layernorm.weight", [8]), ("model.layers.0.post_attention_layernorm.weight", [8]),
            ("model.layers.0.self_attn.q_proj.weight", [8, 8]), ("model.layers.0.self_attn.k_proj.weight", [8, 8]),
            ("model.layers.0.self_attn.v_proj.weight", [8, 8]), ("model.layers.0.self_attn.o_proj.weight", [8, 8]),
            ("model.layers.0.mlp.gate_proj.weight", [8, 8]), ("model.layers.0.mlp.up_proj.weight", [8, 8]),
            ("model.layers.0.mlp.down_proj.weight", [8, 8])]
        for (n, s) in shapes {
            tensors[n] = Tensor(shape: s, values: (0..<s.reduce(1, *)).map { _ in Float(rng.nextGaussian() * 2) })
        }
        let model = try ModelRegistry.makeModel(modelType: "llama", config: config, weights: InMemoryWeights(tensors))
        let cont = (0..<20).map { ($0 * 631) % 4500 }  // targets in every block
        let r = try model.score([PromptGroup(prompt: [7], continuations: [cont])], options: ForwardOptions(fullLogits: true))[0][0]
        let full = r.fullLogits!
        for i in 0...cont.count {
            let row = full[(i * 4500)..<((i + 1) * 4500)].map(Double.init)
            let m = row.max()!
            // The same float32 row, reduced in float64 here: only the kernel's own evaluation differs.
            let bound = KernelBounds.logSumExp(Array(full[(i * 4500)..<((i + 1) * 4500)]), rows: 1, cols: 4500)[0]
            XCTAssertEqual(Double(r.logsumexp[i]), m + log(row.map { exp($0 - m) }.reduce(0, +)), accuracy: bound)
            if i < cont.count { XCTAssertEqual(r.tokenLogits[i], full[i * 4500 + cont[i]]) }
        }
    }
}
