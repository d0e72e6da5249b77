import Foundation
import SoftQBase
import SoftQCheckpoint
import SoftQModels
import TestSupport
import XCTest

/// 16-bit checkpoints stay 16-bit in memory: matrix weights are widened panel by panel inside
/// the products. Widening is exact and each panel feeds the same sgemm call a float32 model
/// makes, so every logit must equal, bit for bit, the logit of the same checkpoint widened to
/// float32 at load (no tolerance: any difference is a bug).
final class HalfWeightTests: XCTestCase {
    /// Fixture weights written as a float16 or bfloat16 checkpoint.
    func write(_ fx: Fixture.Model, dtype: DType, in dir: URL) throws -> Checkpoint {
        let path = dir.appendingPathComponent("\(fx.name)-\(dtype.rawValue).h5").path
        try CheckpointWriter(modelType: fx.modelType, configText: fx.config.serialized(),
                             tensors: fx.tensors.sorted { $0.key < $1.key }, dtype: dtype).write(to: path)
        return try Checkpoint(path: path)
    }

    func testSixteenBitWeightsGiveTheLogitsOfWideningAtLoad() throws {
        let dir = try TestPaths.temporaryDirectory("softq-half")
        defer { try? FileManager.default.removeItem(at: dir) }
        // GPT-2 (Conv1D columns widened into a dense panel), LLaMA with a tied output matrix,
        // GPT-NeoX (a fused QKV gathered in 16 bits) and Phi-3 (fused rows split in 16 bits).
        for name in ["gpt2_tiny", "llama_gqa_tied", "neox_parallel", "phi3_window"] {
            let fx = try Fixture.model(name)
            for dtype in [DType.bfloat16, .float16] {
                let checkpoint = try write(fx, dtype: dtype, in: dir)
                let matrices = checkpoint.tensorNames.filter { checkpoint.tensorInfos[$0]!.shape.count == 2 }
                XCTAssertFalse(matrices.isEmpty)
                for m in matrices {
                    let w = try checkpoint.loadMatrix(m)
                    XCTAssertEqual(w.dtype, dtype, "\(name) \(m) stays \(dtype)")
                    XCTAssertTrue(w.isMapped, "\(name) \(m): the writer aligns data, so it is mapped")
                    XCTAssertEqual(w.storedBytes, 2 * w.count)
                }
                let sixteen = try ModelRegistry.makeModel(checkpoint: checkpoint)
                // The same file widened to float32 up front, tensor by tensor.
                var widened: [String: Tensor] = [:]
                for n in checkpoint.tensorNames { widened[n] = try checkpoint.loadTensor(n) }
                let wide = try ModelRegistry.makeDecoder(modelType: fx.modelType, config: checkpoint.config,
                                                         weights: InMemoryWeights(widened))
                XCTAssertEqual(sixteen.parameterCount, wide.parameterCount)
                var rng = SeededGenerator(seed: 5)
                func toks(_ n: Int) -> [Int] { (0..<n).map { _ in rng.nextInt(below: wide.vocabularySize) } }
                let groups = [PromptGroup(prompt: toks(5), continuations: [toks(9), toks(3), []]),
                              PromptGroup(prompt: toks(1), continuations: [toks(12)])]
                for threads in [1, 3] {
                    let options = ForwardOptions(threads: threads, fullLogits: true)
                    let a = try sixteen.score(groups, options: options), b = try wide.score(groups, options: options)
                    for (g, group) in groups.enumerated() {
                        for k in group.continuations.indices {
                            XCTAssertEqual(a[g][k].fullLogits!.map(\.bitPattern), b[g][k].fullLogits!.map(\.bitPattern),
                                           "\(name) \(dtype) \(threads) threads: group \(g) continuation \(k)")
                            XCTAssertEqual(a[g][k].logsumexp.map(\.bitPattern), b[g][k].logsumexp.map(\.bitPattern))
                        }
                    }
                }
                // Incremental decoding reads the same widened rows.
                let cacheA = sixteen.makeCache(), cacheB = wide.makeCache()
                XCTAssertEqual(try sixteen.logits(appending: [1, 2, 3], to: cacheA).map(\.bitPattern),
                               try wide.logits(appending: [1, 2, 3], to: cacheB).map(\.bitPattern), "\(name) \(dtype) decoding")
            }
        }
    }

    func testANonFiniteSixteenBitValueIsRefusedWithItsName() throws {
        let dir = try TestPaths.temporaryDirectory("softq-half-inf")
        defer { try? FileManager.default.removeItem(at: dir) }
        // Finite in float32, infinite once rounded: bfloat16's largest finite value is below
        // Float.greatestFiniteMagnitude; float16's is 65504.
        for (dtype, big) in [(DType.bfloat16, Float.greatestFiniteMagnitude), (.float16, 70000)] {
            let path = dir.appendingPathComponent("inf-\(dtype.rawValue).h5").path
            let w = Tensor(shape: [2, 3], values: [0, 1, 2, big, 4, 5])
            try CheckpointWriter(modelType: "gpt2", configText: #"{"model_type":"gpt2"}"#, tensors: [("m.weight", w)],
                                 dtype: dtype).write(to: path)
            let checkpoint = try Checkpoint(path: path)
            XCTAssertThrowsError(try checkpoint.loadMatrix("m.weight")) { e in
                guard case let .nonFinite(_, tensor, index, value)? = e as? CheckpointError else {
                    return XCTFail("\(dtype): expected nonFinite, got \(e)")
                }
                XCTAssertEqual(tensor, "m.weight")
                XCTAssertEqual(index, 3)
                XCTAssertEqual(value, .infinity)
            }
        }
    }
}
