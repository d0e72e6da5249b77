import Foundation
import SoftQBase
@testable import SoftQReport
import TestSupport
import XCTest

/// `json` with its provenance naming a checkpoint of SHA-256 `sha` (what joins runs).
func withCheckpoint(_ json: JSONValue?, _ sha: String) -> JSONValue? {
    guard case .object(var f)? = json else { return json }
    f.removeAll { $0.0 == "provenance" }
    f.append(("provenance", .object([("checkpoint", .object([("sha256", .string(sha))]))])))
    return .object(f)
}

/// An analysis run of a checkpoint is shown beside that checkpoint's scoring run, not as a run
/// of its own (each command writes its own run directory).
final class CombinedRunsTests: XCTestCase {

    func testAnalysisRunsJoinTheScoringRunOfTheirCheckpoint() throws {
        let dir = try TestPaths.temporaryDirectory("softq-combine")
        defer { try? FileManager.default.removeItem(at: dir) }
        _ = try SyntheticRun.write(to: dir.appendingPathComponent("mle"), analyses: false)
        _ = try SyntheticRun.write(to: dir.appendingPathComponent("mle-robustness"), analyses: true)
        _ = try SyntheticRun.write(to: dir.appendingPathComponent("other-robustness"), analyses: true)
        var score = try RunData.load(dir.appendingPathComponent("mle"))
        var analysis = try RunData.load(dir.appendingPathComponent("mle-robustness"))
        var foreign = try RunData.load(dir.appendingPathComponent("other-robustness"))
        score.summary = withCheckpoint(score.summary, "aaa")
        XCTAssertNil(score.robustness)
        func analysisOnly(_ r: inout RunData, _ sha: String) {
            r.summary = nil; r.pairs = []; r.tokens = []; r.responses = []
            r.length = nil; r.correlation = nil; r.sensitivity = nil; r.steps = nil
            r.robustness = withCheckpoint(r.robustness, sha)
        }
        analysisOnly(&analysis, "aaa")
        analysisOnly(&foreign, "bbb")
        let combined = RunData.combiningAnalyses([analysis, score, foreign])
        XCTAssertEqual(combined.map(\.name), [score.name, foreign.name])
        XCTAssertEqual(combined[0].robustness, analysis.robustness)
        XCTAssertTrue(combined[0].notes.contains("robustness from mle-robustness (the same checkpoint)"), "\(combined[0].notes)")
        XCTAssertEqual(combined[1].robustness, foreign.robustness, "an analysis of another checkpoint stays a run of its own")
    }
}

/// The steps section: steps.json of `softq analyze steps` joins the scoring run of its
/// checkpoint and is drawn as a table and a chart of AUROC by position.
final class StepsSectionTests: XCTestCase {
    /// A small steps.json; with `sha`, its provenance names that checkpoint.
    static func stepsJSON(sha: String?) throws -> JSONValue {
        func block(_ auroc: Double, _ f1: Double, _ threshold: JSONValue) -> String {
            """
            {"auroc": \(auroc), "auroc_ci95": {"low": 0.5, "high": 0.9, "level": 0.95, "method": "percentile bootstrap", "samples": 10, "valid_samples": 10, "seed": 1},
             "auroc_by_position": [{"position": 0, "n_correct": 5, "n_wrong": 2, "auroc": 0.8, "auroc_ci95": null},
                                   {"position": 1, "n_correct": 3, "n_wrong": 0, "auroc": null, "auroc_ci95": null}],
             "validation_auroc": 0.7, "threshold": \(threshold.serialized()), "threshold_candidates": 9,
             "accuracy_erroneous": 0.5, "accuracy_correct": 0.75, "f1": \(f1), "f1_ci95": null}
            """
        }
        return try JSONParser.parse("""
        {"schema_version": 2, "analysis": "steps", "n_solutions": 7, "n_steps": 10,
         "reward": \(block(0.625, 0.6, .double(-1.5))), "logprob": \(block(0.875, 0.25, .string("-inf"))),
         "validation": {"n_solutions": 6}\(sha.map { #", "provenance": {"checkpoint": {"sha256": "\#($0)"}}"# } ?? "")}
        """)
    }

    func testStepsJoinTheScoringRunAndRender() throws {
        let dir = try TestPaths.temporaryDirectory("softq-steps-report")
        defer { try? FileManager.default.removeItem(at: dir) }
        _ = try SyntheticRun.write(to: dir.appendingPathComponent("mle"), analyses: false)
        let stepsDir = dir.appendingPathComponent("mle-steps")
        try FileManager.default.createDirectory(at: stepsDir, withIntermediateDirectories: true)
        try Self.stepsJSON(sha: "aaa").prettySerialized().write(to: stepsDir.appendingPathComponent("steps.json"), atomically: true, encoding: .utf8)
        var score = try RunData.load(dir.appendingPathComponent("mle"))
        let steps = try RunData.load(stepsDir)
        XCTAssertTrue(steps.isAnalysisOnly)
        XCTAssertEqual(steps.checkpointSHA256, "aaa")
        score.summary = withCheckpoint(score.summary, "aaa")
        let combined = RunData.combiningAnalyses([score, steps])
        XCTAssertEqual(combined.count, 1)
        XCTAssertEqual(combined[0].steps, steps.steps)
        XCTAssertTrue(combined[0].notes.contains("steps from mle-steps (the same checkpoint)"), "\(combined[0].notes)")

        let html = try Report.render(combined).html
        XCTAssertTrue(html.contains("<section id=\"steps\""), "the steps section is rendered")
        for text in ["AUROC of step reward", "first-error F1, step log-likelihood", "-1.5; -inf", "Step AUROC by position"] {
            XCTAssertTrue(html.contains(text), "missing \(text)")
        }
        // Without steps.json the section says where the numbers would come from.
        XCTAssertTrue(try Report.render([score]).html.contains("No steps.json (softq analyze steps writes it)"))
    }
}
