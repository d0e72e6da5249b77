import Foundation
import SoftQBase
import TestSupport
import XCTest

/// Run directories as one unit (docs/spec/outputs.md, docs/reliability.md), end to end through the
/// built `softq`: never writing over an input, the manifest and its readers, the lock, --force,
/// cleanup after signals and kills, and --resume after kill -9 at several points giving the
/// bytes of an uninterrupted run.
final class RunDirectoryTests: SoftQCLITestCase {
    override var directoryTag: String { "softq-rundir" }

    /// `count` seeded token-id pairs for the tiny GPT-2 (vocabulary 61, EOS 1).
    @discardableResult
    func writePairs(_ name: String = "pairs.jsonl", count: Int, seed: UInt64 = 3, in folder: URL? = nil) throws -> URL {
        let url = (folder ?? dir).appendingPathComponent(name)
        try Self.tokenPairs(count: count, seed: seed, subsets: false).write(to: url, atomically: true, encoding: .utf8)
        return url
    }

    func bytes(_ url: URL) throws -> Data { try Data(contentsOf: url) }

    func names(_ url: URL) -> [String] { ((try? FileManager.default.contentsOfDirectory(atPath: url.path)) ?? []).sorted() }

    // MARK: 1. never over an input

    func testScoreRefusesToWriteOverOrBesideItsInputs() throws {
        let pairs = try writePairs(count: 3)
        let before = try bytes(pairs)
        for out in [".", "", "pairs.jsonl", dir.path] {
            let (status, _, err) = try softq(["score", "--checkpoint", gpt2, "--pairs", "pairs.jsonl", "--out", out])
            XCTAssertNotEqual(status, 0, "--out '\(out)' must be refused")
            XCTAssertTrue(err.contains(out.isEmpty ? "--out is empty" : "refusing to write"), "--out '\(out)': \(err)")
            XCTAssertEqual(try bytes(pairs), before, "the input is untouched after --out '\(out)'")
        }
        XCTAssertEqual(names(dir), ["pairs.jsonl"], "nothing was written beside the input")

        // A directory above the input holds it too; so does a symlink to the input's directory.
        let data = dir.appendingPathComponent("data")
        try FileManager.default.createDirectory(at: data, withIntermediateDirectories: true)
        _ = try writePairs(count: 3, in: data)
        try FileManager.default.createSymbolicLink(atPath: dir.appendingPathComponent("alias").path, withDestinationPath: data.path)
        for out in [".", "alias"] {
            let (status, _, err) = try softq(["score", "--checkpoint", gpt2, "--pairs", "data/pairs.jsonl", "--out", out])
            XCTAssertNotEqual(status, 0)
            XCTAssertTrue(err.contains("it holds the input"), err)
        }
        // The checkpoint is an input like the pairs.
        let (s2, _, e2) = try softq(["score", "--checkpoint", gpt2, "--pairs", "pairs.jsonl", "--out",
                                     URL(fileURLWithPath: gpt2).deletingLastPathComponent().path])
        XCTAssertNotEqual(s2, 0)
        XCTAssertTrue(e2.contains("gpt2_tiny.h5"), e2)

        // A non-empty directory that is not a run is refused and left alone.
        let mine = dir.appendingPathComponent("mine")
        try FileManager.default.createDirectory(at: mine, withIntermediateDirectories: true)
        try "notes".write(to: mine.appendingPathComponent("notes.txt"), atomically: true, encoding: .utf8)
        let (s3, _, e3) = try softq(["score", "--checkpoint", gpt2, "--pairs", "pairs.jsonl", "--out", "mine", "--force"])
        XCTAssertNotEqual(s3, 0)
        XCTAssertTrue(e3.contains("notes.txt") && e3.contains("not a softq run directory"), e3)
        XCTAssertEqual(names(mine), ["notes.txt"])

        // sample: its output file may not be its prompts file either.
        let (s4, _, e4) = try softq(["sample", "--checkpoint", gpt2, "--prompts", "pairs.jsonl", "--out", "pairs.jsonl"])
        XCTAssertNotEqual(s4, 0)
        XCTAssertTrue(e4.contains("it is the input"), e4)
        XCTAssertEqual(try bytes(pairs), before)
    }

    // MARK: 2. manifest, lock, --force, failed runs

    func testManifestListsEveryFileAndForceReplacesTheRun() throws {
        _ = try writePairs(count: 3)
        let (s1, _, e1) = try softq(["score", "--checkpoint", gpt2, "--pairs", "pairs.jsonl", "--out", "run", "--csv"])
        XCTAssertEqual(s1, 0, e1)
        let run = dir.appendingPathComponent("run")
        let manifest = try JSONParser.parse(String(contentsOf: run.appendingPathComponent("manifest.json"), encoding: .utf8))
        XCTAssertEqual(manifest["schema_version"]?.intValue, 1)
        XCTAssertEqual(manifest["run"]?.stringValue, "score")
        XCTAssertEqual(manifest["softq_version"]?.stringValue, SoftQVersion.string)
        XCTAssertEqual(manifest["options"]?["gamma"]?.doubleValue, 1)
        XCTAssertNotNil(manifest["provenance"]?["pairs"]?["sha256"])
        let files = manifest["files"]?.arrayValue ?? []
        XCTAssertEqual(files.compactMap { $0["path"]?.stringValue }, ["pairs.csv", "pairs.jsonl", "summary.json", "tokens.h5"])
        for f in files {
            let url = run.appendingPathComponent(f["path"]!.stringValue!)
            XCTAssertEqual(f["sha256"]?.stringValue, FileDigest.sha256(data: try bytes(url)))
            XCTAssertEqual(f["size"]?.intValue, try bytes(url).count)
        }
        XCTAssertNil(try RunManifest.verify(dir.appendingPathComponent("nothing-here-\(UUID())")) as RunManifest?,
                     "a directory without manifest is unverified, not an error")

        // Again without --force: refused, nothing changes.
        let summary = try bytes(run.appendingPathComponent("summary.json"))
        let (s2, _, e2) = try softq(["score", "--checkpoint", gpt2, "--pairs", "pairs.jsonl", "--out", "run"])
        XCTAssertNotEqual(s2, 0)
        XCTAssertTrue(e2.contains("already holds a softq run") && e2.contains("--force"), e2)
        XCTAssertEqual(try bytes(run.appendingPathComponent("summary.json")), summary)

        // --force replaces the run as a whole: pairs.csv (not asked for now) and a stale report go.
        try "<html>old</html>".write(to: run.appendingPathComponent("report.html"), atomically: true, encoding: .utf8)
        let (s3, _, e3) = try softq(["score", "--checkpoint", gpt2, "--pairs", "pairs.jsonl", "--out", "run", "--force", "--per-token", "jsonl"])
        XCTAssertEqual(s3, 0, e3)
        XCTAssertEqual(names(run).filter { !$0.hasPrefix(".") }, ["manifest.json", "pairs.jsonl", "summary.json", "tokens.jsonl"])
        XCTAssertNotNil(try RunManifest.verify(run))

        // Another process holds the lock: refused while it does.
        let fd = open(run.appendingPathComponent(RunLock.fileName).path, O_RDWR)
        XCTAssertGreaterThanOrEqual(fd, 0)
        XCTAssertEqual(flock(fd, LOCK_EX | LOCK_NB), 0)
        let (s4, _, e4) = try softq(["score", "--checkpoint", gpt2, "--pairs", "pairs.jsonl", "--out", "run", "--force"])
        XCTAssertNotEqual(s4, 0)
        XCTAssertTrue(e4.contains("is being written by another softq process"), e4)
        close(fd)
        XCTAssertNotNil(try RunManifest.verify(run), "the refused writer changed nothing")

        // A failed run leaves neither the directory it created nor a manifest.
        let bad = try writePairs("bad.jsonl", count: 1)
        try (String(contentsOf: bad, encoding: .utf8) + "{\"prompt_ids\":[0],\"chosen_ids\":[99],\"rejected_ids\":[2]}\n")
            .write(to: bad, atomically: true, encoding: .utf8)
        let (s5, _, _) = try softq(["score", "--checkpoint", gpt2, "--pairs", "bad.jsonl", "--out", "new/run"])
        XCTAssertNotEqual(s5, 0)
        XCTAssertFalse(FileManager.default.fileExists(atPath: dir.appendingPathComponent("new/run").path))
        let (s6, _, _) = try softq(["score", "--checkpoint", gpt2, "--pairs", "bad.jsonl", "--out", "run", "--force"])
        XCTAssertNotEqual(s6, 0)
        XCTAssertEqual(names(run).filter { !$0.hasPrefix(".") }, [], "a failed --force leaves no run that looks whole")
    }

    func testReportChecksTheManifestAndJoinsTheRun() throws {
        _ = try writePairs(count: 3)
        let (s1, _, e1) = try softq(["score", "--checkpoint", gpt2, "--pairs", "pairs.jsonl", "--out", "run", "--per-token", "jsonl", "--report"])
        XCTAssertEqual(s1, 0, e1)
        let run = dir.appendingPathComponent("run")
        let listed = try XCTUnwrap(try RunManifest.verify(run)).files.map(\.path)
        XCTAssertTrue(listed.contains("report.html") && listed.contains { $0.hasPrefix("plots/") }, "\(listed)")
        let (s2, _, e2) = try softq(["report", "run"])
        XCTAssertEqual(s2, 0, e2)
        XCTAssertNotNil(try RunManifest.verify(run), "report rewrote the manifest over its new files")
        let html = try String(contentsOf: run.appendingPathComponent("report.html"), encoding: .utf8)
        XCTAssertFalse(html.contains("unverified"))
        let (s2b, _, e2b) = try softq(["report", "run", "--out", "run/summary.json"])
        XCTAssertNotEqual(s2b, 0)
        XCTAssertTrue(e2b.contains("refusing to write the report over"), e2b)
        XCTAssertNotNil(try RunManifest.verify(run), "summary.json is untouched")

        // A changed, an unlisted and a missing file are each named.
        let pairsURL = run.appendingPathComponent("pairs.jsonl")
        let original = try bytes(pairsURL)
        try (String(decoding: original, as: UTF8.self).replacingOccurrences(of: "\"p1\"", with: "\"p9\"")).write(to: pairsURL, atomically: true, encoding: .utf8)
        let (s3, _, e3) = try softq(["report", "run"])
        XCTAssertNotEqual(s3, 0)
        XCTAssertTrue(e3.contains("pairs.jsonl does not match manifest.json"), e3)
        try original.write(to: pairsURL)
        try "stale".write(to: run.appendingPathComponent("length.json"), atomically: true, encoding: .utf8)
        let (s4, _, e4) = try softq(["report", "run"])
        XCTAssertNotEqual(s4, 0)
        XCTAssertTrue(e4.contains("length.json is not part of the run"), e4)
        try FileManager.default.removeItem(at: run.appendingPathComponent("length.json"))
        try FileManager.default.removeItem(at: run.appendingPathComponent("tokens.jsonl"))
        let (s5, _, e5) = try softq(["report", "run"])
        XCTAssertNotEqual(s5, 0)
        XCTAssertTrue(e5.contains("tokens.jsonl is listed in manifest.json but missing"), e5)

        // Without a manifest (an older softq's run): read, with the warning in the report.
        try FileManager.default.removeItem(at: run.appendingPathComponent("manifest.json"))
        let (s6, _, e6) = try softq(["report", "run"])
        XCTAssertEqual(s6, 0, e6)
        let old = try String(contentsOf: run.appendingPathComponent("report.html"), encoding: .utf8)
        XCTAssertTrue(old.contains("unverified"), "the report says the run could not be checked")
        XCTAssertFalse(FileManager.default.fileExists(atPath: run.appendingPathComponent("manifest.json").path),
                       "a report does not vouch for files it did not check")
    }

    // MARK: 3. temporaries after signals and kills

    func testSignalsAndKillsLeaveNoTemporaryFiles() throws {
        _ = try writePairs(count: 3)
        for (sig, code) in [(SIGTERM, Int32(143)), (SIGINT, Int32(130))] {
            // The process signals itself while tokens.h5's temporary exists.
            let (status, _, err) = try softq(["score", "--checkpoint", gpt2, "--pairs", "pairs.jsonl", "--out", "sig\(sig)"],
                                             env: ["SOFTQ_TEST_SIGNAL_BEFORE_COMMIT": String(sig)])
            XCTAssertEqual(status, code, err)
            let out = dir.appendingPathComponent("sig\(sig)")
            let left = names(out)
            XCTAssertFalse(left.contains { $0.contains(".tmp-") }, "signal \(sig) left \(left)")
            XCTAssertFalse(left.contains("manifest.json"))
        }
        // kill -9 runs no handler: a dead process's temporary is removed by the next run into the directory.
        let (s1, _, e1) = try softq(["score", "--checkpoint", gpt2, "--pairs", "pairs.jsonl", "--out", "run"])
        XCTAssertEqual(s1, 0, e1)
        let dead = Process()
        dead.executableURL = URL(fileURLWithPath: "/bin/true")
        try dead.run()
        dead.waitUntilExit()
        let run = dir.appendingPathComponent("run")
        let stale = run.appendingPathComponent(".tokens.h5.tmp-\(dead.processIdentifier)-12345")
        let live = run.appendingPathComponent(".tokens.h5.tmp-\(getpid())-777")
        try Data(count: 1000).write(to: stale)
        try Data(count: 10).write(to: live)
        XCTAssertNotNil(try RunManifest.verify(run), "temporaries are not outputs")
        let (s2, _, e2) = try softq(["score", "--checkpoint", gpt2, "--pairs", "pairs.jsonl", "--out", "run", "--force"])
        XCTAssertEqual(s2, 0, e2)
        XCTAssertFalse(FileManager.default.fileExists(atPath: stale.path), "the dead process's temporary is gone")
        XCTAssertTrue(FileManager.default.fileExists(atPath: live.path), "a live process's temporary is left alone")
    }

    // MARK: 4. resume

    /// `file` with the time field of its run replaced by `reference`'s (the only allowed difference).
    func withTime(of reference: URL, _ file: URL, summary: String = "summary.json") throws -> Data {
        func time(_ run: URL) throws -> String {
            try XCTUnwrap(JSONParser.parse(String(contentsOf: run.appendingPathComponent(summary), encoding: .utf8))["provenance"]?["time"]?.stringValue)
        }
        let mine = try time(file.deletingLastPathComponent()), theirs = try time(reference)
        XCTAssertEqual(mine.utf8.count, theirs.utf8.count)
        var data = try bytes(file)
        // Replace every occurrence once, scanning forward (the two times may be equal).
        var from = data.startIndex
        while let r = data.range(of: Data(mine.utf8), in: from..<data.endIndex) {
            data.replaceSubrange(r, with: Data(theirs.utf8))
            from = r.lowerBound + theirs.utf8.count
        }
        return data
    }

    func testScoreResumesAfterKill9AtSeveralPointsToTheSameBytes() throws {
        let pairs = try writePairs(count: 40).path
        let args = ["score", "--checkpoint", gpt2, "--pairs", pairs, "--out", "run", "--csv"]
        let reference = dir.appendingPathComponent("ref")
        try FileManager.default.createDirectory(at: reference, withIntermediateDirectories: true)
        let (s0, _, e0) = try softq(args, cwd: reference)
        XCTAssertEqual(s0, 0, e0)
        let want = reference.appendingPathComponent("run")
        // Records are saved per block of 16 pairs: kill after the first block, the second, after
        // the last (all saved, no output yet) and after the outputs but before the manifest.
        let kills: [(String, [String: String])] = [
            ("after16", ["SOFTQ_TEST_KILL_AFTER_RECORDS": "1"]), ("after32", ["SOFTQ_TEST_KILL_AFTER_RECORDS": "17"]),
            ("after40", ["SOFTQ_TEST_KILL_AFTER_RECORDS": "40"]), ("beforeManifest", ["SOFTQ_TEST_KILL_BEFORE_MANIFEST": "1"]),
        ]
        for (name, env) in kills {
            let cwd = dir.appendingPathComponent(name)
            try FileManager.default.createDirectory(at: cwd, withIntermediateDirectories: true)
            let (s1, _, _) = try softq(args, cwd: cwd, env: env)
            XCTAssertEqual(s1, SIGKILL, "\(name): the run was killed (Process reports the signal as the status)")
            let run = cwd.appendingPathComponent("run")
            XCTAssertFalse(FileManager.default.fileExists(atPath: run.appendingPathComponent("manifest.json").path), "\(name): killed before the manifest")
            XCTAssertTrue(FileManager.default.fileExists(atPath: run.appendingPathComponent(RunProgress.directoryName).path), "\(name): progress saved")
            let (refused, _, why) = try softq(args, cwd: cwd)
            XCTAssertNotEqual(refused, 0)
            XCTAssertTrue(why.contains("unfinished softq run") && why.contains("--resume"), why)
            let (s2, _, e2) = try softq(args + ["--resume"], cwd: cwd)
            XCTAssertEqual(s2, 0, "\(name): \(e2)")
            XCTAssertTrue(name == "beforeManifest" || e2.contains("resuming: "), "\(name): \(e2)")
            for f in ["pairs.jsonl", "pairs.csv"] {
                XCTAssertEqual(try bytes(run.appendingPathComponent(f)), try bytes(want.appendingPathComponent(f)), "\(name): \(f)")
            }
            for f in ["summary.json", "tokens.h5"] {
                XCTAssertEqual(try withTime(of: want, run.appendingPathComponent(f)), try bytes(want.appendingPathComponent(f)), "\(name): \(f) differs beyond its time")
            }
            XCTAssertNotNil(try RunManifest.verify(run))
            XCTAssertFalse(FileManager.default.fileExists(atPath: run.appendingPathComponent(RunProgress.directoryName).path))
        }
    }

    func testResumeRefusesChangedOptionsOrInputsAndSurvivesATornRecord() throws {
        let pairsURL = try writePairs(count: 40)
        let args = ["score", "--checkpoint", gpt2, "--pairs", "pairs.jsonl", "--out", "run", "--per-token", "jsonl"]
        let (s0, _, _) = try softq(args, env: ["SOFTQ_TEST_KILL_AFTER_RECORDS": "17"])
        XCTAssertNotEqual(s0, 0)
        let (s1, _, e1) = try softq(args + ["--resume", "--gamma", "0.9"])
        XCTAssertNotEqual(s1, 0)
        XCTAssertTrue(e1.contains("cannot resume") && e1.contains("gamma: was 1.0, now 0.9"), e1)
        let original = try bytes(pairsURL)
        _ = try writePairs(count: 40, seed: 4)
        let (s2, _, e2) = try softq(args + ["--resume"])
        XCTAssertNotEqual(s2, 0)
        XCTAssertTrue(e2.contains("pairs_sha256: was"), e2)
        try original.write(to: pairsURL)
        let (s3, _, e3) = try softq(args + ["--resume", "--force"])
        XCTAssertNotEqual(s3, 0)
        XCTAssertTrue(e3.contains("exclude each other"), e3)

        // Cut the last saved record in half (a torn write): it is dropped and scored again.
        let log = dir.appendingPathComponent("run/\(RunProgress.directoryName)/records.bin")
        let saved = try bytes(log)
        try saved.prefix(saved.count - 100).write(to: log)
        let (s4, _, e4) = try softq(args + ["--resume"])
        XCTAssertEqual(s4, 0, e4)
        XCTAssertTrue(e4.contains("resuming: 31 records already done"), e4)
        let ref = dir.appendingPathComponent("ref")
        try FileManager.default.createDirectory(at: ref, withIntermediateDirectories: true)
        try original.write(to: ref.appendingPathComponent("pairs.jsonl"))
        let (s5, _, e5) = try softq(args, cwd: ref)
        XCTAssertEqual(s5, 0, e5)
        for f in ["pairs.jsonl", "tokens.jsonl"] {
            XCTAssertEqual(try bytes(dir.appendingPathComponent("run/\(f)")), try bytes(ref.appendingPathComponent("run/\(f)")), f)
        }
        // Resuming a complete run has nothing to do.
        let (s6, _, e6) = try softq(args + ["--resume"])
        XCTAssertNotEqual(s6, 0)
        XCTAssertTrue(e6.contains("nothing to resume"), e6)
    }

    func testExtractAndAnalysesResumeToTheSameBytes() throws {
        var text = ""
        var rng = SeededGenerator(seed: 9)
        for k in 0..<50 {
            let ids = (0..<(2 + k % 4)).map { _ in String(2 + rng.nextInt(below: 59)) }.joined(separator: ",")
            text += "{\"id\":\"r\(k)\",\"prompt_ids\":[0,\(5 + k % 7)],\"response_ids\":[\(ids),1]}\n"
        }
        let inputs = dir.appendingPathComponent("responses.jsonl")
        try text.write(to: inputs, atomically: true, encoding: .utf8)
        let pairs = try writePairs(count: 40).path
        var gens = ""
        for k in 0..<40 {
            let ids = (0..<(2 + k % 3)).map { String(2 + (k * 7 + $0 * 3) % 59) }.joined(separator: ",")
            gens += "{\"prompt_id\":\"q\(k / 4)\",\"text\":\"\",\"prompt_ids\":[0,\(5 + k / 4)],\"token_ids\":[\(ids),1],\"metric\":\(Double(k % 4) / 4)}\n"
        }
        let generations = dir.appendingPathComponent("gens.jsonl")
        try gens.write(to: generations, atomically: true, encoding: .utf8)
        let boot = ["--bootstrap-samples", "50"]
        let commands: [(String, [String], [String], String)] = [
            ("extract", ["extract", "--checkpoint", gpt2, "--inputs", inputs.path, "--out", "run", "--per-token", "jsonl"],
             ["responses.jsonl", "tokens.jsonl"], "summary.json"),
            ("length", ["analyze", "length", "--checkpoint", gpt2, "--pairs", pairs, "--out", "run"] + boot,
             ["length_buckets.jsonl", "length_buckets.csv"], "length.json"),
            ("sensitivity", ["analyze", "sensitivity", "--checkpoint", gpt2, "--pairs", pairs, "--out", "run", "--gammas", "1", "0.9"] + boot,
             ["sensitivity_variants.jsonl"], "sensitivity.json"),
            ("robustness", ["robustness", "--checkpoint", gpt2, "--pairs", pairs, "--out", "run", "--perturbation", "shuffle_tokens=0.5,1"] + boot,
             ["robustness_rows.jsonl", "robustness_instances.jsonl"], "robustness.json"),
            ("correlate", ["correlate", "--checkpoint", gpt2, "--generations", generations.path, "--out", "run"] + boot,
             ["correlation_rows.jsonl", "correlation_generations.jsonl"], "correlation.json"),
        ]
        for (name, args, exact, summary) in commands {
            let ref = dir.appendingPathComponent("\(name)-ref"), cut = dir.appendingPathComponent("\(name)-cut")
            for d in [ref, cut] { try FileManager.default.createDirectory(at: d, withIntermediateDirectories: true) }
            let (s0, _, e0) = try softq(args, cwd: ref)
            XCTAssertEqual(s0, 0, e0)
            _ = try softq(args, cwd: cut, env: ["SOFTQ_TEST_KILL_AFTER_RECORDS": "1"])
            let (s1, _, e1) = try softq(args + ["--resume"], cwd: cut)
            XCTAssertEqual(s1, 0, e1)
            XCTAssertTrue(e1.contains("resuming: "), "\(name): \(e1)")
            for f in exact {
                XCTAssertEqual(try bytes(cut.appendingPathComponent("run/\(f)")), try bytes(ref.appendingPathComponent("run/\(f)")), "\(name): \(f)")
            }
            XCTAssertEqual(try withTime(of: ref.appendingPathComponent("run"), cut.appendingPathComponent("run/\(summary)"), summary: summary),
                           try bytes(ref.appendingPathComponent("run/\(summary)")), "\(name): \(summary)")
        }
    }

    func testSampleContinuesItsFileAfterTheLastCompleteLine() throws {
        var prompts = ""
        for k in 0..<5 { prompts += "{\"id\":\"q\(k)\",\"prompt_ids\":[0,\(3 + k)]}\n" }
        try prompts.write(to: dir.appendingPathComponent("prompts.jsonl"), atomically: true, encoding: .utf8)
        let args = ["sample", "--checkpoint", gpt2, "--prompts", "prompts.jsonl", "--n", "3", "--max-tokens", "6", "--seed", "5"]
        let (s0, _, e0) = try softq(args + ["--out", "want.jsonl"])
        XCTAssertEqual(s0, 0, e0)
        let want = try bytes(dir.appendingPathComponent("want.jsonl"))
        XCTAssertEqual(want.filter { $0 == UInt8(ascii: "\n") }.count, 15)
        // Killed after 7 lines (mid-prompt), then a torn eighth line, then --resume.
        _ = try softq(args + ["--out", "got.jsonl"], env: ["SOFTQ_TEST_KILL_AFTER_RECORDS": "7"])
        XCTAssertFalse(FileManager.default.fileExists(atPath: dir.appendingPathComponent("got.jsonl").path), "an incomplete file keeps its .partial name")
        let partial = dir.appendingPathComponent("got.jsonl.partial")
        let h = try FileHandle(forWritingTo: partial)
        h.seekToEndOfFile()
        h.write(Data("{\"prompt_id\":\"q2\",\"sam".utf8))
        try h.close()
        let (bad, _, why) = try softq(args.map { $0 == "6" ? "7" : $0 } + ["--out", "got.jsonl", "--resume"])
        XCTAssertNotEqual(bad, 0)
        XCTAssertTrue(why.contains("max_tokens: was 6, now 7"), why)
        let (s1, _, e1) = try softq(args + ["--out", "got.jsonl", "--resume"])
        XCTAssertEqual(s1, 0, e1)
        XCTAssertTrue(e1.contains("resuming: 7 records already done"), e1)
        XCTAssertEqual(try bytes(dir.appendingPathComponent("got.jsonl")), want)
        XCTAssertEqual(names(dir).filter { $0.contains("got") }, ["got.jsonl"], "no partial or resume record is left")
    }
}
