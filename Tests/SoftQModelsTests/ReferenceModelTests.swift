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
/// The tolerances are the float32 bounds of TestSupport/ModelBounds.swift (derived there; the
/// fixture records the same numbers): ≈ 7.5e-5 against float64, twice that against
/// transformers in float32. Reduced outputs inherit them: a log-sum-exp adds its own
/// evaluation's rounding, and log π = logit − logsumexp adds the two errors.
final class ReferenceModelTests: XCTestCase {
    func testLogitsMatchTransformers() throws {
        for name in Fixture.modelNames {
            let fx = try Fixture.model(name)
            let model = try fx.makeModel()
            // The fixture script and ModelBounds derive the same bound (libm may differ in the last bit).
            XCTAssertEqual(fx.tol("logits_vs_transformers_fp32_atol"), ModelBounds.logitsVsFloat32, accuracy: 1e-12 * ModelBounds.logitsVsFloat32)
            XCTAssertEqual(fx.tol("logits_vs_float64_atol"), ModelBounds.logitsVsFloat64, accuracy: 1e-12 * ModelBounds.logitsVsFloat64)
            for (s, seq) in fx.sequences.enumerated() {
                let tokens = seq["tokens"]?.arrayValue?.compactMap(\.intValue) ?? []
                XCTAssertFalse(tokens.isEmpty)
                // Whole sequence as the prompt's first token plus a continuation: full logits
                // rows cover positions 0 … n−1.
                let r = try model.score([PromptGroup(prompt: [tokens[0]], continuations: [Array(tokens.dropFirst())])],
                                        options: ForwardOptions(fullLogits: true))[0][0]
                let full = try XCTUnwrap(r.fullLogits)
                assertClose(full, Fixture.floats(seq["logits_fp32"]), atol: ModelBounds.logitsVsFloat32,
                            "\(name) seq \(s) logits vs transformers fp32")
                let ref64 = Fixture.doubles(seq["logits_fp64"])
                let ref32 = Fixture.floats(seq["logits_fp32"])
                let d32 = zip(full, ref32).map { abs(Double($0) - Double($1)) }.max() ?? 0
                let d64 = zip(full, ref64).map { abs(Double($0) - $1) }.max() ?? 0
                print("measured \(name) seq \(s) (n=\(tokens.count)): max |Δlogit| vs transformers fp32 \(d32), vs float64 \(d64)")
                assertClose(full, ref64, atol: ModelBounds.logitsVsFloat64, "\(name) seq \(s) logits vs float64")
                // Reduced outputs agree with the float64 logits.
                let V = model.vocabularySize
                for i in 0..<tokens.count {
                    let row = ref64[(i * V)..<((i + 1) * V)]
                    let m = row.max()!
                    let lse = m + log(row.map { exp($0 - m) }.reduce(0, +))
                    let lseBound = ModelBounds.logSumExp(logitError: ModelBounds.logitsVsFloat64, spread: m - row.min()!, value: lse)
                    XCTAssertEqual(Double(r.logsumexp[i]), lse, accuracy: lseBound, "\(name) seq \(s) logsumexp at \(i)")
                    if i + 1 < tokens.count {
                        XCTAssertEqual(Double(r.tokenLogits[i]), row[row.startIndex + tokens[i + 1]], accuracy: ModelBounds.logitsVsFloat64)
                        XCTAssertEqual(Double(r.logprobs[i]), row[row.startIndex + tokens[i + 1]] - lse,
                                       accuracy: ModelBounds.logitsVsFloat64 + lseBound + Double(Float(abs(lse) + 1).ulp))
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
                assertClose(mine, ref, atol: ModelBounds.logitsVsFloat64, "\(name) activation \(key)")
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
