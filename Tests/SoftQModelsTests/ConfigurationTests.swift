import Foundation
import SoftQBase
import SoftQCheckpoint
import SoftQModels
import TestSupport
import XCTest

/// Real-world configurations decode (transformers 4.x and 5.x spellings), and sliding-window
/// models equal full attention up to their window.
final class ConfigurationTests: XCTestCase {
    func parse(_ s: String) throws -> JSONValue { try JSONParser.parse(s) }

    func testTransformers4And5RopeSpellingsDecodeAlike() throws {
        let v4 = try parse(#"{"model_type":"llama","vocab_size":128256,"hidden_size":2048,"intermediate_size":8192,"num_hidden_layers":16,"num_attention_heads":32,"num_key_value_heads":8,"head_dim":64,"max_position_embeddings":131072,"rms_norm_eps":1e-05,"rope_theta":500000.0,"rope_scaling":{"factor":32.0,"high_freq_factor":4.0,"low_freq_factor":1.0,"original_max_position_embeddings":8192,"rope_type":"llama3"},"tie_word_embeddings":true,"bos_token_id":128000,"eos_token_id":[128001,128008,128009]}"#)
        let v5 = try parse(#"{"model_type":"llama","vocab_size":128256,"hidden_size":2048,"intermediate_size":8192,"num_hidden_layers":16,"num_attention_heads":32,"num_key_value_heads":8,"head_dim":64,"max_position_embeddings":131072,"rms_norm_eps":1e-05,"rope_parameters":{"rope_type":"llama3","rope_theta":500000.0,"factor":32.0,"high_freq_factor":4.0,"low_freq_factor":1.0,"original_max_position_embeddings":8192},"tie_word_embeddings":true,"bos_token_id":128000,"eos_token_id":[128001,128008,128009]}"#)
        let a = try LlamaConfiguration(modelType: "llama", json: v4), b = try LlamaConfiguration(modelType: "llama", json: v5)
        XCTAssertEqual(a, b)
        XCTAssertEqual(a.ropeScaling, .llama3(factor: 32, lowFreqFactor: 1, highFreqFactor: 4, originalContextLength: 8192))
        XCTAssertEqual(a.base.eosTokenIds, [128001, 128008, 128009])
        // Highest frequency kept, lowest divided by the factor (wavelengths 2π vs 2π·500000^(62/64)).
        XCTAssertEqual(a.inverseFrequencies[0], 1)
        XCTAssertEqual(a.inverseFrequencies[31], pow(500000.0, -62.0 / 64) / 32, accuracy: 1e-18)
        // Old `type` key and linear scaling.
        let lin = try LlamaConfiguration(modelType: "llama", json: try parse(#"{"vocab_size":10,"hidden_size":8,"intermediate_size":8,"num_hidden_layers":1,"num_attention_heads":2,"rope_scaling":{"type":"linear","factor":2.0}}"#))
        XCTAssertEqual(lin.inverseFrequencies, [0.5, 0.005])
        XCTAssertEqual(lin.ropeTheta, 10000)
    }

    func testSmolLM2MistralAndQwen2ConfigurationsLoad() throws {
        let smol = try LlamaConfiguration(modelType: "llama", json: try parse(#"{"architectures":["LlamaForCausalLM"],"attention_bias":false,"attention_dropout":0.0,"bos_token_id":1,"eos_token_id":2,"hidden_act":"silu","hidden_size":576,"initializer_range":0.041666666666666664,"intermediate_size":1536,"is_llama_config":true,"max_position_embeddings":8192,"model_type":"llama","num_attention_heads":9,"num_hidden_layers":30,"num_key_value_heads":3,"pretraining_tp":1,"rms_norm_eps":1e-05,"rope_interleaved":false,"rope_scaling":null,"rope_theta":100000,"tie_word_embeddings":true,"torch_dtype":"bfloat16","transformers_version":"4.42.3","use_cache":true,"vocab_size":49152}"#))
        XCTAssertEqual(smol.base.headDim, 64)
        XCTAssertEqual(smol.base.kvHeadCount, 3)
        XCTAssertEqual(smol.ropeTheta, 100000)
        XCTAssertTrue(smol.base.tieWordEmbeddings)
        XCTAssertNil(smol.base.slidingWindow)

        let mistral = try LlamaConfiguration(modelType: "mistral", json: try parse(#"{"architectures":["MistralForCausalLM"],"bos_token_id":1,"eos_token_id":2,"hidden_act":"silu","hidden_size":4096,"intermediate_size":14336,"max_position_embeddings":32768,"model_type":"mistral","num_attention_heads":32,"num_hidden_layers":32,"num_key_value_heads":8,"rms_norm_eps":1e-05,"rope_theta":10000.0,"sliding_window":4096,"tie_word_embeddings":false,"torch_dtype":"bfloat16","vocab_size":32000}"#))
        XCTAssertEqual(mistral.base.slidingWindow, 4096)
        XCTAssertFalse(mistral.qkvBias)

        let qwen = try LlamaConfiguration(modelType: "qwen2", json: try parse(#"{"architectures":["Qwen2ForCausalLM"],"bos_token_id":151643,"eos_token_id":151643,"hidden_act":"silu","hidden_size":896,"intermediate_size":4864,"max_position_embeddings":32768,"max_window_layers":24,"model_type":"qwen2","num_attention_heads":14,"num_hidden_layers":24,"num_key_value_heads":2,"rms_norm_eps":1e-06,"rope_theta":1000000.0,"sliding_window":32768,"tie_word_embeddings":true,"torch_dtype":"bfloat16","use_cache":true,"use_sliding_window":false,"vocab_size":151936}"#))
        XCTAssertTrue(qwen.qkvBias)
        XCTAssertFalse(qwen.outputProjectionBias)
        XCTAssertNil(qwen.base.slidingWindow, "use_sliding_window is false")
        XCTAssertEqual(qwen.base.headDim, 64)

        let gpt2 = try GPT2Configuration(json: try parse(#"{"activation_function":"gelu_new","architectures":["GPT2LMHeadModel"],"attn_pdrop":0.1,"bos_token_id":50256,"embd_pdrop":0.1,"eos_token_id":50256,"initializer_range":0.02,"layer_norm_epsilon":1e-05,"model_type":"gpt2","n_ctx":1024,"n_embd":768,"n_head":12,"n_layer":12,"n_positions":1024,"resid_pdrop":0.1,"vocab_size":50257}"#))
        XCTAssertEqual(gpt2.base.intermediateSize, 3072)
        XCTAssertEqual(gpt2.base.eosTokenIds, [50256])
        XCTAssertEqual(gpt2.activation, .geluTanh)
    }

    func testSlidingWindowEqualsFullAttentionUpToTheWindowOnly() throws {
        let fx = try Fixture.model("llama_gqa_tied")
        guard case .object(var fields) = fx.config else { return XCTFail("config is not an object") }
        fields.removeAll { $0.0 == "model_type" }
        fields.append(("sliding_window", .int(8)))
        let mistral = try ModelRegistry.makeModel(modelType: "mistral", config: .object(fields), weights: fx.weights)
        let llama = try fx.makeModel()
        let upToWindow = [PromptGroup(prompt: [0, 5, 6], continuations: [[7, 8, 9, 10, 11]])]
        XCTAssertEqual(try mistral.score(upToWindow, options: ForwardOptions()), try llama.score(upToWindow, options: ForwardOptions()))
        // One token more: the last position (8) no longer sees position 0, so its row differs.
        let beyond = [PromptGroup(prompt: [0, 5, 6], continuations: [[7, 8, 9, 10, 11, 12]])]
        let m = try mistral.score(beyond, options: ForwardOptions())[0][0], l = try llama.score(beyond, options: ForwardOptions())[0][0]
        XCTAssertEqual(m.logprobs, l.logprobs, "rows 2 … 7 see at most 8 positions")
        XCTAssertEqual(Array(m.logsumexp.prefix(6)), Array(l.logsumexp.prefix(6)))
        XCTAssertNotEqual(m.logsumexp[6], l.logsumexp[6])
    }
}
