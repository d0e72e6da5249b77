import Foundation
import SoftQBase
import TestSupport
import XCTest

/// `softq analyze steps` end to end on the tiny GPT-2 of SoftQScoringTests with a small
/// byte-level tokenizer written here (skipped when the executable was not built): the
/// token → step attribution at step boundaries and for EOS, step sums against the per-token
/// rewards and the `sum` of `softq extract`, and the errors for bad input.
final class StepsCommandTests: XCTestCase {
    var model: String { TestPaths.repositoryRoot.appendingPathComponent("Tests/SoftQScoringTests/Fixtures/gpt2_tiny_ref.h5").path }

    /// 31 ids of the model's 61: the special tokens, single byte-level characters and four
    /// merges. No regex split (use_regex false), so merges can cross step boundaries: ".Ċ"
    /// ends step 0 and begins step 1 (its first byte is in step 0), "ĊA" is the separator
    /// plus the first letter of the next step.
    static let tokenizer = """
    {"version": "1.0", "truncation": null, "padding": null,
     "added_tokens": [{"id": 0, "content": "<|bos|>", "single_word": false, "lstrip": false, "rstrip": false, "normalized": false, "special": true},
                      {"id": 1, "content": "<|eos|>", "single_word": false, "lstrip": false, "rstrip": false, "normalized": false, "special": true}],
     "normalizer": null, "pre_tokenizer": {"type": "ByteLevel", "add_prefix_space": false, "trim_offsets": true, "use_regex": false},
     "post_processor": null, "decoder": {"type": "ByteLevel", "add_prefix_space": false, "trim_offsets": true, "use_regex": false},
     "model": {"type": "BPE", "dropout": null, "unk_token": null, "continuing_subword_prefix": null, "end_of_word_suffix": null,
               "fuse_unk": false, "byte_fallback": false, "ignore_merges": false,
               "vocab": {"<|bos|>": 0, "<|eos|>": 1, "Ċ": 2, "Ġ": 3, "0": 4, "1": 5, "2": 6, "3": 7, "4": 8, "5": 9, "6": 10, "7": 11,
                         "8": 12, "9": 13, "=": 14, "+": 15, ".": 16, ":": 17, "A": 18, "n": 19, "s": 20, "w": 21, "e": 22, "r": 23,
                         "Q": 24, "?": 25, "x": 26, ".Ċ": 27, "Ġ=": 28, "12": 29, "ĊA": 30},
               "merges": [[".", "Ċ"], ["Ġ", "="], ["1", "2"], ["Ċ", "A"]]}}
    """

    /// Response "\\n1+12=13.\\nx = 2\\nAnswer: 13" (26 bytes). Tokens and their first bytes:
    /// Ċ 0, 1 1, + 2, 12 3, = 5, 1 6, 3 7, .Ċ 8 | x 10, Ġ= 11, Ġ 13, 2 14 | ĊA 15, n s w e r : Ġ 1 3, EOS.
    static let steps = ["\n1+12=13.", "x = 2", "Answer: 13"]
    static let expectedTokens = [8, 4, 11]
    static let expectedBytes = [[0, 8], [9, 14], [15, 25]]

    func line(_ id: String, _ steps: [String], _ label: Int) -> String {
        JSONValue.object([("id", .string(id)), ("prompt", .string("Q?")), ("steps", .array(steps.map { .string($0) })),
                          ("label", .int(label))]).serialized() + "\n"
    }

    func setUpFiles(_ dir: URL) throws -> (tokenizer: String, steps: String) {
        let tok = dir.appendingPathComponent("tokenizer.json")
        try Self.tokenizer.write(to: tok, atomically: true, encoding: .utf8)
        let text = line("a", Self.steps, -1) + line("b", Self.steps, 1) + line("c", ["\n1+2=3.", "Answer: 3"], 1)
            + line("d", ["\n2+2=5.", "Answer: 5"], 0) + line("e", ["\nAnswer: 12"], -1)
        let steps = dir.appendingPathComponent("steps.jsonl")
        try text.write(to: steps, atomically: true, encoding: .utf8)
        return (tok.path, steps.path)
    }

    func softq(_ args: [String]) throws -> (Int32, String, String) {
        guard let exe = TestPaths.softqExecutable else { throw XCTSkip("softq executable not built") }
        return try runProcess(exe.path, args)
    }

    func jsonLines(_ url: URL) throws -> [JSONValue] {
        try String(contentsOf: url, encoding: .utf8).split(separator: "\n").map { try JSONParser.parse(String($0)) }
    }

    func testStepAttributionAndSumsAgreeWithExtract() throws {
        let dir = try TestPaths.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        let (tok, steps) = try setUpFiles(dir)
        let common = ["--checkpoint", model, "--tokenizer", tok, "--eos-token", "1"]
        let (status, out, err) = try softq(["analyze", "steps"] + common + ["--input", steps, "--validation", steps,
                                            "--out", dir.appendingPathComponent("steps").path, "--bootstrap-samples", "30"])
        XCTAssertEqual(status, 0, err)
        XCTAssertTrue(out.contains("reward") && out.contains("logprob"), out)
        let rows = try jsonLines(dir.appendingPathComponent("steps/steps_rows.jsonl"))
        XCTAssertEqual(rows.count, 3 + 3 + 2 + 2 + 1)
        let a = rows.filter { $0["id"]?.stringValue == "a" }
        XCTAssertEqual(a.map { $0["tokens"]?.intValue ?? -1 }, Self.expectedTokens)
        XCTAssertEqual(a.map { [$0["first_byte"]?.intValue ?? -1, $0["last_byte"]?.intValue ?? -1] }, Self.expectedBytes)
        let b = rows.filter { $0["id"]?.stringValue == "b" }
        XCTAssertEqual(b.map { $0["correct"] }, [.bool(true), .bool(false), .bool(false)])   // the first error and all after it
        XCTAssertEqual(b.map { $0["reward"] }, a.map { $0["reward"] })                          // same text, same numbers
        let solutions = try jsonLines(dir.appendingPathComponent("steps/steps_solutions.jsonl"))
        XCTAssertEqual(solutions.map { $0["id"]?.stringValue ?? "" }, ["a", "b", "c", "d", "e"])
        let summary = try JSONParser.parse(try String(contentsOf: dir.appendingPathComponent("steps/steps.json"), encoding: .utf8))
        XCTAssertEqual(summary["n_steps"]?.intValue, 11)
        XCTAssertEqual(summary["n_wrong_steps"]?.intValue, 2 + 1 + 2)
        XCTAssertNotNil(summary["provenance"]?["checkpoint"]?["sha256"])
        XCTAssertTrue(FileManager.default.fileExists(atPath: dir.appendingPathComponent("steps/manifest.json").path))

        // The same responses through softq extract, per token.
        let responses = dir.appendingPathComponent("responses.jsonl")
        let texts = [Self.steps, ["\n1+2=3.", "Answer: 3"], ["\n2+2=5.", "Answer: 5"], ["\nAnswer: 12"]]
        try texts.map { JSONValue.object([("prompt", .string("Q?")), ("response", .string($0.joined(separator: "\n")))]).serialized() + "\n" }
            .joined().write(to: responses, atomically: true, encoding: .utf8)
        let (s2, _, e2) = try softq(["extract"] + common + ["--inputs", responses.path, "--out", dir.appendingPathComponent("ext").path,
                                                           "--per-token", "jsonl"])
        XCTAssertEqual(s2, 0, e2)
        let tokens = try jsonLines(dir.appendingPathComponent("ext/tokens.jsonl"))
        let sums = try jsonLines(dir.appendingPathComponent("ext/responses.jsonl"))
        for (k, id) in ["a", "c", "d", "e"].enumerated() {
            let reward = try XCTUnwrap(tokens[k]["reward"]?.arrayValue).map { try XCTUnwrap($0.doubleValue) }
            let logprob = try XCTUnwrap(tokens[k]["logprob"]?.arrayValue).map { try XCTUnwrap($0.doubleValue) }
            XCTAssertEqual(tokens[k]["token_ids"]?.arrayValue?.last?.intValue, 1, "EOS appended")
            let mine = rows.filter { $0["id"]?.stringValue == id }
            // Re-attribute extract's per-token values with the counts: each step's sum is the
            // same left-to-right Double sum, so they are equal exactly.
            var at = 0
            var total = 0.0
            for r in mine {
                let n = try XCTUnwrap(r["tokens"]?.intValue)
                XCTAssertEqual(r["reward"]?.doubleValue, reward[at..<(at + n)].reduce(0, +), "\(id) step reward")
                XCTAssertEqual(r["logprob"]?.doubleValue, logprob[at..<(at + n)].reduce(0, +), "\(id) step logprob")
                total += try XCTUnwrap(r["reward"]?.doubleValue)
                at += n
            }
            XCTAssertEqual(at, reward.count, "\(id): every token, EOS included, is in some step")
            // Σ over steps vs extract's `sum`: the same m doubles added in two orders; each sum
            // is within γ_{m−1}·Σ|r_j| of the exact one (γ_k = k·u / (1 − k·u), u = 2^−53), so
            // they differ by at most 2·γ_{m−1}·Σ|r_j|.
            let m = Double(reward.count), u = 0x1p-53
            let bound = 2 * ((m - 1) * u / (1 - (m - 1) * u)) * reward.reduce(0) { $0 + abs($1) }
            let sum = try XCTUnwrap(sums[k]["sum"]?.doubleValue)
            XCTAssertLessThanOrEqual(abs(total - sum), bound, "\(id): Σ step rewards \(total) vs sum \(sum)")
        }

        // Without EOS the last step loses exactly that one token.
        let (s3, _, e3) = try softq(["analyze", "steps"] + common + ["--input", steps, "--validation", steps, "--no-append-eos",
                                     "--out", dir.appendingPathComponent("noeos").path, "--bootstrap-samples", "10"])
        XCTAssertEqual(s3, 0, e3)
        let noEOS = try jsonLines(dir.appendingPathComponent("noeos/steps_rows.jsonl")).filter { $0["id"]?.stringValue == "a" }
        XCTAssertEqual(noEOS.map { $0["tokens"]?.intValue ?? -1 }, [8, 4, 10])
        XCTAssertEqual(noEOS.prefix(2).map { $0["reward"] }, a.prefix(2).map { $0["reward"] })   // earlier steps do not see EOS
    }

    func testBadInputIsAnErrorNamingFileLineAndField() throws {
        let dir = try TestPaths.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        let (tok, good) = try setUpFiles(dir)
        let cases: [(String, String)] = [
            (#"{"prompt": "Q?", "steps": ["\n1"], "label": 1}"#, "field 'label': 1 is out of range"),
            (#"{"prompt": "Q?", "steps": ["\n1"], "label": -2}"#, "field 'label': -2 is out of range"),
            (#"{"prompt": "Q?", "steps": [], "label": -1}"#, "field 'steps': empty"),
            (#"{"prompt": "Q?", "label": -1}"#, "field 'steps': missing"),
            (#"{"prompt": "Q?", "steps": ["\n1", 2], "label": -1}"#, "step 1 is a number"),
            (#"{"prompt": "Q?", "steps": ["\n1", ""], "label": -1}"#, "step 1 is empty"),
            (#"{"prompt": "Q?", "steps": ["\n1"]}"#, "field 'label': missing"),
            (#"{"steps": ["\n1"], "label": -1}"#, "field 'prompt': missing"),
        ]
        for (k, (bad, message)) in cases.enumerated() {
            let file = dir.appendingPathComponent("bad\(k).jsonl")
            try (line("ok", ["\n1"], -1) + bad + "\n").write(to: file, atomically: true, encoding: .utf8)
            let (status, _, err) = try softq(["analyze", "steps", "--checkpoint", model, "--tokenizer", tok, "--input", file.path,
                                              "--validation", good, "--out", dir.appendingPathComponent("out\(k)").path])
            XCTAssertEqual(status, 1, "\(bad): \(err)")
            XCTAssertTrue(err.contains("bad\(k).jsonl:2") && err.contains(message), "\(bad): \(err)")
            XCTAssertFalse(FileManager.default.fileExists(atPath: dir.appendingPathComponent("out\(k)/steps.json").path))
        }
        // A tokenizer whose tokens do not spell the response (an added prefix space) is refused:
        // attribution by bytes cannot be established, so nothing is approximated.
        let spaced = dir.appendingPathComponent("spaced.json")
        try Self.tokenizer.replacingOccurrences(of: #""add_prefix_space": false, "trim_offsets": true, "use_regex": false},"#,
                                                with: #""add_prefix_space": true, "trim_offsets": true, "use_regex": false},"#)
            .write(to: spaced, atomically: true, encoding: .utf8)
        let (s1, _, e1) = try softq(["analyze", "steps", "--checkpoint", model, "--tokenizer", spaced.path, "--eos-token", "1", "--input", good,
                                     "--validation", good, "--out", dir.appendingPathComponent("spaced").path])
        XCTAssertEqual(s1, 1, e1)
        XCTAssertTrue(e1.contains("steps.jsonl:1: field 'steps': the response's tokens do not spell its text at byte 0"), e1)

        // --skip-invalid counts the bad line and goes on.
        let file = dir.appendingPathComponent("mixed.jsonl")
        try (String(contentsOfFile: good, encoding: .utf8) + #"{"prompt": "Q?", "steps": [], "label": -1}"# + "\n")
            .write(to: file, atomically: true, encoding: .utf8)
        let (status, _, err) = try softq(["analyze", "steps", "--checkpoint", model, "--tokenizer", tok, "--eos-token", "1", "--input", file.path,
                                          "--validation", good, "--out", dir.appendingPathComponent("skip").path, "--skip-invalid",
                                          "--bootstrap-samples", "10"])
        XCTAssertEqual(status, 0, err)
        let summary = try JSONParser.parse(try String(contentsOf: dir.appendingPathComponent("skip/steps.json"), encoding: .utf8))
        XCTAssertEqual(summary["options"]?["skipped_inputs"]?.intValue, 1)
        XCTAssertEqual(summary["n_solutions"]?.intValue, 5)
    }
}
