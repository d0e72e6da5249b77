import Foundation
import SoftQBase
import SoftQCheckpoint
import SoftQModels
import TestSupport
import XCTest

/// The forward pass against transformers (float32 and float64) on tiny random models:
/// gpt2, llama with GQA + llama3 rope scaling (tied), llama untied with one kv head and an
/// explicit head_dim, qwen2 with q/k/v biases, and the sliding-window and newer families
/// (Fixture.newFamilyNames: mistral, qwen2/qwen3 windows, gpt_neox parallel and sequential,
/// gemma, gemma2, gemma3_text, phi3, olmo2).
///
/// The tolerances come from a float32 error bound, u = 2⁻²⁴ ≈ 6e-8. In every fixture model a
/// logit is the end of at most 4L + 2 ≤ 14 reductions (L ≤ 3 layers: q/k/v, scores, softmax·V,
/// o, MLP products, norms, output layer), each over k ≤ 64 terms (widths and lengths ≤ 64),
/// with Σ|terms| ≲ 5 (normalised activations, weights ~ 1/√k, so ≈ 0.64·√k; norm multipliers
/// 1 ± 0.2, for Gemma too). A float32 sum errs by at most k·u·Σ|terms| (Higham's γ_k), which the
/// normalised activations carry on with gain ~1:
/// - worst case for one implementation: 14 · 64 · u · 5 ≈ 2.7e-4, hence 2e-4 against
///   transformers float32 (both sides round, in different orders);
/// - against float64 only softq rounds, and rounding errors of random sign add up as √n:
///   √14 · √64 · u · 5 ≈ 9e-6, hence 1e-5 (a statistical bound, not a worst case).
/// Measured maxima are 4e-6 against both (docs/models.md).
final class ReferenceModelTests: XCTestCase {
    func testLogitsMatchTransformers() throws {
        for name in Fixture.modelNames {
            let fx = try Fixture.model(name)
            let model = try fx.makeModel()
            XCTAssertEqual(fx.tol("logits_vs_transformers_fp32_atol"), 2e-4)
            XCTAssertEqual(fx.tol("logits_vs_float64_atol"), 1e-5)
            for (s, seq) in fx.sequences.enumerated() {
                let tokens = seq["tokens"]?.arrayValue?.compactMap(\.intValue) ?? []
                XCTAssertFalse(tokens.isEmpty)
                // Whole sequence as the prompt's first token plus a continuation: full logits
                // rows cover positions 0 … n−1.
                let r = try model.score([PromptGroup(prompt: [tokens[0]], continuations: [Array(tokens.dropFirst())])],
                                        options: ForwardOptions(fullLogits: true))[0][0]
                let full = try XCTUnwrap(r.fullLogits)
                assertClose(full, Fixture.floats(seq["logits_fp32"]), atol: fx.tol("logits_vs_transformers_fp32_atol"),
                            "\(name) seq \(s) logits vs transformers fp32")
                let ref64 = Fixture.doubles(seq["logits_fp64"])
                let ref32 = Fixture.floats(seq["logits_fp32"])
                let d32 = zip(full, ref32).map { abs(Double($0) - Double($1)) }.max() ?? 0
                let d64 = zip(full, ref64).map { abs(Double($0) - $1) }.max() ?? 0
                print("measured \(name) seq \(s) (n=\(tokens.count)): max |Δlogit| vs transformers fp32 \(d32), vs float64 \(d64)")
                assertClose(full, ref64, atol: fx.tol("logits_vs_float64_atol"), "\(name) seq \(s) logits vs float64")
                // Reduced outputs agree with the float64 logits.
                let V = model.vocabularySize
                for i in 0..<tokens.count {
                    let row = ref64[(i * V)..<((i + 1) * V)]
                    let m = row.max()!
                    let lse = m + log(row.map { exp($0 - m) }.reduce(0, +))
                    XCTAssertEqual(Double(r.logsumexp[i]), lse, accuracy: 1e-5, "\(name) seq \(s) logsumexp at \(i)")
                    if i + 1 < tokens.count {
                        XCTAssertEqual(Double(r.tokenLogits[i]), row[row.startIndex + tokens[i + 1]], accuracy: 1e-5)
                        XCTAssertEqual(Double(r.logprobs[i]), row[row.startIndex + tokens[i + 1]] - lse, accuracy: 2e-5)
                    }
                }
            }
        }
    }

    func testPerLayerActivationsMatchFloat64() throws {
        for name in Fixture.modelNames {
            let fx = try Fixture.model(name)
            let model = try fx.makeModel()
            let seq = fx.sequences[0]
            let tokens = seq["tokens"]?.arrayValue?.compactMap(\.intValue) ?? []
            let acts = try model.activations(tokens)
            let expected = try XCTUnwrap(seq["activations"]?.objectValue)
            XCTAssertEqual(expected.count, model.configuration.layerCount + 2)
            // In layer order, so the first failure names the first layer that disagrees.
            let keys = ["embed"] + (0..<model.configuration.layerCount).map { "layer.\($0)" } + ["final"]
            for key in keys {
                let ref = Fixture.doubles(expected.first { $0.0 == key }?.1)
                let mine = try XCTUnwrap(acts[key], "\(name): no activation \(key)")
                assertClose(mine, ref, atol: fx.tol("activations_vs_float64_atol"), "\(name) activation \(key)")
            }
        }
    }

    func testConfigurationAndCountsAreDecoded() throws {
        let fx = try Fixture.model("llama_gqa_tied")
        let model = try fx.makeModel()
        let c = model.configuration
        XCTAssertEqual(c.modelType, "llama")
        XCTAssertEqual([c.vocabularySize, c.hiddenSize, c.layerCount, c.headCount, c.kvHeadCount, c.headDim, c.intermediateSize, c.contextLength],
                       [67, 32, 2, 4, 2, 8, 48, 64])
        XCTAssertTrue(c.tieWordEmbeddings)
        XCTAssertEqual(c.bosTokenId, 0)
        XCTAssertEqual(c.eosTokenIds, [2])
        // Distinct parameters: the stored duplicate lm_head.weight is not counted.
        let distinct = fx.tensors.filter { $0.key != "lm_head.weight" }.values.reduce(0) { $0 + $1.count }
        XCTAssertEqual(model.parameterCount, distinct)
        let perLayer = 32 * 32 + 16 * 32 * 2 + 32 * 32 + 3 * 48 * 32
        XCTAssertEqual(model.flopsPerToken(attendedPositions: 10), 2 * (2 * perLayer + 67 * 32) + 4 * 2 * 4 * 8 * 10)

        let untied = try Fixture.model("llama_untied").makeModel()
        XCTAssertEqual(untied.configuration.eosTokenIds, [2, 3])
        XCTAssertFalse(untied.configuration.tieWordEmbeddings)
        XCTAssertEqual(untied.configuration.headDim, 8)
        let gpt2 = try Fixture.model("gpt2_tiny").makeModel()
        XCTAssertEqual(gpt2.configuration.intermediateSize, 64)
        XCTAssertEqual(gpt2.contextLength, 32)
    }
}
