import Foundation
import XCTest
import SoftQBase
import SoftQRewards
import SoftQCheckpoint
@testable import SoftQTraining

/// The PyTorch reference written by Scripts/reference/make_training_fixtures.py.
struct TrainingReference {
    struct Case {
        var name: String
        var objective: TrainingObjective
        var tdWeight: Double
        var options: RewardOptions
        var loss, mleSum, tdSum: Double
        var tokens: Int
        var gradients: [String: [Double]]
    }
    var config: GPT2TrainingConfig
    var examples: [TrainingExample]
    var weights: [String: (shape: [Int], values: [Double])]
    var logitsExample0: [Double]
    var cases: [Case]

    static func load() throws -> TrainingReference {
        guard let url = Bundle.module.url(forResource: "gpt2_training_reference", withExtension: "json", subdirectory: "Fixtures") else {
            throw XCTSkip("fixture missing: run Scripts/reference/make_training_fixtures.py")
        }
        let json = try JSONParser.parse(String(decoding: try Data(contentsOf: url), as: UTF8.self))
        func need<V>(_ v: V?, _ what: String) throws -> V {
            guard let v else { throw TrainingError.data(file: url.lastPathComponent, line: 1, message: "fixture lacks \(what)") }
            return v
        }
        XCTAssertEqual(json["format_version"]?.intValue, 1, "fixture format version")
        func doubles(_ v: JSONValue?) throws -> [Double] { try need(v?.arrayValue, "array").map { try need($0.doubleValue, "number") } }
        func ints(_ v: JSONValue?) throws -> [Int] { try need(v?.arrayValue, "array").map { try need($0.intValue, "int") } }
        let config = try GPT2TrainingConfig(json: try need(json["config"], "config"), source: url.lastPathComponent)
        let examples = try need(json["examples"]?.arrayValue, "examples").map {
            // The reference marks an example terminal when it ends in the config's EOS.
            let response = try ints($0["response"])
            return TrainingExample(prompt: try ints($0["prompt"]), response: response,
                                   endsWithEOS: response.last.map(config.model.base.eosTokenIds.contains) ?? false)
        }
        var weights: [String: (shape: [Int], values: [Double])] = [:]
        for (name, w) in try need(json["weights"]?.objectValue, "weights") {
            weights[name] = (try ints(w["shape"]), try doubles(w["values"]))
        }
        let cases = try need(json["cases"]?.arrayValue, "cases").map { c -> Case in
            var grads: [String: [Double]] = [:]
            for (name, g) in try need(c["gradients"]?.objectValue, "gradients") { grads[name] = try doubles(g) }
            return Case(name: try need(c["name"]?.stringValue, "name"),
                        objective: try need(TrainingObjective(rawValue: c["objective"]?.stringValue ?? ""), "objective"),
                        tdWeight: try need(c["td_weight"]?.doubleValue, "td_weight"),
                        options: RewardOptions(alpha: try need(c["alpha"]?.doubleValue, "alpha"),
                                               gamma: try need(c["gamma"]?.doubleValue, "gamma"),
                                               terminal: try need(TerminalMode(rawValue: c["terminal"]?.stringValue ?? ""), "terminal")),
                        loss: try need(c["loss"]?.doubleValue, "loss"), mleSum: try need(c["mle_sum"]?.doubleValue, "mle_sum"),
                        tdSum: try need(c["td_sum"]?.doubleValue, "td_sum"), tokens: try need(c["tokens"]?.intValue, "tokens"),
                        gradients: grads)
        }
        return TrainingReference(config: config, examples: examples, weights: weights,
                                 logitsExample0: try doubles(json["logits_example0"]), cases: cases)
    }

    var weightSource: InMemoryWeights {
        InMemoryWeights(weights.mapValues { Tensor(shape: $0.shape, values: $0.values.map { Float($0) }) },
                        description: "gpt2_training_reference.json")
    }

    func model<T: TrainingScalar>(_: T.Type) throws -> GPT2TrainingModel<T> {
        let model = GPT2TrainingModel<T>(config: config)
        try model.layout.load(from: weightSource, into: model.params)
        return model
    }
}
