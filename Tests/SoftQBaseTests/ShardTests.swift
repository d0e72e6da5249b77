import SoftQBase
import XCTest

/// `--shard K/N` slicing (docs/spec/run-directories.md, "Shards and merging").
final class ShardTests: XCTestCase {
    /// numpy.array_split's sizes, written out by hand: M = 10, N = 3 → 4, 3, 3; M = 2, N = 5 →
    /// 1, 1, 0, 0, 0; M = 0 → all empty; N = 1 → everything.
    func testSlicesAreArraySplits() throws {
        func sizes(_ m: Int, _ n: Int) throws -> [Int] { try (0..<n).map { try Shard(index: $0, count: n).range(total: m).count } }
        XCTAssertEqual(try sizes(10, 3), [4, 3, 3])
        XCTAssertEqual(try sizes(2, 5), [1, 1, 0, 0, 0])
        XCTAssertEqual(try sizes(0, 4), [0, 0, 0, 0])
        XCTAssertEqual(try sizes(7, 1), [7])
        XCTAssertEqual(try sizes(12, 4), [3, 3, 3, 3])
        XCTAssertEqual(try Shard(index: 1, count: 3).range(total: 10), 4..<7)
        // Contiguous and covering, for every M and N up to 30.
        for m in 0...30 {
            for n in 1...30 {
                var next = 0
                for k in 0..<n {
                    let r = try Shard(index: k, count: n).range(total: m)
                    XCTAssertEqual(r.lowerBound, next, "M=\(m) N=\(n) K=\(k)")
                    XCTAssertTrue(r.count == m / n || r.count == m / n + 1)
                    XCTAssertEqual(r.count, m / n + (k < m % n ? 1 : 0))
                    next = r.upperBound
                }
                XCTAssertEqual(next, m)
            }
        }
    }

    func testParsing() throws {
        XCTAssertEqual(try Shard(parsing: "0/4"), try Shard(index: 0, count: 4))
        XCTAssertEqual(try Shard(parsing: "3/4").index, 3)
        for bad in ["4/4", "-1/4", "1/0", "1", "a/b", "1/2/3", "", "1/"] {
            XCTAssertThrowsError(try Shard(parsing: bad), bad) { e in
                XCTAssertTrue("\(e)".contains("'\(bad)'"), "\(e)")
            }
        }
        XCTAssertEqual(Shard(json: try Shard(index: 2, count: 5).json), try Shard(index: 2, count: 5))
        XCTAssertNil(Shard(json: .object([("index", .int(5)), ("count", .int(5))])))
    }

    /// Records on lines 2, 3, 6, 9, 10 (invalid lines 1, 4, 5, 7, 8, 11, 12), N = 3: slices
    /// {2, 3}, {6, 9}, {10}. Shard 0 owns lines 1–3, shard 1 lines 4–9, shard 2 lines 10 on.
    func testInvalidLinesBelongToTheShardWhoseLinesTheyFallIn() throws {
        let lines = [2, 3, 6, 9, 10]
        func owner(_ line: Int, _ n: Int) throws -> [Int] {
            try (0..<n).filter { try Shard(index: $0, count: n).owns(line: line, recordLines: lines) }
        }
        XCTAssertEqual(try [1, 4, 5, 7, 8, 11, 12].map { try owner($0, 3) }, [[0], [1], [1], [1], [1], [2], [2]])
        // N = 7 > 5 records: shards 5 and 6 are empty; 5 owns nothing, the last owns the tail.
        XCTAssertEqual(try [1, 4, 5, 7, 8, 11, 12].map { try owner($0, 7) }, [[0], [2], [2], [3], [3], [6], [6]])
        // No valid record at all: the last shard owns every line.
        XCTAssertEqual(try (0..<3).filter { try Shard(index: $0, count: 3).owns(line: 4, recordLines: []) }, [2])
    }

    func testSingleProcessCommand() {
        XCTAssertEqual(ShardSet.singleProcessCommand(["softq", "score", "--out", "s0", "--pairs", "p", "--shard", "0/4"], out: "m"),
                       ["softq", "score", "--out", "m", "--pairs", "p"])
        XCTAssertEqual(ShardSet.singleProcessCommand(["softq", "score", "--shard=1/2", "--out=s1"], out: "m"),
                       ["softq", "score", "--out=m"])
    }
}
