import Foundation
import SoftQBase
import SoftQEvaluation
import TestSupport
import XCTest
@testable import SoftQAnalysis

/// The analysis files carry the fields SoftQReport reads, in a fixed order, byte-identically.
final class AnalysisFilesTests: XCTestCase {
    func robustness() -> AnalysisFiles {
        let outcomes = [
            PerturbationOutcome(pairIndex: 0, type: "truncate", strength: 0.5, original: 1, perturbed: 0.5),
            PerturbationOutcome(pairIndex: 1, type: "truncate", strength: 0.5, original: 1, perturbed: 2),
        ]
        let s = summarizeRobustness(outcomes, typeOrder: ["truncate"], seed: 0, resamples: 50)
        let inst = outcomes.map { RobustnessInstance(outcome: $0, pairID: "p\($0.pairIndex)", originalTokens: 4, perturbedTokens: 2, perturbedText: "a, \"b\"") }
        return robustnessFiles(s, instances: inst, aggregate: "sum", pairs: 2, options: .object([("seed", .int(0))]),
                               provenance: .object([("softq_version", .string(SoftQVersion.string))]))
    }

    func testRobustnessFilesAreWrittenWithTheReportFields() throws {
        let dir = try TestPaths.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        try robustness().write(to: dir.path)
        let names = try FileManager.default.contentsOfDirectory(atPath: dir.path).sorted()
        XCTAssertEqual(names, ["robustness.json", "robustness_instances.csv", "robustness_instances.jsonl",
                               "robustness_rows.csv", "robustness_rows.jsonl"])
        let json = try JSONParser.parse(String(contentsOf: dir.appendingPathComponent("robustness.json"), encoding: .utf8))
        XCTAssertEqual(json["schema_version"]?.intValue, 2)
        let row = try XCTUnwrap(json["perturbations"]?.arrayValue?.first)
        for key in ["type", "strength", "n", "win_rate", "win_rate_ci95", "mean_reward_drop"] { XCTAssertNotNil(row[key], key) }
        XCTAssertEqual(row["win_rate"]?.doubleValue, 0.5)
        XCTAssertEqual(row["mean_reward_drop"]?.doubleValue, -0.25)
        // The interval is the one shape summary.json uses, and reads back with SoftQEvaluation's reader.
        let ci = try XCTUnwrap(row["win_rate_ci95"].flatMap(ConfidenceInterval.init(json:)))
        XCTAssertEqual(ci.level, 0.95)
        XCTAssertTrue(ci.low <= 0.5 && 0.5 <= ci.high, "\(ci)")
        XCTAssertEqual(json["by_type"]?.arrayValue?.first?["type"]?.stringValue, "truncate")
        XCTAssertNotNil(json["provenance"]?["softq_version"])
        let csv = try String(contentsOf: dir.appendingPathComponent("robustness_instances.csv"), encoding: .utf8)
        XCTAssertTrue(csv.hasPrefix("pair,id,type,strength,original,perturbed,drop,win,original_tokens,perturbed_tokens,perturbed_text\n0,p0,truncate,0.5,1.0,0.5,0.5,true,4,2,\"a, \"\"b\"\"\"\n"), csv)
        // Same inputs, same bytes.
        XCTAssertEqual(robustness().summary.prettySerialized(), json.prettySerialized())
    }

    func testCorrelationAndSensitivityFilesCarryReportFields() throws {
        let gens = (0..<6).map { GradedGeneration(id: "g\($0)", group: "p\($0 / 3)", reward: Double($0), metric: Double($0 % 3),
                                                  logprobSum: -Double($0), logprobMean: -1, tokens: 3) }
        let rows = try rewardMetricCorrelations(gens, seed: 0, resamples: 20)
        let bon = try bestOfN(gens, seed: 0, resamples: 20)
        let files = correlationFiles(rows, bestOfN: bon, generations: gens, aggregate: "sum", metric: "metric",
                                     options: .object([]), provenance: .object([]))
        let j = files.summary
        XCTAssertEqual(j["metric"]?.stringValue, "metric")
        XCTAssertEqual(j["points"]?.arrayValue?.count, 6)
        XCTAssertEqual(j["correlations"]?.arrayValue?.first?["name"]?.stringValue, "spearman (pooled)")
        XCTAssertNotNil(j["correlations"]?.arrayValue?.first?["ci95"])
        let b = try XCTUnwrap(j["best_of_n"]?.arrayValue?.first)
        for key in ["n", "selector", "metric_mean", "ci95"] { XCTAssertNotNil(b[key], key) }
        XCTAssertEqual(files.tables.map(\.0), ["rows", "best_of_n", "generations"])

        let style = try styleAccuracy(chosen: [[1, 2, 3]], rejected: [[0, 0, 0]])
        let sj = styleFiles(style, aggregate: "sum", options: .object([]), provenance: .object([])).summary
        XCTAssertEqual(sj["hard"]?.doubleValue, 1)
        XCTAssertEqual(sj["accuracy"]?.arrayValue?.count, 3)
    }
}
