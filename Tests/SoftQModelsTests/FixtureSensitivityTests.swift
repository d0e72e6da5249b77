import Foundation
import SoftQBase
import SoftQCheckpoint
import SoftQModels
import TestSupport
import XCTest

/// The fixtures exercise each family's peculiarity: switching it off in the configuration (same
/// weights) moves the logits far away from transformers' (> 1e-2 where the real setting is
/// within 2e-4), so the agreement in ReferenceModelTests is not an accident of tiny models.
final class FixtureSensitivityTests: XCTestCase {
    func distance(_ name: String, _ changes: [(String, String)]) throws -> Double {
        let fx = try Fixture.model(name)
        guard case .object(var fields) = fx.config else { throw ModelError.noTokens }  // fixtures hold objects
        for (key, json) in changes {
            fields.removeAll { $0.0 == key }
            fields.append((key, try JSONParser.parse(json)))
        }
        let model = try ModelRegistry.makeModel(modelType: fx.modelType, config: .object(fields), weights: fx.weights)
        let tokens = Fixture.tokens(fx, 2), ref = Fixture.floats(fx.sequences[2]["logits_fp32"])
        return zip(try model.logitsForAllPositions(tokens), ref).map { abs(Double($0) - Double($1)) }.max() ?? .infinity
    }

    func testSwitchingOffAPeculiarityBreaksTheAgreement() throws {
        let cases: [(String, [(String, String)], String)] = [
            ("gemma2_window", [], "as configured"),
            ("gemma2_window", [("attn_logit_softcapping", "null")], "no attention soft-capping"),
            ("gemma2_window", [("final_logit_softcapping", "null")], "no final soft-capping"),
            ("gemma2_window", [("query_pre_attn_scalar", "8")], "head_dim instead of query_pre_attn_scalar"),
            ("gemma3_window", [], "as configured"),
            ("gemma3_window", [("rope_parameters", #"{"sliding_attention":{"rope_type":"default","rope_theta":10000.0},"full_attention":{"rope_type":"linear","factor":2.0,"rope_theta":10000.0}}"#)], "one rope base for all layers"),
            ("gemma3_window", [("rope_parameters", #"{"sliding_attention":{"rope_type":"default","rope_theta":100.0},"full_attention":{"rope_type":"default","rope_theta":10000.0}}"#)], "no linear scaling on global layers"),
            ("gemma3_window", [("layer_types", #"["sliding_attention","sliding_attention","sliding_attention"]"#)], "every layer local"),
            ("qwen2_window", [("layer_types", #"["sliding_attention","sliding_attention","sliding_attention"]"#)], "layer 0 sliding too"),
            ("neox_parallel", [], "as configured"),
            ("neox_parallel", [("use_parallel_residual", "false")], "sequential residual"),
            ("neox_parallel", [("rope_parameters", #"{"rope_type":"default","rope_theta":1000.0,"partial_rotary_factor":1.0}"#)], "full rotary"),
            ("neox_sequential", [("use_parallel_residual", "true")], "parallel residual"),
            ("phi3_window", [], "as configured"),
            ("phi3_window", [("rope_parameters", #"{"rope_type":"default","rope_theta":10000.0,"partial_rotary_factor":1.0}"#)], "full rotary"),
        ]
        // The two GELU forms differ by < 1e-3 pointwise, so their logits differ less; still
        // twice the float32 tolerance, where the configured form agrees to 2e-6.
        XCTAssertGreaterThan(try distance("neox_sequential", [("hidden_act", #""gelu_new""#)]), 4e-4, "neox_sequential tanh GELU")
        for (name, changes, what) in cases {
            let d = try distance(name, changes)
            if changes.isEmpty {
                XCTAssertLessThan(d, 2e-4, "\(name) \(what)")
            } else {
                XCTAssertGreaterThan(d, 1e-2, "\(name) \(what) should not match transformers")
            }
        }
    }
}
