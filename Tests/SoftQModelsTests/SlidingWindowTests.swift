import Foundation
import SoftQBase
import SoftQCheckpoint
import SoftQModels
import TestSupport
import XCTest

/// Sliding-window attention against transformers: which positions a window covers, and that a
/// prompt's cached keys/values serve continuations that reach past the window.
final class SlidingWindowTests: XCTestCase {
    /// The fixture's config with `sliding_window` replaced.
    func withWindow(_ fx: Fixture.Model, _ w: Int) throws -> DecoderLanguageModel {
        guard case .object(var fields) = fx.config else { throw ModelError.noTokens }  // fixtures hold objects
        fields.removeAll { $0.0 == "sliding_window" }
        fields.append(("sliding_window", .int(w)))
        return try ModelRegistry.makeDecoder(modelType: fx.modelType, config: .object(fields), weights: fx.weights)
    }

    func maxDiff(_ a: [Float], _ b: [Float]) -> Double { zip(a, b).map { abs(Double($0) - Double($1)) }.max() ?? .infinity }

    /// Derives the window semantics from transformers: with window W, position i attends to
    /// i−W+1 … i (W positions, itself included). W−1 or W+1 (one position fewer or more) miss
    /// the fixture by far more than float32 error, on Mistral (every layer) and Gemma 2 (local layers).
    func testWindowCoversTheLastWPositionsIncludingItself() throws {
        for (name, w) in [("mistral_window", 5), ("gemma2_window", 4)] {
            let fx = try Fixture.model(name)
            XCTAssertEqual(try fx.makeModel().configuration.slidingWindow, w)
            let tokens = Fixture.tokens(fx, 2), ref = Fixture.floats(fx.sequences[2]["logits_fp32"])
            XCTAssertGreaterThan(tokens.count, 4 * w)
            XCTAssertLessThan(maxDiff(try withWindow(fx, w).logitsForAllPositions(tokens), ref), 2e-4, "\(name) W")
            for other in [w - 1, w + 1] {
                XCTAssertGreaterThan(maxDiff(try withWindow(fx, other).logitsForAllPositions(tokens), ref), 1e-2, "\(name) W=\(other)")
            }
        }
    }

    /// Attention FLOPs count at most a layer's window: qwen2_window has a full layer 0 and
    /// layers 1–2 with window 4.
    func testFlopsCountAttentionWithinTheWindow() throws {
        let model = try Fixture.model("qwen2_window").makeModel()
        let c = model.configuration, perPosition = 4 * c.headCount * c.headDim
        let base = model.flopsPerToken(attendedPositions: 0)
        XCTAssertEqual(model.flopsPerToken(attendedPositions: 3), base + perPosition * 3 * 3)
        XCTAssertEqual(model.flopsPerToken(attendedPositions: 20), base + perPosition * (20 + 4 + 4))
    }

    /// A prompt longer than the window, run once, then two continuations from copies of its
    /// cache: each continuation's rows equal transformers' full pass over prompt+continuation
    /// (the continuation attends to the last W positions, cached prompt positions included).
    func testPromptCacheServesContinuationsPastTheWindow() throws {
        for name in ["mistral_window", "qwen2_window", "qwen3_window", "gemma2_window", "gemma3_window", "phi3_window"] {
            let fx = try Fixture.model(name)
            let model = try fx.makeModel()
            let w = try XCTUnwrap(model.configuration.slidingWindow, name)
            let tokens = Fixture.tokens(fx, 2), ref = Fixture.floats(fx.sequences[2]["logits_fp32"])
            let V = model.vocabularySize, p = w + 3
            XCTAssertGreaterThan(tokens.count, p + w, "\(name): the continuation reaches past the window")
            // Continuation A: the rest of the fixture sequence; B: a prefix of it (rows equal
            // the first rows of A's reference).
            let a = Array(tokens[p...]), b = Array(tokens[p..<(p + w + 1)])
            let r = try model.score([PromptGroup(prompt: Array(tokens.prefix(p)), continuations: [a, b])],
                                    options: ForwardOptions(fullLogits: true))[0]
            let refRows = Array(ref[((p - 1) * V)...])
            assertClose(try XCTUnwrap(r[0].fullLogits), refRows, atol: ModelBounds.logitsVsFloat32, "\(name) continuation A vs transformers")
            assertClose(try XCTUnwrap(r[1].fullLogits), refRows.prefix((b.count + 1) * V), atol: ModelBounds.logitsVsFloat32, "\(name) continuation B vs transformers")
            // Incremental decoding one token at a time past the window agrees too.
            let cache = model.makeCache()
            _ = try model.logits(appending: Array(tokens.prefix(p)), to: cache)
            for i in p..<tokens.count {
                let last = try model.logits(appending: [tokens[i]], to: cache)
                assertClose(last, ref[(i * V)..<((i + 1) * V)], atol: ModelBounds.logitsVsFloat32, "\(name) token \(i) decoded alone")
            }
        }
    }
}
