import Foundation
import SoftQBase
import SoftQCheckpoint
import SoftQModels
import XCTest

/// A manual throughput probe, skipped unless SOFTQ_PROBE=1 (run it in a release build):
/// a GPT-2-small-shaped model with seeded random weights scores one 512-token sequence.
final class ThroughputProbe: XCTestCase {
    func testGPT2SmallThroughput() throws {
        try XCTSkipUnless(ProcessInfo.processInfo.environment["SOFTQ_PROBE"] == "1", "set SOFTQ_PROBE=1 to run")
        let config = try JSONParser.parse(#"{"n_embd":768,"n_head":12,"n_layer":12,"n_positions":1024,"vocab_size":50257}"#)
        var rng = SeededGenerator(seed: 1)
        var t: [String: Tensor] = [:]
        func add(_ name: String, _ shape: [Int]) {
            let n = shape.reduce(1, *)
            let x = Tensor(zeros: shape)
            for i in 0..<n { x.data[i] = Float(Int(rng.next() >> 40) - (1 << 23)) * 0x1p-28 }
            t[name] = x
        }
        add("transformer.wte.weight", [50257, 768]); add("transformer.wpe.weight", [1024, 768])
        add("transformer.ln_f.weight", [768]); add("transformer.ln_f.bias", [768])
        for l in 0..<12 {
            let p = "transformer.h.\(l)."
            for (n, s) in [("ln_1.weight", [768]), ("ln_1.bias", [768]), ("attn.c_attn.weight", [768, 2304]), ("attn.c_attn.bias", [2304]),
                           ("attn.c_proj.weight", [768, 768]), ("attn.c_proj.bias", [768]), ("ln_2.weight", [768]), ("ln_2.bias", [768]),
                           ("mlp.c_fc.weight", [768, 3072]), ("mlp.c_fc.bias", [3072]), ("mlp.c_proj.weight", [3072, 768]), ("mlp.c_proj.bias", [768])] {
                add(p + n, s)
            }
        }
        let model = try ModelRegistry.makeModel(modelType: "gpt2", config: config, weights: InMemoryWeights(t))
        let tokens = (0..<512).map { ($0 * 7919) % 50257 }
        for threads in [1, 2] {
            let group = [PromptGroup(prompt: [tokens[0]], continuations: [Array(tokens.dropFirst())])]
            _ = try model.score(group, options: ForwardOptions(threads: threads))
            let t0 = Date()
            for _ in 0..<3 { _ = try model.score(group, options: ForwardOptions(threads: threads)) }
            let s = Date().timeIntervalSince(t0) / 3
            print("probe gpt2-small 512 tokens, \(threads) thread(s): \(String(format: "%.3f", s)) s, \(String(format: "%.0f", 512 / s)) tokens/s")
        }
    }
}
