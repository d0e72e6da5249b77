import Foundation
import XCTest
import TestSupport

/// `softq report` end to end through the built executable (skipped when it was not built).
final class ReportCLITests: XCTestCase {
    func testReportCommandWritesReportAndPlotsAndFailsClearly() throws {
        // TestPaths.softqExecutable looks beside the test bundle; on Linux that can miss the
        // debug build, so .build/debug is tried as well.
        let fallback = TestPaths.repositoryRoot.appendingPathComponent(".build/debug/softq")
        guard let softq = TestPaths.softqExecutable
                ?? (FileManager.default.isExecutableFile(atPath: fallback.path) ? fallback : nil) else {
            throw XCTSkip("softq executable not built")
        }
        let dir = try TestPaths.temporaryDirectory("softq-report-cli")
        defer { try? FileManager.default.removeItem(at: dir) }
        let run = dir.appendingPathComponent("run")
        try SyntheticRun.write(to: run, analyses: false)

        let (status, out, err) = try runProcess(softq.path, ["report", run.path, "--pair", "p2", "--worst", "1"])
        XCTAssertEqual(status, 0, err)
        XCTAssertTrue(out.contains("report.html"), out)
        let html = try String(contentsOf: run.appendingPathComponent("report.html"), encoding: .utf8)
        XCTAssertTrue(html.contains("data-pair=\"p2\""))
        XCTAssertTrue(FileManager.default.fileExists(atPath: run.appendingPathComponent("plots/margins-histogram.svg").path))

        let (s2, _, e2) = try runProcess(softq.path, ["report", run.path, "--pair", "nope"])
        XCTAssertNotEqual(s2, 0)
        XCTAssertTrue(e2.contains("--pair nope"), e2)
        let (s3, _, e3) = try runProcess(softq.path, ["report", run.path, run.path])
        XCTAssertNotEqual(s3, 0)
        XCTAssertTrue(e3.contains("--out"), e3)
        let (s4, _, e4) = try runProcess(softq.path, ["report", dir.appendingPathComponent("missing").path])
        XCTAssertNotEqual(s4, 0)
        XCTAssertTrue(e4.contains("is not a directory"), e4)
    }
}
