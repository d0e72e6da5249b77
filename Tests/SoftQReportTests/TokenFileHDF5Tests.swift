import Foundation
import XCTest
import HDF5Kit
@testable import SoftQReport
import TestSupport

/// tokens.h5 and tokens.jsonl of the same run must give the same token records.
final class TokenFileHDF5Tests: XCTestCase {
    func writeH5(_ records: [TokenRecord], to url: URL, intSides: Bool) throws {
        let f = try H5File(path: url.path, mode: .truncate)
        var offsets: [Int64] = [0]
        for r in records { offsets.append(offsets.last! + Int64(r.tokenIDs.count)) }
        try f.root.createDataset("/responses/offsets", shape: [offsets.count], values: offsets)
        try f.root.createDataset("/responses/pair", shape: [records.count], values: records.map { Int64($0.pair!) })
        try f.root.createStringDataset("/responses/id", values: records.map(\.id))
        if intSides {
            try f.root.createDataset("/responses/side", shape: [records.count], values: records.map { Int8($0.side == "chosen" ? 0 : 1) })
        } else {
            try f.root.createStringDataset("/responses/side", values: records.map { $0.side! })
        }
        try f.root.createDataset("/responses/prompt_value", shape: [records.count], values: records.map { $0.promptValue! })
        try f.root.createDataset("/responses/terminal", shape: [records.count], values: records.map { UInt8($0.terminal! ? 1 : 0) })
        let all = records.flatMap(\.tokenIDs).map { Int32($0) }
        try f.root.createDataset("/tokens/token_ids", shape: [all.count], values: all)
        try f.root.createStringDataset("/tokens/pieces", values: records.flatMap { $0.pieces! })
        let cols: [(String, (TokenRecord) -> [Double])] = [("logprob", \.logprob), ("q", \.q), ("value_before", \.valueBefore),
                                                            ("value_after", \.valueAfter), ("reward", \.reward)]
        for (name, get) in cols {
            // float32 on disk, as the scorer writes: compare against the float32-rounded values.
            let v = records.flatMap(get).map { Float($0) }
            try f.root.createDataset("/tokens/\(name)", shape: [v.count], values: v)
        }
        try f.flush()
    }

    func testH5AndJSONLGiveTheSameRecords() throws {
        let dir = try TestPaths.temporaryDirectory("softq-report-h5")
        defer { try? FileManager.default.removeItem(at: dir) }
        try SyntheticRun.write(to: dir, pairs: 6, analyses: false)
        let fromJSONL = try RunData.load(dir).tokens
        for intSides in [false, true] {
            let h5 = dir.appendingPathComponent("tokens.h5")
            try? FileManager.default.removeItem(at: h5)
            try writeH5(fromJSONL, to: h5, intSides: intSides)
            let (records, note) = try TokenFileHDF5.read(h5)
            XCTAssertNil(note)
            XCTAssertEqual(records.count, fromJSONL.count)
            for (a, b) in zip(records, fromJSONL) {
                XCTAssertEqual([a.id, a.side], [b.id, b.side])
                XCTAssertEqual(a.pair, b.pair)
                XCTAssertEqual(a.tokenIDs, b.tokenIDs)
                XCTAssertEqual(a.pieces, b.pieces)
                XCTAssertEqual(a.terminal, b.terminal)
                XCTAssertEqual(a.promptValue, b.promptValue)
                XCTAssertEqual(a.reward, b.reward.map { Double(Float($0)) })
                XCTAssertEqual(a.q, b.q.map { Double(Float($0)) })
            }
        }
        // Without tokens.jsonl the run directory reads tokens.h5.
        try FileManager.default.removeItem(at: dir.appendingPathComponent("tokens.jsonl"))
        let run = try RunData.load(dir)
        XCTAssertEqual(run.tokens.count, fromJSONL.count)
        XCTAssertTrue(try Report.render([run]).html.contains("class=\"tok\""))
    }

    func testInconsistentH5IsAnErrorNamingTheDataset() throws {
        let dir = try TestPaths.temporaryDirectory("softq-report-h5bad")
        defer { try? FileManager.default.removeItem(at: dir) }
        let url = dir.appendingPathComponent("tokens.h5")
        do {  // the writer must be closed before the file is read
            let f = try H5File(path: url.path, mode: .truncate)
            try f.root.createDataset("/responses/offsets", shape: [3], values: [Int64(0), 2, 3])
            try f.root.createDataset("/tokens/token_ids", shape: [3], values: [Int32(1), 2, 3])
            for name in ["logprob", "q", "value_before", "value_after"] {
                try f.root.createDataset("/tokens/\(name)", shape: [3], values: [Float(0), 0, 0])
            }
            try f.root.createDataset("/tokens/reward", shape: [2], values: [Float(0), 0])
            try f.flush()
        }
        XCTAssertThrowsError(try TokenFileHDF5.read(url)) {
            XCTAssertEqual($0 as? ReportError, .lengthMismatch(file: "tokens.h5", line: nil, key: "/tokens/reward", expected: 3, actual: 2))
        }
        try FileManager.default.removeItem(at: url)
        try Data("not hdf5".utf8).write(to: url)
        XCTAssertThrowsError(try TokenFileHDF5.read(url)) {
            guard case .tokenFile(let file, _, _)? = $0 as? ReportError else { return XCTFail("\($0)") }
            XCTAssertEqual(file, "tokens.h5")
        }
    }
}
