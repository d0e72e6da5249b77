import Foundation
import SoftQBase
import SoftQCheckpoint
import SoftQModels
import XCTest

/// Reads the fixtures written by Scripts/reference/make_model_fixtures.py (format version 1):
/// arrays are {"shape": [...], "f32" | "f64": base64 little-endian}.
enum Fixture {
    static let formatVersion = 1

    static func url(_ name: String) throws -> URL {
        guard let u = Bundle.module.url(forResource: "Fixtures/\(name)", withExtension: nil) else {
            throw NSError(domain: "Fixture", code: 1, userInfo: [NSLocalizedDescriptionKey: "fixture \(name) not found"])
        }
        return u
    }

    static func json(_ name: String) throws -> JSONValue {
        let text = try String(contentsOf: try url(name), encoding: .utf8)
        let v = try JSONParser.parse(text)
        XCTAssertEqual(v["format_version"]?.intValue, formatVersion, "\(name): fixture format version")
        return v
    }

    static func shape(_ v: JSONValue) -> [Int] { v["shape"]?.arrayValue?.compactMap(\.intValue) ?? [] }

    static func floats(_ v: JSONValue?) -> [Float] {
        guard let s = v?["f32"]?.stringValue, let d = Data(base64Encoded: s) else { return [] }
        return d.withUnsafeBytes { raw in (0..<(d.count / 4)).map { Float(bitPattern: UInt32(littleEndian: raw.loadUnaligned(fromByteOffset: $0 * 4, as: UInt32.self))) } }
    }

    static func doubles(_ v: JSONValue?) -> [Double] {
        guard let s = v?["f64"]?.stringValue, let d = Data(base64Encoded: s) else { return [] }
        return d.withUnsafeBytes { raw in (0..<(d.count / 8)).map { Double(bitPattern: UInt64(littleEndian: raw.loadUnaligned(fromByteOffset: $0 * 8, as: UInt64.self))) } }
    }

    /// A model fixture: its config, weights as an in-memory source, and the reference sequences.
    struct Model {
        let name: String
        let modelType: String
        let config: JSONValue
        let tensors: [String: Tensor]
        let sequences: [JSONValue]
        let tolerance: JSONValue

        var weights: InMemoryWeights { InMemoryWeights(tensors, description: "\(name) weights") }

        func makeModel() throws -> DecoderLanguageModel {
            try ModelRegistry.makeDecoder(modelType: modelType, config: config, weights: weights)
        }

        func tol(_ key: String) -> Double { tolerance[key]?.doubleValue ?? 0 }
    }

    static func model(_ name: String) throws -> Model {
        let j = try json(name + ".json")
        var tensors: [String: Tensor] = [:]
        for (k, v) in j["weights"]?.objectValue ?? [] { tensors[k] = Tensor(shape: shape(v), values: floats(v)) }
        return Model(name: name, modelType: j["model_type"]?.stringValue ?? "", config: j["config"] ?? .null,
                     tensors: tensors, sequences: j["sequences"]?.arrayValue ?? [], tolerance: j["tolerance"] ?? .null)
    }

    /// Every model fixture; the first four (and gemma2_window) also ship as h5 checkpoints.
    static let modelNames = ["gpt2_tiny", "llama_gqa_tied", "llama_untied", "qwen2_bias"] + newFamilyNames
    /// Sliding windows and the families built on the shared rotary decoder.
    static let newFamilyNames = ["mistral_window", "qwen2_window", "qwen3_window", "neox_parallel", "neox_sequential",
                                 "gemma_tiny", "gemma2_window", "gemma3_window", "phi3_window", "olmo2_tiny"]
    static let checkpointNames = ["gpt2_tiny", "llama_gqa_tied", "llama_untied", "qwen2_bias", "gemma2_window"]

    /// The token ids of fixture sequence `index`.
    static func tokens(_ fx: Model, _ index: Int) -> [Int] {
        fx.sequences[index]["tokens"]?.arrayValue?.compactMap(\.intValue) ?? []
    }
}
