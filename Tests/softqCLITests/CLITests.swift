import Foundation
import SoftQBase
import TestSupport
import XCTest

/// End-to-end checks of the `softq` executable: help, exit codes, files written, determinism,
/// and that Python readers (h5py, pandas) load what it writes.
final class CLITests: SoftQCLITestCase {
    let pairs = [
        #"{"id": "a", "subset": "s1", "prompt_ids": [0, 5, 6], "chosen_ids": [7, 8, 1], "rejected_ids": [9, 1]}"#,
        #"{"id": "b", "subset": "s2", "prompt_ids": [0, 3], "chosen_ids": [4, 4, 4], "rejected_ids": [10, 11, 12, 1]}"#,
        #"{"id": "c", "subset": "s1", "prompt_ids": [0], "chosen_ids": [2, 1], "rejected_ids": [2, 3, 1]}"#,
    ]

    func testHelpAndVersion() throws {
        let (status, out, _) = try runProcess(softq, ["--help"])
        XCTAssertEqual(status, 0)
        for sub in ["inspect", "score", "extract", "rewards", "sample", "report"] { XCTAssert(out.contains(sub), "help lists \(sub)") }
        let (vs, vout, _) = try runProcess(softq, ["--version"])
        XCTAssertEqual(vs, 0)
        XCTAssertEqual(vout.trimmingCharacters(in: .whitespacesAndNewlines), "0.1.0")
    }

    func testScoreWritesDeterministicFilesThatPythonReads() throws {
        let p = try write("pairs.jsonl", pairs)
        var outputs: [[String: Data]] = []
        for run in 0..<2 {
            let out = dir.appendingPathComponent("run\(run)").path
            let (status, stdout, stderr) = try runProcess(softq, ["score", "--checkpoint", gpt2, "--pairs", p, "--out", out, "--csv", "--threads", run == 0 ? "1" : "2"])
            XCTAssertEqual(status, 0, stderr)
            XCTAssert(stdout.contains("accuracy"), stdout)
            var files: [String: Data] = [:]
            for f in ["pairs.jsonl", "pairs.csv", "summary.json", "tokens.h5"] {
                files[f] = try Data(contentsOf: URL(fileURLWithPath: out).appendingPathComponent(f))
            }
            outputs.append(files)
        }
        XCTAssertEqual(outputs[0]["pairs.jsonl"], outputs[1]["pairs.jsonl"], "pairs.jsonl is byte-identical across runs and thread counts")
        XCTAssertEqual(outputs[0]["pairs.csv"], outputs[1]["pairs.csv"])
        // summary.json differs only in provenance's time and command line (which names the thread count and folder).
        func stripped(_ d: Data) throws -> JSONValue {
            guard case .object(var top) = try JSONParser.parse(String(decoding: d, as: UTF8.self)) else { return .null }
            for (k, (key, value)) in top.enumerated() where key == "provenance" {
                if case .object(let prov) = value { top[k].1 = .object(prov.filter { $0.0 != "time" && $0.0 != "command" }) }
            }
            return .object(top)
        }
        XCTAssertEqual(try stripped(outputs[0]["summary.json"]!), try stripped(outputs[1]["summary.json"]!))
        XCTAssertNotEqual(try stripped(outputs[0]["summary.json"]!), .null)

        guard let py = pythonWith(modules: ["h5py", "numpy", "pandas"]) else {
            throw XCTSkip("python3 with h5py, numpy and pandas is not installed; `make setup` installs them")
        }
        let script = """
        import json, sys, h5py, numpy as np, pandas as pd
        run = sys.argv[1]
        pairs = pd.read_json(run + "/pairs.jsonl", lines=True, precise_float=True)  # pandas default parser rounds
        csv = pd.read_csv(run + "/pairs.csv", keep_default_na=False)
        assert list(pairs["id"]) == ["a", "b", "c"], pairs["id"]
        assert np.array_equal(pairs["margin"].to_numpy(), csv["margin"].to_numpy()), "csv margins round-trip exactly"
        chosen = pd.json_normalize(pairs["chosen"])
        assert np.array_equal(chosen["sum"].to_numpy(), csv["chosen_sum"].to_numpy())
        with h5py.File(run + "/tokens.h5", "r") as f:
            off = f["responses/offsets"][()]
            reward = f["tokens/reward"][()]
            side = [s.decode() if isinstance(s, bytes) else s for s in f["responses/side"][()]]
            assert len(off) == 7 and side[:2] == ["chosen", "rejected"]
            for k in range(6):
                pair, s = k // 2, ("chosen", "rejected")[k % 2]
                total = reward[off[k]:off[k + 1]].sum()
                want = pairs.iloc[pair][s]["sum"]
                assert abs(total - want) <= 1e-9 * max(1, abs(want)), (k, total, want)
        summary = json.load(open(run + "/summary.json"))
        assert summary["n_pairs"] == 3 and summary["schema_version"] == 1
        print("ok")
        """
        let (status, out, err) = try runProcess("/usr/bin/env", [py, "-c", script, dir.appendingPathComponent("run0").path])
        XCTAssertEqual(status, 0, err)
        XCTAssertEqual(out.trimmingCharacters(in: .whitespacesAndNewlines), "ok")
    }

    /// `--stack-sequences` scores the same pairs through stacked products: the same pairs and
    /// order, log-probabilities within the float32 evaluation bound of the default path (both
    /// paths round; stacking only changes which kernels and tiles do it), and the options
    /// record whether products were stacked on this machine's OpenBLAS kernels.
    func testScoreWithStackedSequencesAgreesWithTheDefault() throws {
        let p = try write("pairs.jsonl", pairs)
        var runs: [[JSONValue]] = []
        var stackedOption: JSONValue?
        for stack in [false, true] {
            let out = dir.appendingPathComponent(stack ? "stacked" : "plain").path
            let (status, _, stderr) = try runProcess(softq, ["score", "--checkpoint", gpt2, "--pairs", p, "--out", out, "--threads", "2"]
                                                     + (stack ? ["--stack-sequences"] : []))
            XCTAssertEqual(status, 0, stderr)
            let lines = try String(contentsOfFile: out + "/pairs.jsonl", encoding: .utf8).split(separator: "\n")
            runs.append(try lines.map { try JSONParser.parse(String($0)) })
            let summary = try JSONParser.parse(try String(contentsOfFile: out + "/summary.json", encoding: .utf8))
            let option = summary["options"]?["stack_sequences"]
            if stack { stackedOption = option } else { XCTAssertNil(option, "default runs do not record the option") }
        }
        guard case .bool = stackedOption else { return XCTFail("summary.json options.stack_sequences: \(String(describing: stackedOption))") }
        XCTAssertEqual(runs[0].count, 3)
        for (plain, stacked) in zip(runs[0], runs[1]) {
            XCTAssertEqual(plain["id"], stacked["id"])
            for side in ["chosen", "rejected"] {
                guard let a = plain[side]?["logprob_sum"]?.doubleValue, let b = stacked[side]?["logprob_sum"]?.doubleValue,
                      let n = plain[side]?["tokens"]?.doubleValue
                else { return XCTFail("\(side).logprob_sum / tokens missing") }
                // Each token's log-probability is a logit minus a log-sum-exp (a weighted mean of
                // logits), each within ModelBounds.logitsVsFloat32 of the other path's.
                XCTAssertEqual(a, b, accuracy: n * 2 * ModelBounds.logitsVsFloat32, "\(side) of \(String(describing: plain["id"]))")
            }
        }
    }

    func testBadInputExitsNonZeroWithTheLine() throws {
        let p = try write("bad.jsonl", [pairs[0], #"{"prompt_ids": [0], "chosen_ids": [99], "rejected_ids": [2]}"#])
        let out = dir.appendingPathComponent("bad").path
        let (status, _, err) = try runProcess(softq, ["score", "--checkpoint", gpt2, "--pairs", p, "--out", out])
        XCTAssertNotEqual(status, 0)
        XCTAssert(err.contains("bad.jsonl:2: field 'chosen_ids': token id 99 is out of the model's vocabulary (0..<61)"), err)
        XCTAssertFalse(FileManager.default.fileExists(atPath: out + "/summary.json"), "nothing that looks complete is left")

        let (s2, o2, e2) = try runProcess(softq, ["score", "--checkpoint", gpt2, "--pairs", p, "--out", out, "--skip-invalid"])
        XCTAssertEqual(s2, 0, e2)
        XCTAssert(o2.contains("pairs          1 (1 skipped)"), o2)

        let (s3, _, e3) = try runProcess(softq, ["inspect", dir.appendingPathComponent("bad.jsonl").path])
        XCTAssertNotEqual(s3, 0)
        XCTAssert(e3.contains("not an HDF5 file"), e3)

        let (s4, _, e4) = try runProcess(softq, ["score", "--checkpoint", gpt2, "--pairs", p, "--out", out, "--gamma", "1.5"])
        XCTAssertNotEqual(s4, 0)
        XCTAssert(e4.contains("--gamma must satisfy 0 ≤ γ ≤ 1, got 1.5"), e4)
    }
}
