import Foundation
import SoftQBase
import SoftQEvaluation
import TestSupport
import XCTest

/// AUROC and ProcessBench first-error localisation against scikit-learn and numpy (fixture
/// from Scripts/reference/make_steps_reference.py). softq's AUROC is one correctly rounded
/// division of an exact integer count; sklearn integrates the ROC curve with the trapezoid
/// rule over at most a few hundred points, each rounding adding at most ~1 ulp of a value
/// ≤ 1, so the two agree to 1e-12. Thresholds are midpoints computed the same way in both
/// ((a + b) / 2) and accuracies are count ratios, so τ, accuracies and F1 must match exactly.
final class StepEvaluationTests: XCTestCase {
    static func fixture() throws -> JSONValue {
        let url = try XCTUnwrap(Bundle.module.url(forResource: "steps", withExtension: "json", subdirectory: "Fixtures"))
        let doc = try JSONParser.parse(String(decoding: try Data(contentsOf: url), as: UTF8.self))
        XCTAssertEqual(doc["format_version"]?.intValue, 1, "fixture format this test understands")
        return doc
    }

    func testAUROCMatchesScikitLearn() throws {
        let cases = try XCTUnwrap(Self.fixture()["auroc"]?.arrayValue)
        XCTAssertEqual(cases.count, 7)
        for c in cases {
            let got = try auroc(positive: try doubles(c["positive"]), negative: try doubles(c["negative"]))
            assertClose([got], [try num(c["auroc"])], atol: 1e-12, c["name"]?.stringValue ?? "?")
        }
    }

    func testAUROCHandCasesAndErrors() throws {
        // One pair per outcome: win, tie (½), loss → (1 + ½ + 0) / 3.
        XCTAssertEqual(try auroc(positive: [1], negative: [0, 1, 2]), 0.5)
        XCTAssertEqual(try auroc(positive: [3, 3], negative: [1]), 1)
        XCTAssertThrowsError(try auroc(positive: [], negative: [1]))
        XCTAssertThrowsError(try auroc(positive: [1], negative: [.nan]))
    }

    /// Flattens step-labelled solutions: steps before the label are correct (positive).
    func classes(_ sols: [JSONValue], position: Int? = nil) throws -> ([Double], [Double]) {
        var pos: [Double] = [], neg: [Double] = []
        for s in sols {
            let label = try XCTUnwrap(s["label"]?.intValue)
            for (k, v) in try doubles(s["scores"]).enumerated() where position == nil || position == k {
                if label < 0 || k < label { pos.append(v) } else { neg.append(v) }
            }
        }
        return (pos, neg)
    }

    func testFirstErrorThresholdAndF1MatchNumpy() throws {
        let cases = try XCTUnwrap(Self.fixture()["steps"]?.arrayValue)
        XCTAssertEqual(cases.count, 3)
        for c in cases {
            let name = c["name"]?.stringValue ?? "?"
            let e = try XCTUnwrap(c["expected"])
            let input = try XCTUnwrap(c["input"]?.arrayValue), validation = try XCTUnwrap(c["validation"]?.arrayValue)
            let (pos, neg) = try classes(input)
            XCTAssertEqual([pos.count, neg.count], [e["n_correct_steps"]?.intValue, e["n_wrong_steps"]?.intValue].compactMap { $0 }, name)
            assertClose([try auroc(positive: pos, negative: neg)], [try num(e["auroc"])], atol: 1e-12, "\(name) step AUROC")

            let tau = try FirstErrorThreshold(stepScores: try validation.map { try doubles($0["scores"]) },
                                              labels: try validation.map { try XCTUnwrap($0["label"]?.intValue) })
            switch e["threshold"] {
            case .string("-inf")?: XCTAssertEqual(tau.threshold, -.infinity, name)
            case .string("inf")?: XCTAssertEqual(tau.threshold, .infinity, name)
            default: XCTAssertEqual(tau.threshold, try num(e["threshold"]), name)
            }
            XCTAssertEqual(tau.candidates, e["threshold_candidates"]?.intValue, name)
            XCTAssertEqual(tau.scores.accuracyErroneous, try num(e["validation_accuracy_erroneous"]), name)
            XCTAssertEqual(tau.scores.accuracyCorrect, try num(e["validation_accuracy_correct"]), name)
            XCTAssertEqual(tau.scores.f1, try num(e["validation_f1"]), name)

            let predicted = try input.map { firstStepBelow(try doubles($0["scores"]), threshold: tau.threshold) }
            XCTAssertEqual(predicted, try XCTUnwrap(e["predicted"]?.arrayValue).map { try XCTUnwrap($0.intValue) }, name)
            let s = try FirstErrorScores(predicted: predicted, labels: try input.map { try XCTUnwrap($0["label"]?.intValue) })
            XCTAssertEqual([s.accuracyErroneous, s.accuracyCorrect, s.f1],
                           [try num(e["accuracy_erroneous"]), try num(e["accuracy_correct"]), try num(e["f1"])], name)
        }
    }

    func testThresholdRulesOnHandCases() throws {
        // Validation: a correct solution with steps (1, 2), an erroneous one wrong at step 1
        // with (1, -1). Distinct scores −1, 1, 2, so the candidates are −∞, 0, 1.5, +∞; τ = 0
        // flags exactly the wrong step (F1 = 1), the only candidate in (−1, 1] that does.
        let t = try FirstErrorThreshold(stepScores: [[1, 2], [1, -1]], labels: [-1, 1])
        XCTAssertEqual(t.threshold, 0)
        XCTAssertEqual(t.candidates, 4)
        XCTAssertEqual(t.scores.f1, 1)
        // Equal F1 everywhere (all steps tied): the smallest candidate, −∞, wins the tie.
        let flat = try FirstErrorThreshold(stepScores: [[0, 0], [0]], labels: [-1, 0])
        XCTAssertEqual(flat.threshold, -.infinity)
        XCTAssertEqual(flat.scores.f1, 0)
        XCTAssertThrowsError(try FirstErrorThreshold(stepScores: [[1]], labels: [-1]))   // no erroneous solution
        XCTAssertEqual(firstStepBelow([3, 1, 0], threshold: 1), 2)
        XCTAssertEqual(firstStepBelow([3, 1], threshold: 1), -1)
        let s = try FirstErrorScores(predicted: [0, -1, 2], labels: [0, 1, -1])
        XCTAssertEqual([s.accuracyErroneous, s.accuracyCorrect, s.f1], [0.5, 0, 0])
    }
}
