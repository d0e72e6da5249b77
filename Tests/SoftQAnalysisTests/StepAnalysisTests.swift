import Foundation
import SoftQAnalysis
import SoftQBase
import TestSupport
import XCTest

/// `stepAnalysis` (the step classes, positions, validation threshold and its application)
/// against the numpy / scikit-learn fixture of Scripts/reference/make_steps_reference.py,
/// read from SoftQEvaluationTests' fixtures. Tolerances: AUROC 1e-12 (sklearn's trapezoid
/// rule against an exact count, see StepEvaluationTests); τ, accuracies and F1 exact.
final class StepAnalysisTests: XCTestCase {
    func fixtureCases() throws -> [JSONValue] {
        let url = TestPaths.repositoryRoot.appendingPathComponent("Tests/SoftQEvaluationTests/Fixtures/steps.json")
        let doc = try JSONParser.parse(try String(contentsOf: url, encoding: .utf8))
        XCTAssertEqual(doc["format_version"]?.intValue, 1)
        return try XCTUnwrap(doc["steps"]?.arrayValue)
    }

    /// The fixture's solutions with its scores as both step scores (reward and log-likelihood).
    func solutions(_ v: JSONValue?, negateLogprob: Bool = false) throws -> [StepSolution] {
        try XCTUnwrap(v?.arrayValue).enumerated().map { k, s in
            let scores = try XCTUnwrap(s["scores"]?.arrayValue).map { try XCTUnwrap($0.doubleValue) }
            return StepSolution(id: "s\(k)", label: try XCTUnwrap(s["label"]?.intValue), reward: scores,
                                logprob: negateLogprob ? scores.map { -$0 } : scores,
                                tokens: scores.map { _ in 1 }, bytes: scores.indices.map { $0..<($0 + 1) })
        }
    }

    func testStepAnalysisMatchesTheReference() throws {
        for c in try fixtureCases() {
            let name = c["name"]?.stringValue ?? "?"
            let e = try XCTUnwrap(c["expected"])
            let results = try stepAnalysis(input: try solutions(c["input"]), validation: try solutions(c["validation"]),
                                           seed: 3, resamples: 200)
            XCTAssertEqual(results.map(\.score), [.reward, .logprob])
            for r in results {
                assertClose([r.auroc], [try XCTUnwrap(e["auroc"]?.doubleValue)], atol: 1e-12, "\(name) auroc")
                let positions = try XCTUnwrap(e["by_position"]?.arrayValue)
                XCTAssertEqual(r.byPosition.map(\.position), Array(0..<positions.count), name)
                for (p, x) in zip(r.byPosition, positions) {
                    XCTAssertEqual([p.correct, p.wrong], [x["n_correct"]?.intValue, x["n_wrong"]?.intValue].compactMap { $0 }, name)
                    if let v = x["auroc"]?.doubleValue {
                        assertClose([p.auroc], [v], atol: 1e-12, "\(name) position \(p.position)")
                    } else {
                        XCTAssertTrue(p.auroc.isNaN, "\(name) position \(p.position): one class is empty")
                        XCTAssertNil(p.ci)
                    }
                }
                XCTAssertEqual(r.predicted, try XCTUnwrap(e["predicted"]?.arrayValue).map { try XCTUnwrap($0.intValue) }, name)
                XCTAssertEqual([r.firstError.accuracyErroneous, r.firstError.accuracyCorrect, r.firstError.f1],
                               try ["accuracy_erroneous", "accuracy_correct", "f1"].map { try XCTUnwrap(e[$0]?.doubleValue) }, name)
                XCTAssertEqual(r.threshold.scores.f1, e["validation_f1"]?.doubleValue, name)
                // The intervals are seeded bootstraps over solutions: they hold the point value
                // here (hundreds of steps), and the same seed gives the same interval.
                if name != "tiny", let ci = r.aurocCI { XCTAssertTrue(ci.low <= r.auroc && r.auroc <= ci.high, name) }
            }
        }
    }

    func testBootstrapIsSeededAndScoresAreSeparate() throws {
        let c = try XCTUnwrap(fixtureCases().first)
        let input = try solutions(c["input"], negateLogprob: true), validation = try solutions(c["validation"], negateLogprob: true)
        let a = try stepAnalysis(input: input, validation: validation, seed: 9, resamples: 100)
        let b = try stepAnalysis(input: input, validation: validation, seed: 9, resamples: 100)
        let other = try stepAnalysis(input: input, validation: validation, seed: 10, resamples: 100)
        XCTAssertEqual(a[0].aurocCI, b[0].aurocCI)
        XCTAssertEqual(a[0].f1CI, b[0].f1CI)
        XCTAssertNotEqual(a[0].aurocCI, other[0].aurocCI)
        // Negated scores reverse the ranking: AUROC(−x) = 1 − AUROC(x) exactly (ties stay ties).
        XCTAssertEqual(a[1].auroc, 1 - a[0].auroc, accuracy: 1e-15)
        XCTAssertEqual(a[1].byPosition.first?.correct, a[0].byPosition.first?.correct)
    }

    func testFilesHoldEveryStepAndSolution() throws {
        let c = try XCTUnwrap(fixtureCases().last)
        let input = try solutions(c["input"]), validation = try solutions(c["validation"])
        let results = try stepAnalysis(input: input, validation: validation, seed: 1, resamples: 20)
        let files = stepsFiles(results, input: input, validation: validation, options: .object([]), provenance: .null)
        XCTAssertEqual(files.name, "steps")
        XCTAssertEqual(files.tables.map(\.0), ["rows", "solutions"])
        let rows = files.tables[0].1
        XCTAssertEqual(rows.columns, ["id", "step", "label", "correct", "tokens", "reward", "logprob", "first_byte", "last_byte"])
        XCTAssertEqual(rows.rows.count, input.reduce(0) { $0 + $1.reward.count })
        XCTAssertEqual(files.tables[1].1.columns, ["id", "label", "steps", "pred_reward", "pred_logprob"])
        XCTAssertEqual(files.summary["n_solutions"]?.intValue, input.count)
        XCTAssertEqual(files.summary["reward"]?["f1"]?.doubleValue, results[0].firstError.f1)
        XCTAssertNotNil(files.summary["reward"]?["threshold"])
        XCTAssertEqual(files.summary["validation"]?["n_solutions"]?.intValue, validation.count)
    }

    func testNonFiniteStepValuesAreRefused() {
        let bad = StepSolution(id: "x", label: -1, reward: [.infinity], logprob: [0], tokens: [1], bytes: [0..<1])
        let ok = StepSolution(id: "y", label: 0, reward: [0], logprob: [0], tokens: [1], bytes: [0..<1])
        XCTAssertThrowsError(try stepAnalysis(input: [bad, ok], validation: [ok, ok], seed: 0, resamples: 10)) {
            XCTAssertTrue("\($0)".contains("'x'"), "\($0)")
        }
    }
}
