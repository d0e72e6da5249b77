import Foundation
import SoftQBase
import SoftQEvaluation
import TestSupport
import XCTest

/// Statistics against numpy and scipy (fixtures from Scripts/reference/make_stats_fixtures.py).
/// Summation orders differ, so coefficients and means get 1e-12; quantiles follow numpy's
/// interpolation formula bit for bit and are compared exactly.
final class StatisticsFixtureTests: XCTestCase {
    static func fixture() throws -> JSONValue {
        let url = try XCTUnwrap(Bundle.module.url(forResource: "stats", withExtension: "json", subdirectory: "Fixtures"))
        let doc = try JSONParser.parse(String(decoding: try Data(contentsOf: url), as: UTF8.self))
        XCTAssertEqual(doc["format_version"]?.intValue, 1, "fixture format this test understands")
        return doc
    }

    func testCorrelationsMatchScipy() throws {
        let cases = try XCTUnwrap(Self.fixture()["correlations"]?.arrayValue)
        XCTAssertEqual(cases.count, 10)
        var undefined = 0
        for c in cases {
            let name = c["name"]?.stringValue ?? "?"
            let x = try doubles(c["x"]), y = try doubles(c["y"])
            assertClose(averageRanks(x), try doubles(c["ranks_x"]), atol: 0, "\(name) ranks")
            for (kind, got) in [("pearson", try pearson(x, y)), ("spearman", try spearman(x, y)), ("kendall", try kendallTauB(x, y))] {
                if c[kind] == .null {
                    XCTAssertTrue(got.isNaN, "\(name) \(kind): scipy says undefined, got \(got)")
                    undefined += 1
                } else {
                    assertClose([got], [try num(c[kind])], atol: 1e-12, rtol: 1e-12, "\(name) \(kind)")
                }
            }
        }
        XCTAssertEqual(undefined, 9)
    }

    func testMarginStatisticsAndCalibrationMatchNumpy() throws {
        let cases = try XCTUnwrap(Self.fixture()["margins"]?.arrayValue)
        XCTAssertEqual(cases.count, 6)
        for c in cases {
            let name = c["name"]?.stringValue ?? "?"
            let margins = try doubles(c["margins"])
            let s = try MarginStatistics(margins: margins)
            assertClose([s.mean, s.std], [try num(c["mean"]), try num(c["std"])], atol: 1e-12, rtol: 1e-12, "\(name) mean/std")
            XCTAssertEqual(s.median, try num(c["median"]), "\(name) median")
            XCTAssertEqual([s.min, s.max], [try num(c["min"]), try num(c["max"])], name)
            let sorted = margins.sorted()
            for q in try XCTUnwrap(c["quantiles"]?.arrayValue) {
                let pair = try doubles(q)
                XCTAssertEqual(linearQuantile(sorted: sorted, pair[0]), pair[1], "\(name) quantile \(pair[0])")
            }
            let byQ = Dictionary(uniqueKeysWithValues: try XCTUnwrap(c["quantiles"]?.arrayValue).map { try (doubles($0)[0], doubles($0)[1]) })
            XCTAssertEqual([s.q05, s.q25, s.q75, s.q95], [byQ[0.05], byQ[0.25], byQ[0.75], byQ[0.95]].map { $0 ?? .nan }, name)
            XCTAssertEqual(try accuracy(margins: margins), try num(c["accuracy"]), name)

            let pairs = margins.map { PairOutcome(margin: $0) }
            let e = try PairEvaluation(pairs: pairs, bootstrap: BootstrapOptions(samples: 50, seed: 1))
            XCTAssertEqual(e.ties, try int(c["ties"]), "\(name) ties")
            XCTAssertEqual(e.accuracy, try num(c["accuracy"]), name)

            let cal = try Calibration(margins: margins)
            assertClose([cal.brier, cal.ece], [try num(c["brier"]), try num(c["ece"])], atol: 1e-12, rtol: 1e-12, "\(name) brier/ece")
            let bins = try XCTUnwrap(c["bins"]?.arrayValue)
            XCTAssertEqual(cal.bins.count, 10)
            for (k, (got, want)) in zip(cal.bins, bins).enumerated() {
                XCTAssertEqual(got.count, try int(want["count"]), "\(name) bin \(k) count")
                if want["mean_p"] == .null {
                    XCTAssertTrue(got.meanP.isNaN && got.accuracy.isNaN, "\(name) bin \(k) empty")
                } else {
                    assertClose([got.meanP, got.accuracy], [try num(want["mean_p"]), try num(want["accuracy"])],
                                atol: 1e-12, rtol: 1e-12, "\(name) bin \(k)")
                }
                XCTAssertEqual([got.lower, got.upper], [Double(k) / 10, Double(k + 1) / 10])
            }
        }
    }
}

func num(_ v: JSONValue?) throws -> Double { try XCTUnwrap(v?.doubleValue, "expected a number") }
func int(_ v: JSONValue?) throws -> Int { try XCTUnwrap(v?.intValue, "expected an integer") }
func doubles(_ v: JSONValue?) throws -> [Double] { try XCTUnwrap(v?.arrayValue, "expected an array").map { try num($0) } }
