import XCTest
import SoftQEvaluation
import SoftQBase

/// The readers of summary.json's shapes give back exactly what the writers wrote.
final class SummaryDecodingTests: XCTestCase {
    func testWrittenSummaryReadsBackThroughTheSharedReaders() throws {
        let pairs = [1.5, -0.25, 0, 3, 0.75, -2, 4].enumerated().map { PairOutcome(margin: $1, subset: $0 % 2 == 0 ? "a" : "b") }
        let e = try PairEvaluation(pairs: pairs, bootstrap: BootstrapOptions(samples: 200, seed: 3))
        // Through text, as a reader meets it.
        let json = try JSONParser.parse(e.json.prettySerialized())
        XCTAssertEqual(ConfidenceInterval(json: try XCTUnwrap(json["accuracy_ci95"])), e.accuracyInterval)
        let bins = try XCTUnwrap(json["calibration"]?["bins"]?.arrayValue).compactMap(Calibration.Bin.init(json:))
        XCTAssertEqual(bins.count, e.calibration.bins.count)
        for (a, b) in zip(bins, e.calibration.bins) {
            XCTAssertEqual([a.lower, a.upper], [b.lower, b.upper])
            XCTAssertEqual(a.count, b.count)
            // Empty bins are written as null and read back as NaN.
            XCTAssertTrue(a.meanP == b.meanP || (a.meanP.isNaN && b.meanP.isNaN))
            XCTAssertTrue(a.accuracy == b.accuracy || (a.accuracy.isNaN && b.accuracy.isNaN))
        }
        let subsets = try XCTUnwrap(json["subsets"]?.objectValue).compactMap { SubsetAccuracy(subset: $0.0, json: $0.1) }
        XCTAssertEqual(subsets, e.subsets)
        XCTAssertEqual(MarginStatistics(json: try XCTUnwrap(json["margin"])), e.margins)
        let calibration = try XCTUnwrap(Calibration(json: try XCTUnwrap(json["calibration"])))
        XCTAssertEqual([calibration.brier, calibration.ece], [e.calibration.brier, e.calibration.ece])
        XCTAssertEqual(calibration.count, e.calibration.count)
        XCTAssertEqual(calibration.bins.map(\.count), e.calibration.bins.map(\.count))
    }

    func testReadersRefuseOtherShapes() {
        XCTAssertNil(ConfidenceInterval(json: .array([.double(0.1), .double(0.2)])))
        XCTAssertNil(ConfidenceInterval(json: .object([("lo", .double(0.1)), ("hi", .double(0.2)), ("level", .double(0.95))])))
        XCTAssertNil(ConfidenceInterval(json: .object([("low", .string("0.1")), ("high", .double(0.2)), ("level", .double(0.95))])))
        let nan = ConfidenceInterval(json: .object([("low", .null), ("high", .null), ("level", .double(0.95))]))
        XCTAssertTrue(nan?.low.isNaN ?? false, "null bounds (no valid resample) read as NaN")
        XCTAssertNil(Calibration.Bin(json: .object([("lower", .double(0)), ("upper", .double(0.1))])))
        XCTAssertNil(SubsetAccuracy(subset: "a", json: .object([("n", .int(3)), ("accuracy", .double(1))])))
        XCTAssertNil(MarginStatistics(json: .object([("count", .int(3)), ("mean", .double(1))])))
        XCTAssertNil(Calibration(json: .object([("brier", .double(0.1)), ("ece", .double(0.1))])))
    }
}
