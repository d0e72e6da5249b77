import Foundation
import SoftQBase
import SoftQCheckpoint
import TestSupport
import XCTest

/// Hostile inputs through the `softq` executable: each is a data error (exit status 1,
/// "Error:" and the reason, naming the file, key or lines) and leaves no `--out` behind.
final class HostileInputCLITests: SoftQCLITestCase {
    override var directoryTag: String { "softq-hostile" }
    let goodPair = #"{"id": "a", "prompt_ids": [0, 5, 6], "chosen_ids": [7, 8, 1], "rejected_ids": [9, 1]}"#

    func assertNoOutput(_ out: String, file: StaticString = #filePath, line: UInt = #line) {
        XCTAssertFalse(FileManager.default.fileExists(atPath: out), "a failed run leaves no \(out)", file: file, line: line)
    }

    /// α below the smallest normal double is refused by name before anything runs; an α whose
    /// products leave the double range for this model's logits stops the run with the value.
    func testTemperatureBelowTheNormalRangeOrOverflowingIsRefused() throws {
        let p = try write("pairs.jsonl", [goodPair])
        let out = dir.appendingPathComponent("run").path
        for flag in ["--temperature", "--alpha"] {
            let (status, _, err) = try runProcess(softq, ["score", "--checkpoint", gpt2, "--pairs", p, "--out", out, flag, "5e-324"])
            XCTAssertNotEqual(status, 0)
            XCTAssertTrue(err.contains("--alpha must be finite and ≥ 2.2250738585072014e-308"), err)
            assertNoOutput(out)
        }
        // 1e308·ℓ overflows for any |ℓ| > 1.8, and a log-sum-exp over 61 tokens exceeds log 61 > 4.
        let (status, _, err) = try runProcess(softq, ["score", "--checkpoint", gpt2, "--pairs", p, "--out", out, "--alpha", "1e308"])
        XCTAssertEqual(status, 1, err)
        XCTAssertTrue(err.contains("Error:") && err.contains("outside the normal double range"), err)
        assertNoOutput(out)
        // Training takes the same rule under the same name.
        let (ts, _, te) = try runProcess(softq, ["train", "--init", gpt2, "--data", p, "--out", out, "--alpha", "1e-310", "--steps", "1"])
        XCTAssertNotEqual(ts, 0)
        XCTAssertTrue(te.contains("--alpha") && te.contains("must be finite and ≥ 2.2250738585072014e-308"), te)
    }

    /// A tokenizer.json without a single token would encode every text to nothing.
    func testEmptyVocabularyTokenizerIsALoadErrorNamingTheFile() throws {
        let tok = dir.appendingPathComponent("tokenizer.json")
        try #"{"version": "1.0", "added_tokens": [], "model": {"type": "BPE", "vocab": {}, "merges": []}}"#
            .write(to: tok, atomically: true, encoding: .utf8)
        let p = try write("pairs.jsonl", [#"{"id": "t", "prompt": "Hi", "chosen": " there", "rejected": " you"}"#])
        let out = dir.appendingPathComponent("run").path
        let (status, _, err) = try runProcess(softq, ["score", "--checkpoint", gpt2, "--tokenizer", tok.path, "--pairs", p, "--out", out])
        XCTAssertEqual(status, 1, err)
        XCTAssertTrue(err.contains("Error:") && err.contains(tok.path) && err.contains("empty vocabulary"), err)
        assertNoOutput(out)
        let (ts, _, te) = try runProcess(softq, ["tokenize", "--tokenizer", tok.path, "--text", "Hi"])
        XCTAssertEqual(ts, 1, te)
        XCTAssertTrue(te.contains(tok.path) && te.contains("empty vocabulary"), te)
    }

    /// A checkpoint whose config names an end-of-sequence id outside the vocabulary.
    func testOutOfVocabularyEOSInTheConfigExitsOneNamingTheKey() throws {
        let source = try Checkpoint(path: gpt2)
        guard case .object(var entries) = source.config else { return XCTFail("gpt2_tiny's config is not an object") }
        entries.removeAll { $0.0 == "eos_token_id" }
        entries.append(("eos_token_id", .int(99999)))
        let bad = dir.appendingPathComponent("eos99999.h5").path
        try CheckpointWriter(modelType: source.modelType, configText: JSONValue.object(entries).serialized(),
                             tensors: try source.tensorNames.map { ($0, try source.loadTensor($0)) },
                             tokenizerJSON: source.tokenizerJSON.map { String(decoding: $0, as: UTF8.self) }).write(to: bad)
        let p = try write("pairs.jsonl", [goodPair])
        let out = dir.appendingPathComponent("run").path
        let (status, _, err) = try runProcess(softq, ["score", "--checkpoint", bad, "--pairs", p, "--out", out])
        XCTAssertEqual(status, 1, err)
        XCTAssertTrue(err.contains("Error:") && err.contains("eos_token_id") && err.contains("99999"), err)
        assertNoOutput(out)
    }

    /// --skip-invalid with nothing valid left: exit 1 with the reasons (first five and a count),
    /// for every command that skips lines — not the usage text and status 64.
    func testAllInvalidWithSkipInvalidExitsOneWithTheReasons() throws {
        let bad = (1...7).map { #"{"id": "x\#($0)", "prompt_ids": [0], "chosen_ids": [99], "rejected_ids": [2]}"# }
        let p = try write("bad.jsonl", bad)
        let out = dir.appendingPathComponent("run").path
        let outOfVocabulary = "bad.jsonl:1: field 'chosen_ids': token id 99 is out of the model's vocabulary"
        // extract reads responses, so pair lines lack its field.
        let commands: [([String], String)] = [
            (["score", "--checkpoint", gpt2, "--pairs", p, "--out", out, "--skip-invalid"], outOfVocabulary),
            (["extract", "--checkpoint", gpt2, "--inputs", p, "--out", out, "--skip-invalid"], "bad.jsonl:1: field 'response_ids': missing"),
            (["robustness", "--checkpoint", gpt2, "--pairs", p, "--out", out, "--skip-invalid"], outOfVocabulary),
            (["analyze", "length", "--checkpoint", gpt2, "--pairs", p, "--out", out, "--skip-invalid"], outOfVocabulary),
        ]
        for (args, reason) in commands {
            let (status, stdout, err) = try runProcess(softq, args)
            XCTAssertEqual(status, 1, "\(args[0]): \(err)")
            XCTAssertFalse(err.contains("USAGE") || stdout.contains("USAGE"), "\(args[0]) prints no usage for a data error: \(err)")
            XCTAssertTrue(err.contains("Error: \(p): no valid"), "\(args[0]): \(err)")
            XCTAssertTrue(err.contains("all 7 lines were skipped as invalid"), "\(args[0]): \(err)")
            XCTAssertTrue(err.contains(reason), "\(args[0]): \(err)")
            XCTAssertTrue(err.contains("bad.jsonl:5:") && !err.contains("bad.jsonl:6:") && err.contains("… and 2 more"), "\(args[0]): \(err)")
            assertNoOutput(out)
        }
    }

    /// Every command's --help: the α flag is --alpha with --temperature as a stated alias where
    /// it means α (score's family, train), sample keeps --temperature for sampling, the EOS flag
    /// is --no-append-eos everywhere, and no help text carries a hard line break (at a width
    /// where nothing wraps, an option's help is one line).
    func testHelpNamesOneFlagPerIdeaAndHasNoHardLineBreaks() throws {
        let commands = ["inspect", "tokenize", "score", "extract", "rewards", "sample", "report", "train", "robustness",
                        "correlate", "analyze", "analyze length", "analyze sensitivity", "analyze stability", "bench"]
        var env = ProcessInfo.processInfo.environment
        env["COLUMNS"] = "10000"  // nothing wraps, so a line break in a help text shows
        for command in commands {
            let (status, help, err) = try runProcess(softq, command.split(separator: " ").map(String.init) + ["--help"], environment: env)
            XCTAssertEqual(status, 0, "\(command): \(err)")
            XCTAssertFalse(help.contains("--no-eos"), "\(command): one flag name per idea")
            let lines = help.split(separator: "\n", omittingEmptySubsequences: false).map(String.init)
            // The overview and discussion: paragraphs are single lines at this width; only list
            // items (indented or "-") may follow a line directly.
            for (previous, l) in zip(lines, lines.dropFirst()) {
                if l.hasPrefix("USAGE:") { break }
                XCTAssertFalse(!previous.isEmpty && !l.isEmpty && !l.hasPrefix(" ") && !l.hasPrefix("-"),
                               "\(command) --help breaks a paragraph by hand: \(previous) / \(l)")
            }
            // Every option's values are stated once and exactly: no help lists values that the
            // parser's own "(values: …)" contradicts.
            for l in lines where l.contains("(values:") {
                let own = l.components(separatedBy: "(values:")[0]
                XCTAssertFalse(own.contains("logprob_norm"), "\(command) lists the values twice: \(l)")
            }
            guard let start = lines.firstIndex(of: "OPTIONS:") else { XCTFail("\(command): no OPTIONS section"); continue }
            // Each option: its label line, then at most one line of help (when the label is too
            // long to share it). A third line is a hard break in the help text.
            var run = 0
            for l in lines[(start + 1)...] {
                if !l.hasPrefix(" ") { break }  // the next section (SUBCOMMANDS:) or the end

                run = l.hasPrefix("  -") ? 1 : run + 1
                XCTAssertLessThanOrEqual(run, 2, "\(command) --help has a hard line break near: \(l)")
            }
            let alphaCommands = ["score", "extract", "rewards", "train", "robustness", "correlate", "analyze length",
                                 "analyze sensitivity", "analyze stability", "bench"]
            if alphaCommands.contains(command) {
                XCTAssertTrue(help.contains("--alpha, --temperature <α>"), "\(command): \(help)")
                XCTAssertTrue(help.contains("--temperature is an alias"), "\(command)")
            }
        }
        let (_, sample, _) = try runProcess(softq, ["sample", "--help"], environment: env)
        XCTAssertTrue(sample.contains("--temperature <temperature>") && sample.contains("Sampling temperature"), sample)
        XCTAssertFalse(sample.contains("\n  --alpha"), "sample has no α option: \(sample)")
        XCTAssertTrue(sample.contains("Not the reward temperature α"), sample)
        for command in ["score", "extract", "train"] {
            let (_, help, _) = try runProcess(softq, [command, "--help"], environment: env)
            XCTAssertTrue(help.contains("--no-append-eos"), "\(command) names the EOS flag --no-append-eos")
        }
    }
}
