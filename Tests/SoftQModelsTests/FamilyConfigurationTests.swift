import Foundation
import SoftQBase
import SoftQCheckpoint
import SoftQModels
import TestSupport
import XCTest

/// The newer families' configurations: transformers 4.x and 5.x spellings decode alike, defaults
/// follow transformers, and what is not implemented is an error naming the key.
final class FamilyConfigurationTests: XCTestCase {
    func parse(_ s: String) throws -> JSONValue { try JSONParser.parse(s) }
    func message(_ body: () throws -> Any) -> String {
        do { _ = try body(); return "no error" } catch { return "\(error)" }
    }

    func testGemma3LocalAndGlobalRopeAndLayerTypesIn4xAnd5xSpellings() throws {
        // Shaped like a released Gemma 3 1B text config (4.x keys), with linear scaling added to
        // the global layers; 5.x moves the bases into rope_parameters per layer type.
        let sizes = #""vocab_size":262144,"hidden_size":1152,"intermediate_size":6912,"num_hidden_layers":8,"num_attention_heads":4,"num_key_value_heads":1,"head_dim":256,"max_position_embeddings":32768,"query_pre_attn_scalar":256,"rms_norm_eps":1e-06,"hidden_activation":"gelu_pytorch_tanh","sliding_window":512,"attn_logit_softcapping":null,"final_logit_softcapping":null,"bos_token_id":2,"eos_token_id":[1,106]"#
        let v4 = try GemmaConfiguration(modelType: "gemma3_text", json: try parse(#"{\#(sizes),"rope_theta":1000000,"rope_local_base_freq":10000,"rope_scaling":{"rope_type":"linear","factor":8.0},"sliding_window_pattern":6}"#))
        let v5 = try GemmaConfiguration(modelType: "gemma3_text", json: try parse(#"{\#(sizes),"layer_types":["sliding_attention","sliding_attention","sliding_attention","sliding_attention","sliding_attention","full_attention","sliding_attention","sliding_attention"],"rope_parameters":{"full_attention":{"rope_type":"linear","factor":8.0,"rope_theta":1000000.0},"sliding_attention":{"rope_type":"default","rope_theta":10000.0}}}"#))
        XCTAssertEqual(v4, v5)
        XCTAssertEqual(v4.layerWindows, [512, 512, 512, 512, 512, nil, 512, 512])
        XCTAssertEqual(v4.localInverseFrequencies[1], pow(10000, -2.0 / 256), accuracy: 1e-18)
        XCTAssertEqual(v4.globalInverseFrequencies[1], pow(1_000_000, -2.0 / 256) / 8, accuracy: 1e-18)
        XCTAssertEqual(v4.attentionScale, 1 / 16)
        XCTAssertNil(v4.attentionSoftcap)
        XCTAssertTrue(v4.base.tieWordEmbeddings, "Gemma ties by default")
        XCTAssertEqual(message { try GemmaConfiguration(modelType: "gemma3_text", json: try self.parse(#"{\#(sizes),"use_bidirectional_attention":true}"#)) },
                       "invalid gemma3_text configuration, key 'use_bidirectional_attention': bidirectional attention is not a causal language model; only false is supported")
    }

    func testGemma2DefaultsAlternateLayersAndCapLogits() throws {
        let sizes = #""vocab_size":256000,"hidden_size":2304,"intermediate_size":9216,"num_hidden_layers":4,"num_attention_heads":8,"num_key_value_heads":4,"head_dim":256,"rope_theta":10000.0"#
        let c = try GemmaConfiguration(modelType: "gemma2", json: try parse("{\(sizes)}"))
        XCTAssertEqual(c.layerWindows, [4096, nil, 4096, nil], "4.x: even layers are local")
        XCTAssertEqual(c.attentionSoftcap, 50)
        XCTAssertEqual(c.finalLogitSoftcap, 30)
        XCTAssertEqual(c.attentionScale, 1 / 16, "query_pre_attn_scalar defaults to 256")
        let uncapped = try GemmaConfiguration(modelType: "gemma2", json: try parse(#"{\#(sizes),"attn_logit_softcapping":null,"final_logit_softcapping":null}"#))
        XCTAssertNil(uncapped.attentionSoftcap)
        XCTAssertNil(uncapped.finalLogitSoftcap)
        // Gemma 1's legacy hidden_act "gelu" means the tanh form; Gemma 2 takes "gelu" literally.
        let g1 = try GemmaConfiguration(modelType: "gemma", json: try parse(#"{\#(sizes),"hidden_act":"gelu"}"#))
        XCTAssertEqual(g1.activation, .geluTanh)
        XCTAssertEqual(try GemmaConfiguration(modelType: "gemma2", json: try parse(#"{\#(sizes),"hidden_activation":"gelu"}"#)).activation, .geluErf)
    }

    func testGPTNeoXPythiaConfigIn4xAnd5xSpellings() throws {
        // Pythia-70m's sizes; 4.x spells rotary settings rotary_pct / rotary_emb_base.
        let sizes = #""vocab_size":50304,"hidden_size":512,"intermediate_size":2048,"num_hidden_layers":6,"num_attention_heads":8,"max_position_embeddings":2048,"layer_norm_eps":1e-05,"hidden_act":"gelu","use_parallel_residual":true,"tie_word_embeddings":false,"bos_token_id":0,"eos_token_id":0"#
        let v4 = try GPTNeoXConfiguration(json: try parse(#"{\#(sizes),"rotary_pct":0.25,"rotary_emb_base":10000}"#))
        let v5 = try GPTNeoXConfiguration(json: try parse(#"{\#(sizes),"rope_parameters":{"rope_type":"default","rope_theta":10000.0,"partial_rotary_factor":0.25}}"#))
        XCTAssertEqual(v4, v5)
        XCTAssertEqual(v4.rotaryDim, 16)
        XCTAssertEqual(v4.inverseFrequencies.count, 8)
        XCTAssertEqual(v4.inverseFrequencies[1], pow(10000, -2.0 / 16), accuracy: 1e-18)
        XCTAssertTrue(v4.parallelResidual)
        XCTAssertTrue(v4.attentionBias)
        XCTAssertEqual(try GPTNeoXConfiguration(json: try parse("{\(sizes)}")).rotaryDim, 16, "rotary_pct defaults to 0.25")
        XCTAssertEqual(message { try GPTNeoXConfiguration(json: try self.parse(#"{\#(sizes),"rotary_pct":0.01}"#)) },
                       "invalid gpt_neox configuration, key 'rotary_pct': gives 0 rotary dimensions of a 64-wide head; rotary embeddings need an even number in 2 … 64")
    }

    func testPhi3PartialRotaryAndLongRopeIsAnError() throws {
        let sizes = #""vocab_size":32064,"hidden_size":3072,"intermediate_size":8192,"num_hidden_layers":2,"num_attention_heads":32,"num_key_value_heads":32,"max_position_embeddings":4096,"rms_norm_eps":1e-05,"sliding_window":2047"#
        let phi = try LlamaConfiguration(modelType: "phi3", json: try parse(#"{\#(sizes),"rope_theta":10000.0}"#))
        XCTAssertEqual(phi.layerWindows, [2047, 2047])
        XCTAssertEqual(phi.rotaryDim, 96)
        XCTAssertEqual(try LlamaConfiguration(modelType: "phi3", json: try parse(#"{\#(sizes),"partial_rotary_factor":0.5}"#)).rotaryDim, 48)
        XCTAssertEqual(message { try LlamaConfiguration(modelType: "phi3", json: try self.parse(#"{\#(sizes),"rope_scaling":{"type":"longrope","short_factor":[1.0],"long_factor":[2.0]}}"#)) },
                       "invalid phi3 configuration, key 'rope_scaling.rope_type': rope type 'longrope' is not supported (default, linear, llama3)")
        XCTAssertEqual(message { try LlamaConfiguration(modelType: "phi3", json: try self.parse(#"{\#(sizes),"rope_scaling":{"type":"su","short_factor":[1.0],"long_factor":[2.0]}}"#)) },
                       "invalid phi3 configuration, key 'rope_scaling.rope_type': rope type 'su' is not supported (default, linear, llama3)")
        // Only Phi-3 among the LLaMA-like families rotates part of a head.
        XCTAssertEqual(message { try LlamaConfiguration(modelType: "llama", json: try self.parse(#"{\#(sizes),"rope_parameters":{"rope_type":"default","rope_theta":10000.0,"partial_rotary_factor":0.5}}"#)) },
                       "invalid llama configuration, key 'rope_parameters.partial_rotary_factor': partial rotary embeddings are not supported (got 0.5)")
    }

    func testQwenWindowsPerLayerWithoutLayerTypes() throws {
        // 4.x Qwen2/Qwen3 configs have no layer_types: layers from max_window_layers on slide,
        // and only with use_sliding_window.
        let sizes = #""vocab_size":100,"hidden_size":64,"intermediate_size":128,"num_hidden_layers":4,"num_attention_heads":4,"num_key_value_heads":2,"head_dim":32,"sliding_window":16,"max_window_layers":2"#
        for type in ["qwen2", "qwen3"] {
            XCTAssertEqual(try LlamaConfiguration(modelType: type, json: try parse(#"{\#(sizes),"use_sliding_window":true}"#)).layerWindows, [nil, nil, 16, 16])
            XCTAssertEqual(try LlamaConfiguration(modelType: type, json: try parse(#"{\#(sizes),"use_sliding_window":false}"#)).layerWindows, [nil, nil, nil, nil])
        }
        let qwen3 = try LlamaConfiguration(modelType: "qwen3", json: try parse("{\(sizes)}"))
        XCTAssertTrue(qwen3.qkNorm)
        XCTAssertFalse(qwen3.qkvBias, "Qwen3 has no q/k/v bias unless attention_bias")
        XCTAssertEqual(qwen3.base.headDim, 32, "explicit head_dim, not 64/4")
        XCTAssertEqual(message { try LlamaConfiguration(modelType: "qwen2", json: try self.parse(#"{\#(sizes),"layer_types":["full_attention","chunked_attention","full_attention","full_attention"]}"#)) },
                       "invalid qwen2 configuration, key 'layer_types': 'chunked_attention' is not supported (full_attention, sliding_attention)")
    }
}
