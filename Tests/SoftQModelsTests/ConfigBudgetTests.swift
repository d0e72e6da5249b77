import Foundation
import SoftQBase
import SoftQCheckpoint
import SoftQModels
import TestSupport
import XCTest

/// A configuration cannot make the model layer allocate what the weights do not back: the
/// layer count is checked against the tensors present before any per-layer list is built, and
/// binding errors stay readable however many tensors are missing.
final class ConfigBudgetTests: XCTestCase {
    func config(_ fx: Fixture.Model, _ key: String, _ value: Int) -> JSONValue {
        guard case .object(var entries) = fx.config else { return fx.config }
        entries.removeAll { $0.0 == key }
        entries.append((key, .int(value)))
        return .object(entries)
    }

    /// Per-layer settings are built from the declared count while the configuration is
    /// decoded: a count beyond any real model is refused there (the test once peaked at 23 GB
    /// of resident memory building them for 10^9 layers).
    func testABillionLayersAreRefusedWhileDecoding() throws {
        for (name, key) in [("gpt2_tiny", "n_layer"), ("llama_gqa_tied", "num_hidden_layers")] {
            let fx = try Fixture.model(name)
            XCTAssertThrowsError(try ModelRegistry.makeModel(modelType: fx.modelType, config: config(fx, key, 1_000_000_000),
                                                             weights: fx.weights)) { e in
                XCTAssertEqual("\(e)", "invalid \(fx.modelType) configuration, key '\(key)': 1000000000 layers is more than softq accepts (65536); the configuration cannot describe a real checkpoint")
            }
        }
    }

    /// Within the cap, the count is checked against the tensors present before any per-layer
    /// list of expected tensors is built.
    func testMoreLayersThanTensorsFailBeforeBinding() throws {
        // Before the check: 12 × 10^9 expected-tensor entries were built (tens of GB) and the
        // process was killed.
        for (name, key, perLayer) in [("gpt2_tiny", "n_layer", 12), ("llama_gqa_tied", "num_hidden_layers", 9)] {
            let fx = try Fixture.model(name)
            XCTAssertThrowsError(try ModelRegistry.makeModel(modelType: fx.modelType, config: config(fx, key, 60_000),
                                                             weights: fx.weights)) { e in
                XCTAssertEqual("\(e)", "\(name) weights: the \(fx.modelType) configuration declares 60000 layers (\(perLayer) tensors each) but the weights hold only \(fx.tensors.count) tensors in all; the configuration does not describe these weights (check n_layer / num_hidden_layers)")
            }
        }
    }

    func testMissingTensorListIsCapped() throws {
        // 20 layers declared, 2 stored: 216 missing names, of which 20 are listed.
        let fx = try Fixture.model("llama_gqa_tied")
        XCTAssertThrowsError(try ModelRegistry.makeModel(modelType: "llama", config: config(fx, "num_hidden_layers", 20),
                                                         weights: fx.weights)) { e in
            let lines = "\(e)".split(separator: "\n")
            XCTAssert(lines[0].hasSuffix("the tensors do not match the llama architecture (162 missing):"), "\(lines[0])")
            XCTAssertEqual(lines.count, 1 + 20 + 1)
            XCTAssertEqual(lines.last, "  missing ... and 142 more")
        }
    }
}
