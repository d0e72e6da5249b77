import Foundation
import SoftQBase
import SoftQCheckpoint
import SoftQModels
import TestSupport
import XCTest

/// Bad input fails with one exact, informative message.
final class ErrorTests: XCTestCase {
    func message(_ body: () throws -> Any) -> String {
        do { _ = try body(); return "no error" } catch { return "\(error)" }
    }

    func testUnknownModelType() throws {
        let fx = try Fixture.model("gpt2_tiny")
        XCTAssertEqual(message { try ModelRegistry.makeModel(modelType: "bert", config: fx.config, weights: fx.weights) },
                       "unknown model_type 'bert': supported types are gemma, gemma2, gemma3_text, gpt2, gpt_neox, llama, mistral, olmo2, phi3, qwen2, qwen3")
        XCTAssertEqual(ModelRegistry.supportedTypes, ["gemma", "gemma2", "gemma3_text", "gpt2", "gpt_neox", "llama", "mistral",
                                                      "olmo2", "phi3", "qwen2", "qwen3"])
    }

    func testMissingExtraAndMisshapedTensorsInOneError() throws {
        let fx = try Fixture.model("llama_gqa_tied")
        var t = fx.tensors
        t["model.layers.1.mlp.up_proj.weight"] = nil
        t["model.norm.weight"] = Tensor(zeros: [31])
        t["model.extra.scale"] = Tensor(zeros: [3])
        XCTAssertEqual(message { try ModelRegistry.makeModel(modelType: "llama", config: fx.config, weights: InMemoryWeights(t, description: "bad.h5")) },
                       """
                       bad.h5: the tensors do not match the llama architecture (1 missing, 1 with the wrong shape or type, 1 unused):
                         missing model.layers.1.mlp.up_proj.weight [48, 32]
                         wrong shape model.norm.weight: expected [32], found [31]
                         unused model.extra.scale [3]
                       """)
    }

    func testMissingTensor() throws {
        let fx = try Fixture.model("gpt2_tiny")
        var t = fx.tensors
        t["transformer.h.0.attn.c_attn.bias"] = nil
        XCTAssertEqual(message { try ModelRegistry.makeModel(modelType: "gpt2", config: fx.config, weights: InMemoryWeights(t)) },
                       "in-memory weights: the tensors do not match the gpt2 architecture (1 missing):\n  missing transformer.h.0.attn.c_attn.bias [48]")
    }

    func testExtraTensor() throws {
        let fx = try Fixture.model("qwen2_bias")
        var t = fx.tensors
        t["model.layers.0.self_attn.o_proj.bias"] = Tensor(zeros: [32])
        XCTAssertEqual(message { try ModelRegistry.makeModel(modelType: "qwen2", config: fx.config, weights: InMemoryWeights(t)) },
                       "in-memory weights: the tensors do not match the qwen2 architecture (1 unused):\n  unused model.layers.0.self_attn.o_proj.bias [32]")
    }

    func testWrongShapeIncludingTransposedConv1D() throws {
        let fx = try Fixture.model("gpt2_tiny")
        var t = fx.tensors
        t["transformer.h.1.mlp.c_fc.weight"] = Tensor(zeros: [64, 16])
        XCTAssertEqual(message { try ModelRegistry.makeModel(modelType: "gpt2", config: fx.config, weights: InMemoryWeights(t)) },
                       "in-memory weights: the tensors do not match the gpt2 architecture (1 with the wrong shape or type):\n  wrong shape transformer.h.1.mlp.c_fc.weight: expected [16, 64], found [64, 16]")
    }

    func testSanitizeDropsBuffersAndAcceptsBareNames() throws {
        let fx = try Fixture.model("gpt2_tiny")
        var t: [String: Tensor] = [:]
        for (k, v) in fx.tensors { t[k.replacingOccurrences(of: "transformer.", with: "")] = v }
        t["h.0.attn.bias"] = Tensor(zeros: [1, 1, 32, 32])
        t["transformer.h.1.attn.masked_bias"] = Tensor(zeros: [1])
        let model = try ModelRegistry.makeModel(modelType: "gpt2", config: fx.config, weights: InMemoryWeights(t))
        let reference = try fx.makeModel()
        let groups = [PromptGroup(prompt: [3, 4], continuations: [[5, 6]])]
        XCTAssertEqual(try model.score(groups, options: ForwardOptions()), try reference.score(groups, options: ForwardOptions()))

        let lfx = try Fixture.model("llama_untied")
        var lt = lfx.tensors
        lt["model.layers.0.self_attn.rotary_emb.inv_freq"] = Tensor(zeros: [4])
        XCTAssertNoThrow(try ModelRegistry.makeModel(modelType: "llama", config: lfx.config, weights: InMemoryWeights(lt)))
    }

    func testNewFamiliesSanitizeAndBindStrictly() throws {
        // GPT-NeoX: bare GPTNeoXModel names, Pythia's `embed_out`, old mask and inv_freq buffers.
        let fx = try Fixture.model("neox_parallel")
        var t: [String: Tensor] = [:]
        for (k, v) in fx.tensors { t[k == "lm_head.weight" ? "embed_out.weight" : k.replacingOccurrences(of: "gpt_neox.", with: "")] = v }
        t["layers.0.attention.bias"] = Tensor(zeros: [1, 1, 24, 24])
        t["layers.0.attention.masked_bias"] = Tensor(zeros: [1])
        t["layers.1.attention.rotary_emb.inv_freq"] = Tensor(zeros: [2])
        let groups = [PromptGroup(prompt: [3, 4], continuations: [[5, 6]])]
        XCTAssertEqual(try ModelRegistry.makeModel(modelType: "gpt_neox", config: fx.config, weights: InMemoryWeights(t)).score(groups, options: ForwardOptions()),
                       try fx.makeModel().score(groups, options: ForwardOptions()))
        // Phi-3: fused tensors are bound (and reported) under their stored names.
        let phi = try Fixture.model("phi3_window")
        var p = phi.tensors
        p["model.layers.1.self_attn.qkv_proj.weight"] = Tensor(zeros: [32, 32])
        p["model.layers.0.mlp.gate_up_proj.weight"] = nil
        XCTAssertEqual(message { try ModelRegistry.makeModel(modelType: "phi3", config: phi.config, weights: InMemoryWeights(p)) },
                       """
                       in-memory weights: the tensors do not match the phi3 architecture (1 missing, 1 with the wrong shape or type):
                         missing model.layers.0.mlp.gate_up_proj.weight [96, 32]
                         wrong shape model.layers.1.self_attn.qkv_proj.weight: expected [64, 32], found [32, 32]
                       """)
        // Gemma 3: the per-head q/k norms are required.
        let gemma = try Fixture.model("gemma3_window")
        var g = gemma.tensors
        g["model.layers.2.self_attn.k_norm.weight"] = nil
        XCTAssertEqual(message { try ModelRegistry.makeModel(modelType: "gemma3_text", config: gemma.config, weights: InMemoryWeights(g)) },
                       "in-memory weights: the tensors do not match the gemma3_text architecture (1 missing):\n  missing model.layers.2.self_attn.k_norm.weight [8]")
    }

    func testTiedDuplicateMustEqualTheEmbedding() throws {
        let fx = try Fixture.model("llama_gqa_tied")
        var t = fx.tensors
        XCTAssertNotNil(t["lm_head.weight"], "the fixture keeps the tied duplicate, as state_dict() does")
        var head = t["lm_head.weight"]!.array
        head[5] += 1
        t["lm_head.weight"] = Tensor(shape: t["lm_head.weight"]!.shape, values: head)
        XCTAssertEqual(message { try ModelRegistry.makeModel(modelType: "llama", config: fx.config, weights: InMemoryWeights(t)) },
                       "in-memory weights: 'lm_head.weight' differs from 'model.embed_tokens.weight' although the configuration ties them (tie_word_embeddings); set tie_word_embeddings to false if they are separate")
    }

    func testInvalidConfigs() throws {
        let fx = try Fixture.model("llama_gqa_tied")
        func make(_ json: String, _ type: String = "llama") -> String {
            message { try ModelRegistry.makeModel(modelType: type, config: try JSONParser.parse(json), weights: fx.weights) }
        }
        let base = #""vocab_size":67,"hidden_size":32,"intermediate_size":48,"num_hidden_layers":2"#
        XCTAssertEqual(make("{\(base),\"num_attention_heads\":4,\"num_key_value_heads\":3}"),
                       "invalid llama configuration, key 'num_key_value_heads': 3 does not divide num_attention_heads (4)")
        XCTAssertEqual(make("{\(base),\"num_attention_heads\":\"4\"}"),
                       "invalid llama configuration, key 'num_attention_heads': expected an integer, got string")
        XCTAssertEqual(make(#"{"vocab_size":67}"#),
                       "invalid llama configuration, key 'hidden_size': required but missing")
        XCTAssertEqual(make("{\(base),\"num_attention_heads\":4,\"rope_scaling\":{\"type\":\"yarn\",\"factor\":4}}"),
                       "invalid llama configuration, key 'rope_scaling.rope_type': rope type 'yarn' is not supported (default, linear, llama3)")
        XCTAssertEqual(make("{\(base),\"num_attention_heads\":4,\"rope_parameters\":{\"rope_type\":\"llama3\",\"rope_theta\":10000.0,\"factor\":8}}"),
                       "invalid llama configuration, key 'rope_parameters.low_freq_factor': required for rope type 'llama3'")
        XCTAssertEqual(make("{\(base),\"num_attention_heads\":4,\"hidden_act\":\"gelu\"}"),
                       "invalid llama configuration, key 'hidden_act': 'gelu' is not supported (silu)")
        XCTAssertEqual(make("[1]", "gpt2"), "invalid gpt2 configuration, key '(root)': expected a JSON object, got array")
        XCTAssertEqual(make(#"{"n_embd":16,"n_head":5}"#, "gpt2"), "invalid gpt2 configuration, key 'n_head': 5 does not divide n_embd (16)")
        XCTAssertEqual(make(#"{"n_embd":16,"n_head":4,"n_layer":0}"#, "gpt2"), "invalid gpt2 configuration, key 'n_layer': expected a positive integer, got 0")
    }

    func testSequenceLongerThanTheContext() throws {
        let model = try Fixture.model("gpt2_tiny").makeModel()
        XCTAssertEqual(model.contextLength, 32)
        XCTAssertNoThrow(try model.score([PromptGroup(prompt: Array(repeating: 1, count: 30), continuations: [[2, 3]])], options: ForwardOptions()))
        XCTAssertEqual(message { try model.score([PromptGroup(prompt: Array(repeating: 1, count: 30), continuations: [[2, 3], [2, 3, 4]])], options: ForwardOptions()) },
                       "a sequence of 33 tokens is longer than the gpt2 model's context of 32 tokens; softq never truncates: shorten or split the input")
        let cache = model.makeCache()
        _ = try model.logits(appending: Array(repeating: 1, count: 32), to: cache)
        XCTAssertEqual(message { try model.logits(appending: [1], to: cache) },
                       "a sequence of 33 tokens is longer than the gpt2 model's context of 32 tokens; softq never truncates: shorten or split the input")
    }

    func testOtherBadInputs() throws {
        let model = try Fixture.model("gpt2_tiny").makeModel()
        XCTAssertEqual(message { try model.score([PromptGroup(prompt: [1], continuations: [[2]]), PromptGroup(prompt: [], continuations: [[2]])], options: ForwardOptions()) },
                       "prompt group 1 has an empty prompt: a prompt needs at least one token (the BOS or first token)")
        XCTAssertEqual(message { try model.score([PromptGroup(prompt: [1], continuations: [[2, 61]])], options: ForwardOptions()) },
                       "token id 61 at position 2 is outside the vocabulary (0..<61)")
    }
}
