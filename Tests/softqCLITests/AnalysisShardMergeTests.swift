import Foundation
import SoftQBase
import TestSupport
import XCTest

/// `--shard K/N` and `softq merge` for `robustness`, `correlate` and `analyze length|sensitivity`
/// through the built `softq` on the tiny GPT-2 (docs/spec/run-directories.md, "Shards and
/// merging"): every table of the merged run is byte-identical to the single-process run's, and
/// the summary JSON equals it apart from provenance.time and provenance.shards (its statistics,
/// bootstrap intervals included, recomputed over all records with the job's seed); merge refuses
/// missing, repeated and foreign shards.
final class AnalysisShardMergeTests: SoftQCLITestCase {
    override var directoryTag: String { "softq-analysis-shards" }

    /// The analyses, each as (file stem, command line without --out / --shard).
    var analyses: [(String, [String])] {
        let common = ["--checkpoint", gpt2, "--bootstrap-samples", "150", "--seed", "9"]
        return [
            ("length", ["analyze", "length", "--pairs", "pairs.jsonl"] + common),
            ("sensitivity", ["analyze", "sensitivity", "--pairs", "pairs.jsonl", "--gammas", "1", "0.9"] + common),
            ("robustness", ["robustness", "--pairs", "pairs.jsonl", "--perturbation", "shuffle_tokens=0.5,1",
                            "--perturbation", "substitute_tokens=0.25", "--perturbation", "truncate"] + common),
            ("correlation", ["correlate", "--generations", "gens.jsonl", "--best-of-n", "1", "2", "3"] + common),
        ]
    }

    /// Seeded generations for the tiny GPT-2: 4 prompts with 3, 3, 2 and 3 samples (token ids,
    /// EOS 1 at the end of most), and a metric in {0, 0.5, 1}.
    func writeGenerations() throws {
        var rng = SeededGenerator(seed: 21)
        func ids(_ n: Int) -> [Int] { (0..<n).map { _ in 2 + rng.nextInt(below: 59) } }
        var text = ""
        for (p, samples) in [3, 3, 2, 3].enumerated() {
            let prompt = [0] + ids(2 + p)
            for s in 0..<samples {
                let tokens = ids(2 + rng.nextInt(below: 5)) + (s == 2 ? [] : [1])
                let metric = Double(rng.nextInt(below: 3)) / 2
                text += "{\"prompt_id\":\"q\(p)\",\"text\":\"\",\"prompt_ids\":\(prompt),\"token_ids\":\(tokens),\"metric\":\(metric)}\n"
            }
        }
        try text.write(to: dir.appendingPathComponent("gens.jsonl"), atomically: true, encoding: .utf8)
    }

    func writeInputs(invalidAt: Set<Int> = []) throws {
        try Self.tokenPairs(count: 7, seed: 5, subsets: false, invalidAt: invalidAt)
            .write(to: dir.appendingPathComponent("pairs.jsonl"), atomically: true, encoding: .utf8)
        try writeGenerations()
    }

    /// Single run into `<tag>-merged` (moved aside to `<tag>-single`, so the merged run's
    /// reconstructed command names the same --out), N shards, merge in a shuffled order, compare.
    func assertMergeEqualsSingle(_ name: String, _ command: [String], shards n: Int, tag: String,
                                 file: StaticString = #filePath, line: UInt = #line) throws {
        try run(command + ["--out", "\(tag)-merged"], file: file, line: line)
        try FileManager.default.moveItem(at: dir.appendingPathComponent("\(tag)-merged"), to: dir.appendingPathComponent("\(tag)-single"))
        for k in 0..<n { try run(command + ["--out", "\(tag)-s\(k)", "--shard", "\(k)/\(n)"], file: file, line: line) }
        let order = (0..<n).map { (n - 1 - $0 + n / 2) % n }
        try run(["merge"] + order.map { "\(tag)-s\($0)" } + ["--out", "\(tag)-merged"], file: file, line: line)
        let single = dir.appendingPathComponent("\(tag)-single"), merged = dir.appendingPathComponent("\(tag)-merged")
        let tables = try FileManager.default.contentsOfDirectory(atPath: single.path)
            .filter { $0.hasPrefix(name + "_") && ($0.hasSuffix(".jsonl") || $0.hasSuffix(".csv")) }.sorted()
        XCTAssertGreaterThanOrEqual(tables.count, 2, "\(name): the single run's tables", file: file, line: line)
        for t in tables {
            XCTAssertEqual(try Data(contentsOf: merged.appendingPathComponent(t)), try Data(contentsOf: single.appendingPathComponent(t)),
                           "\(t), \(n) shards", file: file, line: line)
        }
        let a = try summaryWithoutTimeAndShards(single, file: "\(name).json"), b = try summaryWithoutTimeAndShards(merged, file: "\(name).json")
        XCTAssertEqual(a, b, "\(name).json, \(n) shards:\n\(a.prettySerialized())\n---\n\(b.prettySerialized())", file: file, line: line)
        let m = try XCTUnwrap(try RunManifest.verify(merged), "the merged run has a manifest", file: file, line: line)
        XCTAssertEqual(Set(m.files.map(\.path)), Set(try XCTUnwrap(try RunManifest.verify(single)).files.map(\.path)),
                       "the merged run has the single run's files (no shard records)", file: file, line: line)
        let shards = try JSONParser.parse(String(contentsOf: merged.appendingPathComponent("\(name).json"), encoding: .utf8))["provenance"]?["shards"]?.arrayValue
        XCTAssertEqual(shards?.compactMap { $0["index"]?.intValue }, Array(0..<n), file: file, line: line)
    }

    /// 7 pairs (11 generations) in 3 shards (3, 2, 2 pairs; 4, 4, 3 generations: a prompt's
    /// samples fall in two shards) and in 9 (two or more empty shards).
    func testMergeEqualsSingleRunForEveryAnalysis() throws {
        try writeInputs()
        for (name, command) in analyses {
            try assertMergeEqualsSingle(name, command, shards: 3, tag: "\(name)3")
            try assertMergeEqualsSingle(name, command, shards: 9, tag: "\(name)9")
        }
    }

    /// --skip-invalid and --limit with shards: each shard counts the invalid lines among its
    /// own lines, the merge sums them; --limit applies before slicing.
    func testLimitAndSkipInvalidWithAnalysisShards() throws {
        try writeInputs(invalidAt: [1, 4, 6])
        for (name, command) in analyses where name != "correlation" {
            try assertMergeEqualsSingle(name, command + ["--skip-invalid", "--limit", "5"], shards: 2, tag: "\(name)-limit")
            func skipped(_ run: String) throws -> Int? {
                try JSONParser.parse(String(contentsOf: dir.appendingPathComponent("\(run)/\(name).json"), encoding: .utf8))["options"]?["skipped_inputs"]?.intValue
            }
            // Valid pairs on lines 2 3 5 | 7 8 (limit 5): shard 0 owns lines 1–5, shard 1 the rest.
            XCTAssertEqual(try skipped("\(name)-limit-s0"), 2, name)
            XCTAssertEqual(try skipped("\(name)-limit-s1"), 1, name)
            XCTAssertEqual(try skipped("\(name)-limit-merged"), 3, name)
        }
    }

    func testMergeRefusesMissingRepeatedForeignAndAlteredAnalysisShards() throws {
        try writeInputs()
        let (_, length) = analyses[0], (_, sensitivity) = analyses[1]
        for k in 0..<3 { try run(length + ["--out", "s\(k)", "--shard", "\(k)/3"]) }
        func refused(_ args: [String], _ needle: String, file: StaticString = #filePath, line: UInt = #line) throws {
            let (status, _, err) = try softq(["merge"] + args)
            XCTAssertNotEqual(status, 0, "\(args)", file: file, line: line)
            XCTAssertTrue(err.contains(needle), "\(args): \(err)", file: file, line: line)
            XCTAssertFalse(FileManager.default.fileExists(atPath: dir.appendingPathComponent("m/manifest.json").path), file: file, line: line)
        }
        try refused(["s0", "s2", "--out", "m"], "1/3")
        try refused(["s0", "s1", "s1", "s2", "--out", "m"], "shard 1/3 is given more than once")
        try run(length + ["--out", "seed", "--shard", "1/3", "--seed", "10"])
        try refused(["s0", "seed", "s2", "--out", "m"], "seed")
        try run(length + ["--out", "tol", "--shard", "1/3", "--match-tolerance", "0.2"])
        try refused(["s0", "tol", "s2", "--out", "m"], "match_tolerance")
        try run(sensitivity + ["--out", "other", "--shard", "1/3"])
        try refused(["s0", "other", "s2", "--out", "m"], "'analyze sensitivity' run")
        try run(length + ["--out", "whole"])
        try refused(["whole", "--out", "m"], "was not run with --shard")
        // A shard's records changed after it finished: the manifest no longer vouches for them.
        let records = dir.appendingPathComponent("s2/length_shard.bin")
        var bytes = try Data(contentsOf: records)
        bytes[bytes.count - 1] ^= 1
        try bytes.write(to: records)
        try refused(["s0", "s1", "s2", "--out", "m"], "s2")
    }

    /// A shard holds its records and no statistics: length.json says so and names the shard.
    func testAShardWritesItsRecordsAndNoStatistics() throws {
        try writeInputs()
        try run(analyses[0].1 + ["--out", "one", "--shard", "1/3"])
        let s = try JSONParser.parse(String(contentsOf: dir.appendingPathComponent("one/length.json"), encoding: .utf8))
        XCTAssertEqual(Shard(json: s["shard"]), try Shard(index: 1, count: 3))
        XCTAssertEqual(s["n_records"], .int(2))
        XCTAssertNil(s["buckets"])
        let m = try XCTUnwrap(try RunManifest.verify(dir.appendingPathComponent("one")))
        XCTAssertEqual(m.files.map(\.path).sorted(), ["length.json", "length_shard.bin"])
        XCTAssertNotNil(m.options["job"]?["pairs_sha256"], "the manifest records the job identity")
    }
}
