import Foundation
import SoftQBase
@testable import SoftQReport
import TestSupport
import XCTest

/// An analysis run of a checkpoint is shown beside that checkpoint's scoring run, not as a run
/// of its own (each command writes its own run directory).
final class CombinedRunsTests: XCTestCase {
    func withCheckpoint(_ json: JSONValue?, _ sha: String) -> JSONValue? {
        guard case .object(var f)? = json else { return json }
        f.removeAll { $0.0 == "provenance" }
        f.append(("provenance", .object([("checkpoint", .object([("sha256", .string(sha))]))])))
        return .object(f)
    }

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
            r.length = nil; r.correlation = nil; r.sensitivity = nil
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
