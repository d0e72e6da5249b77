import Foundation
import HDF5Kit
import SoftQBase
import TestSupport
import XCTest

/// `--shard K/N` and `softq merge` end to end through the built `softq` on the tiny GPT-2
/// (docs/spec/run-directories.md, "Shards and merging"): the merged run equals the single-process
/// run — pairs.jsonl and pairs.csv bytes, every tokens.h5 dataset value, summary.json apart
/// from provenance.time and provenance.shards — for uneven splits, more shards than records,
/// --limit and --skip-invalid; merge refuses missing, repeated and foreign shards.
final class ShardMergeTests: SoftQCLITestCase {
    override var directoryTag: String { "softq-shards" }

    /// Seeded token-id pairs for the tiny GPT-2 (vocabulary 61, EOS 1), with subsets; the line
    /// numbers in `invalidAt` (1-based) hold an invalid line instead.
    func writePairs(count: Int, invalidAt: Set<Int> = [], seed: UInt64 = 5) throws {
        try Self.tokenPairs(count: count, seed: seed, subsets: true, invalidAt: invalidAt)
            .write(to: dir.appendingPathComponent("pairs.jsonl"), atomically: true, encoding: .utf8)
    }

    func score(_ out: String, _ extra: [String]) -> [String] {
        ["score", "--checkpoint", gpt2, "--pairs", "pairs.jsonl", "--csv", "--bootstrap-samples", "200", "--seed", "7", "--out", out] + extra
    }

    /// The single-process run is written to `merged` and moved aside, so the merged run's
    /// reconstructed command line (with `--out merged`) is the single run's.
    func assertMergeEqualsSingle(shards n: Int, _ extra: [String] = [], file: StaticString = #filePath, line: UInt = #line) throws {
        let tag = "n\(n)"
        try run(score("\(tag)-merged", extra))
        try FileManager.default.moveItem(at: dir.appendingPathComponent("\(tag)-merged"), to: dir.appendingPathComponent("\(tag)-single"))
        // Shards in a shuffled order on the merge's command line.
        for k in 0..<n { try run(score("\(tag)-s\(k)", extra + ["--shard", "\(k)/\(n)"])) }
        let order = (0..<n).map { (n - 1 - $0 + n / 2) % n }
        try run(["merge"] + order.map { "\(tag)-s\($0)" } + ["--out", "\(tag)-merged"])
        let single = dir.appendingPathComponent("\(tag)-single"), merged = dir.appendingPathComponent("\(tag)-merged")
        for name in ["pairs.jsonl", "pairs.csv"] {
            XCTAssertEqual(try Data(contentsOf: merged.appendingPathComponent(name)), try Data(contentsOf: single.appendingPathComponent(name)),
                           "\(name), \(n) shards", file: file, line: line)
        }
        try assertSameDatasets(single.appendingPathComponent("tokens.h5"), merged.appendingPathComponent("tokens.h5"), file: file, line: line)
        let a = try summaryWithoutTimeAndShards(single), b = try summaryWithoutTimeAndShards(merged)
        XCTAssertEqual(a, b, "summary.json, \(n) shards:\n\(a.prettySerialized())\n---\n\(b.prettySerialized())", file: file, line: line)
        XCTAssertNotNil(try RunManifest.verify(merged), "the merged run has a manifest", file: file, line: line)
        let shards = try JSONParser.parse(String(contentsOf: merged.appendingPathComponent("summary.json"), encoding: .utf8))["provenance"]?["shards"]?.arrayValue
        XCTAssertEqual(shards?.compactMap { $0["index"]?.intValue }, Array(0..<n), file: file, line: line)
    }

    /// The same dataset paths, shapes, element types and values (strings and numbers exactly).
    func assertSameDatasets(_ a: URL, _ b: URL, file: StaticString, line: UInt) throws {
        let fa = try H5File(path: a.path), fb = try H5File(path: b.path)
        let paths = try fa.root.datasetPaths()
        XCTAssertEqual(paths, try fb.root.datasetPaths(), file: file, line: line)
        XCTAssertTrue(paths.contains("tokens/reward"), "\(paths)", file: file, line: line)
        for p in paths {
            let da = try fa.dataset(p), db = try fb.dataset(p)
            XCTAssertEqual(da.shape, db.shape, p, file: file, line: line)
            XCTAssertEqual("\(da.elementType)", "\(db.elementType)", p, file: file, line: line)
            switch da.elementType {
            case .string: XCTAssertEqual(try da.readStrings(), try db.readStrings(), p, file: file, line: line)
            case .float64: XCTAssertEqual(try da.read(as: Double.self).map(\.bitPattern), try db.read(as: Double.self).map(\.bitPattern), p, file: file, line: line)
            case .int64: XCTAssertEqual(try da.read(as: Int64.self), try db.read(as: Int64.self), p, file: file, line: line)
            case .uint8: XCTAssertEqual(try da.read(as: UInt8.self), try db.read(as: UInt8.self), p, file: file, line: line)
            default: XCTFail("\(p): unexpected element type \(da.elementType)", file: file, line: line)
            }
        }
    }

    func testMergeEqualsSingleRunForUnevenSplitsAndMoreShardsThanPairs() throws {
        try writePairs(count: 7)
        try assertMergeEqualsSingle(shards: 3)  // 3, 2, 2
        try assertMergeEqualsSingle(shards: 1)
        try assertMergeEqualsSingle(shards: 9)  // 1 × 7, then 2 empty shards
        XCTAssertEqual(try String(contentsOf: dir.appendingPathComponent("n9-s8/pairs.jsonl"), encoding: .utf8), "", "shard 8/9 holds no pairs")
    }

    /// Invalid lines 1, 4, 5, 9 and 14 with --skip-invalid, --limit 8 over 10 valid pairs, N = 3:
    /// slices of 3, 3, 2 records; each shard counts the invalid lines among its own lines.
    func testLimitAndSkipInvalidWithShards() throws {
        try writePairs(count: 10, invalidAt: [1, 4, 5, 9, 14])
        let extra = ["--skip-invalid", "--limit", "8"]
        try assertMergeEqualsSingle(shards: 3, extra)
        func skipped(_ run: String) throws -> [String] {
            try JSONParser.parse(String(contentsOf: dir.appendingPathComponent("\(run)/summary.json"), encoding: .utf8))["skipped"]?["lines"]?
                .arrayValue?.compactMap(\.stringValue) ?? []
        }
        func lines(_ run: String) throws -> [Int] {
            try skipped(run).map { s in Int(s.split(separator: ":")[1]) ?? -1 }
        }
        // Valid records on lines 2 3 6 | 7 8 10 | 11 12 (limit 8); shard 0 owns lines 1–6,
        // shard 1 lines 7–10, shard 2 line 11 on (line 14, past the
        // limit, is a line the single run counts too: it cannot be read as JSON).
        XCTAssertEqual(try lines("n3-s0"), [1, 4, 5])
        XCTAssertEqual(try lines("n3-s1"), [9])
        XCTAssertEqual(try lines("n3-s2"), [14])
        XCTAssertEqual(try skipped("n3-single"), try skipped("n3-s0") + skipped("n3-s1") + skipped("n3-s2"))
    }

    /// `softq extract` shards: responses.jsonl and tokens.jsonl bytes, tokens.h5 datasets and
    /// summary.json (time and shards aside) equal the single run's; 5 responses in 2 shards (3, 2),
    /// with an invalid line 3 skipped by shard 0.
    func testExtractMergeEqualsSingleRun() throws {
        var rng = SeededGenerator(seed: 11)
        func ids(_ n: Int) -> String { (0..<n).map { _ in String(2 + rng.nextInt(below: 59)) }.joined(separator: ",") }
        var text = ""
        for k in 0..<6 {
            text += k == 2 ? "{\"id\":\"bad\",\"prompt_ids\":[0],\"response_ids\":[]}\n"
                : "{\"id\":\"g\(k)\",\"prompt_ids\":[0,\(ids(2 + k % 2))],\"response_ids\":[\(ids(2 + k % 3)),1]}\n"
        }
        try text.write(to: dir.appendingPathComponent("gens.jsonl"), atomically: true, encoding: .utf8)
        for perToken in ["hdf5", "jsonl"] {
            func extract(_ out: String, _ extra: [String] = []) -> [String] {
                ["extract", "--checkpoint", gpt2, "--inputs", "gens.jsonl", "--skip-invalid", "--per-token", perToken, "--out", out] + extra
            }
            try run(extract("x-\(perToken)"))
            try FileManager.default.moveItem(at: dir.appendingPathComponent("x-\(perToken)"), to: dir.appendingPathComponent("single-\(perToken)"))
            for k in 0..<2 { try run(extract("x\(k)-\(perToken)", ["--shard", "\(k)/2"])) }
            try run(["merge", "x1-\(perToken)", "x0-\(perToken)", "--out", "x-\(perToken)"])
            let single = dir.appendingPathComponent("single-\(perToken)"), merged = dir.appendingPathComponent("x-\(perToken)")
            for name in ["responses.jsonl"] + (perToken == "jsonl" ? ["tokens.jsonl"] : []) {
                XCTAssertEqual(try Data(contentsOf: merged.appendingPathComponent(name)), try Data(contentsOf: single.appendingPathComponent(name)), name)
            }
            if perToken == "hdf5" {
                try assertSameDatasets(single.appendingPathComponent("tokens.h5"), merged.appendingPathComponent("tokens.h5"), file: #filePath, line: #line)
            }
            XCTAssertEqual(try summaryWithoutTimeAndShards(single), try summaryWithoutTimeAndShards(merged))
            XCTAssertEqual(try JSONParser.parse(String(contentsOf: dir.appendingPathComponent("x0-\(perToken)/summary.json"), encoding: .utf8))["skipped"]?["count"],
                           .int(1), "shard 0 owns line 3")
        }
    }

    func testShardResumesAndFingerprintIncludesTheShard() throws {
        try writePairs(count: 5)
        try run(score("r", ["--shard", "1/2", "--resume"]))
        XCTAssertEqual(try String(contentsOf: dir.appendingPathComponent("r/pairs.jsonl"), encoding: .utf8).split(separator: "\n").count, 2)
        let m = try XCTUnwrap(try RunManifest.verify(dir.appendingPathComponent("r")))
        XCTAssertEqual(Shard(json: m.options["shard"]), try Shard(index: 1, count: 2))
        XCTAssertNotNil(m.options["job"]?["pairs_sha256"], "the manifest records the job identity")
        // A bad shard is refused before anything runs.
        let (status, _, err) = try run(score("bad", ["--shard", "2/2"]), expectSuccess: false)
        XCTAssertNotEqual(status, 0)
        XCTAssertTrue(err.contains("2/2"), err)
    }

    /// A shard killed after 2 saved records continues with --resume (not as another shard), and
    /// the merge of the resumed shard equals the single run; merge --report adds report.html.
    func testKilledShardResumesToTheSameMerge() throws {
        try writePairs(count: 9)
        try run(score("k-merged", []))
        try FileManager.default.moveItem(at: dir.appendingPathComponent("k-merged"), to: dir.appendingPathComponent("k-single"))
        let (killed, _, _) = try run(score("k0", ["--shard", "0/2"]), expectSuccess: false, env: ["SOFTQ_TEST_KILL_AFTER_RECORDS": "2"])
        XCTAssertNotEqual(killed, 0, "the shard was killed")
        XCTAssertFalse(FileManager.default.fileExists(atPath: dir.appendingPathComponent("k0/manifest.json").path))
        let (other, _, err) = try run(score("k0", ["--shard", "1/2", "--resume"]), expectSuccess: false)
        XCTAssertNotEqual(other, 0, "another shard's progress is not resumed")
        XCTAssertTrue(err.contains("cannot resume") && err.contains("shard"), err)
        let (_, resumed, _) = try run(score("k0", ["--shard", "0/2", "--resume"]))
        XCTAssertTrue(resumed.contains("pairs          5"), resumed)
        try run(score("k1", ["--shard", "1/2"]))
        try run(["merge", "k0", "k1", "--out", "k-merged", "--report"])
        let single = dir.appendingPathComponent("k-single"), merged = dir.appendingPathComponent("k-merged")
        XCTAssertEqual(try Data(contentsOf: merged.appendingPathComponent("pairs.jsonl")), try Data(contentsOf: single.appendingPathComponent("pairs.jsonl")))
        XCTAssertEqual(try summaryWithoutTimeAndShards(single), try summaryWithoutTimeAndShards(merged))
        let m = try XCTUnwrap(try RunManifest.verify(merged))
        XCTAssertTrue(m.files.contains { $0.path == "report.html" }, "\(m.files.map(\.path))")
    }

    func testMergeRefusesMissingRepeatedAndForeignShards() throws {
        try writePairs(count: 6)
        for k in 0..<3 { try run(score("s\(k)", ["--shard", "\(k)/3"])) }
        func refused(_ args: [String], _ needle: String) throws {
            let (status, _, err) = try run(["merge"] + args, expectSuccess: false)
            XCTAssertNotEqual(status, 0, "\(args)")
            XCTAssertTrue(err.contains(needle), "\(args): \(err)")
            XCTAssertFalse(FileManager.default.fileExists(atPath: dir.appendingPathComponent("m/manifest.json").path))
        }
        try refused(["s0", "s2", "--out", "m"], "1/3")
        try refused(["s0", "s1", "s1", "s2", "--out", "m"], "shard 1/3 is given more than once")
        // Another seed (options), another input, another shard count.
        try run(score("seed", ["--shard", "1/3", "--seed", "8"]))
        try refused(["s0", "seed", "s2", "--out", "m"], "seed")
        try FileManager.default.createDirectory(at: dir.appendingPathComponent("other"), withIntermediateDirectories: true)
        try FileManager.default.copyItem(at: dir.appendingPathComponent("pairs.jsonl"), to: dir.appendingPathComponent("other/pairs.jsonl"))
        try "\n".appendLine(to: dir.appendingPathComponent("other/pairs.jsonl"))
        try run(["score", "--checkpoint", gpt2, "--pairs", "other/pairs.jsonl", "--csv", "--bootstrap-samples", "200", "--seed", "7",
                 "--out", "input", "--shard", "2/3"])
        try refused(["s0", "s1", "input", "--out", "m"], "pairs_sha256")
        try run(score("four", ["--shard", "3/4"]))
        try refused(["s0", "s1", "s2", "four", "--out", "m"], "four")
        // A run without --shard, and a shard whose file changed after it finished.
        try run(score("whole", []))
        try refused(["whole", "--out", "m"], "was not run with --shard")
        try "x".appendLine(to: dir.appendingPathComponent("s2/pairs.jsonl"))
        try refused(["s0", "s1", "s2", "--out", "m"], "s2")
    }
}

private extension String {
    func appendLine(to url: URL) throws {
        let h = try FileHandle(forWritingTo: url)
        defer { try? h.close() }
        h.seekToEndOfFile()
        h.write(Data(self.utf8))
    }
}
